"""Settling up with a vendor at a market: the tokens the vendor took in (owed by the market)
netted against the fees the vendor owes, in one transaction that marks both settled."""

from uuid import UUID

from django.db import transaction
from django.utils import timezone

from marketflow.audit import ADDITION, CHANGE, audit_records
from marketflow.currencies import format_money
from marketflow.errors import ValidationFailedError
from marketflow.models import User
from marketflow.selectors import market_get
from marketflow.validation import full_clean
from sales.errors import NothingToSettleError, PayoutVendorNotFoundError, SettlementChangedError
from sales.models import SalesReport, Settlement
from sales.selectors import fees_owed, fees_total, unsettled_reports
from stalls.models import SALES_FEE_DUE, STALL_FEE_DUE, Booking
from stalls.selectors import booked_vendor_get


def _what_is_owed(tokens_cents: int, fees_cents: int, currency: str) -> str:
    net = tokens_cents - fees_cents
    if net > 0:
        return f"the market paid {format_money(net, currency)}"
    if net < 0:
        return f"the vendor paid {format_money(-net, currency)}"
    return "nothing changed hands"


@transaction.atomic
def settlement_create(
    *,
    user: User,
    market_id: UUID,
    vendor_id: UUID,
    method: str,
    reference: str = "",
    expected_net_cents: int,
) -> Settlement:
    """Settle vendor ``vendor_id`` at one of ``user``'s markets: the tokens of their reports
    not yet settled, net of the fees they owe (``sales.selectors.fees_owed``), as the
    organizer saw them (``expected_net_cents``, tokens minus fees). Marks the reports settled
    and the fees paid (``Booking.PaymentMethod.SETTLEMENT``), and records who settled, how
    (``method``, ``reference``) and which bookings.

    Locks the vendor's bookings at the market (in pk order: what a report or its revision
    locks first), then their unsettled reports; a report or revision that committed first is
    counted, one that comes after finds the day settled. Raises MarketNotFoundError,
    PayoutVendorNotFoundError, ValidationFailedError (method, reference; ``none`` when money
    changes hands), NothingToSettleError, SettlementChangedError (the figures differ from
    ``expected_net_cents``).
    """
    market = market_get(user=user, market_id=market_id)
    vendor = booked_vendor_get(market=market, vendor_id=vendor_id)
    if vendor is None:
        raise PayoutVendorNotFoundError()
    settlement = Settlement(
        market=market,
        vendor=vendor,
        method=method,
        reference=(reference or "").strip(),
        created_by=user,
    )
    # The lock only: what is owed is read below, after it, from the rows as committed.
    list(
        Booking.objects.select_for_update(no_key=True)
        .filter(market_day__market=market, vendor=vendor)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    reports = list(
        unsettled_reports(market=market, vendor_id=vendor.pk)
        .select_for_update(no_key=True)
        .order_by("pk")
    )
    owed = fees_owed(market=market, vendor_id=vendor.pk)
    bookings = list(owed.order_by("pk"))
    settlement.tokens_cents = sum(report.tokens_cents for report in reports)
    settlement.fees_cents = owed.aggregate(total=fees_total())["total"]
    settlement.net_cents = settlement.tokens_cents - settlement.fees_cents
    full_clean(settlement, exclude=["market", "vendor", "created_by"])
    if not settlement.tokens_cents and not settlement.fees_cents:
        raise NothingToSettleError(extra={"vendor_id": str(vendor.pk)})
    if settlement.net_cents != expected_net_cents:
        raise SettlementChangedError(
            extra={
                "tokens_cents": settlement.tokens_cents,
                "fees_cents": settlement.fees_cents,
                "net_cents": settlement.net_cents,
            }
        )
    if settlement.net_cents and settlement.method == Settlement.Method.NONE:
        amount = format_money(abs(settlement.net_cents), market.currency)
        raise ValidationFailedError(fields={"method": [f"Say how the {amount} was paid."]})
    settlement.save()
    settlement.bookings.set(bookings)
    now = timezone.now()
    SalesReport.objects.filter(pk__in=[report.pk for report in reports]).update(
        settlement=settlement, updated_at=now
    )
    paid = Booking.PaymentStatus.PAID
    Booking.objects.filter(STALL_FEE_DUE, pk__in=[b.pk for b in bookings]).update(
        payment_status=paid,
        payment_method=Booking.PaymentMethod.SETTLEMENT,
        payment_reference=f"Settlement {settlement.pk}",
        paid_at=now,
        updated_at=now,
    )
    Booking.objects.filter(SALES_FEE_DUE, pk__in=[b.pk for b in bookings]).update(
        sales_fee_status=paid, updated_at=now
    )
    currency = market.currency
    summary = (
        f"Settled with {vendor.business_name}: tokens "
        f"{format_money(settlement.tokens_cents, currency)}, fees "
        f"{format_money(settlement.fees_cents, currency)}; "
        f"{_what_is_owed(settlement.tokens_cents, settlement.fees_cents, currency)} "
        f"({settlement.get_method_display()}"
        + (f", {settlement.reference}" if settlement.reference else "")
        + ")."
    )
    audit_records(
        user=user,
        entries=[
            (settlement, summary, ADDITION),
            *((booking, f"Fees settled against tokens: {summary}", CHANGE) for booking in bookings),
        ],
    )
    return settlement
