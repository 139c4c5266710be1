"""Reads of token reconciliation: what the market owes each vendor for the tokens they took in
(their reports not yet settled), what each owes in fees, the net, and the settlements made."""

import operator
from collections import defaultdict
from functools import reduce
from uuid import UUID

from django.db.models import F, QuerySet, Sum
from django.db.models.functions import Coalesce

from marketflow.models import Market
from sales.models import TOKEN_FIELDS, SalesReport, Settlement
from stalls.models import OWED_DAY, SALES_FEE_DUE, STALL_FEE_DUE, Booking
from stalls.selectors import vendor_fee_statements
from vendors.models import Vendor


def unsettled_reports(*, market: Market | None = None, vendor_id: UUID | None = None):
    """Reports whose tokens the market has not paid yet (of ``market``, of ``vendor_id``)."""
    reports = SalesReport.objects.filter(settlement__isnull=True)
    if market is not None:
        reports = reports.filter(market=market)
    if vendor_id is not None:
        reports = reports.filter(vendor_id=vendor_id)
    return reports


def fees_owed(*, market: Market | None = None, vendor_id: UUID | None = None) -> QuerySet:
    """Bookings with a fee owed (``OWED_DAY``, a stall fee or a sales fee unpaid)."""
    bookings = Booking.objects.filter(OWED_DAY, STALL_FEE_DUE | SALES_FEE_DUE)
    if market is not None:
        bookings = bookings.filter(market_day__market=market)
    if vendor_id is not None:
        bookings = bookings.filter(vendor_id=vendor_id)
    return bookings


def tokens_total() -> Coalesce:
    """The sum of the token currencies of reports: what the market owes for them."""
    return Coalesce(Sum(reduce(operator.add, (F(field) for field in TOKEN_FIELDS))), 0)


def fees_total() -> Coalesce:
    """The sum of the unpaid stall and sales fees of ``fees_owed`` bookings."""
    return Coalesce(Sum("fee_cents", filter=STALL_FEE_DUE), 0) + Coalesce(
        Sum("sales_fee_cents", filter=SALES_FEE_DUE), 0
    )


def _balances(*, market: Market | None = None, vendor_id: UUID | None = None) -> dict:
    """``{(market_id, vendor_id): {"tokens_cents", "fees_cents", "net_cents"}}`` for every
    pair with tokens or fees owed: two queries however many vendors and days."""
    balances = defaultdict(lambda: {"tokens_cents": 0, "fees_cents": 0})
    tokens = (
        unsettled_reports(market=market, vendor_id=vendor_id)
        .values("market_id", "vendor_id")
        .annotate(total=tokens_total())
        .filter(total__gt=0)
        .order_by()
    )
    for row in tokens:
        balances[row["market_id"], row["vendor_id"]]["tokens_cents"] = row["total"]
    fees = (
        fees_owed(market=market, vendor_id=vendor_id)
        .values("vendor_id", market_id=F("market_day__market_id"))
        .annotate(total=fees_total())
        .order_by()
    )
    for row in fees:
        balances[row["market_id"], row["vendor_id"]]["fees_cents"] = row["total"]
    for balance in balances.values():
        balance["net_cents"] = balance["tokens_cents"] - balance["fees_cents"]
    return dict(balances)


def market_payouts(*, market: Market) -> list[dict]:
    """Each vendor of ``market`` with tokens or fees owed, by business name: ``vendor_id``,
    ``business_name``, ``tokens_cents`` (the market owes them), ``fees_cents`` (they owe the
    market) and ``net_cents`` (above 0: the market pays them). Three queries."""
    balances = _balances(market=market)
    names = dict(
        Vendor.objects.filter(pk__in=[vendor_id for _, vendor_id in balances]).values_list(
            "id", "business_name"
        )
    )
    rows = [
        {"vendor_id": vendor_id, "business_name": names[vendor_id], **balance}
        for (_, vendor_id), balance in balances.items()
    ]
    return sorted(rows, key=lambda row: (row["business_name"], str(row["vendor_id"])))


def settlement_list(*, market: Market) -> QuerySet[Settlement]:
    """The market's settlements, latest first, with their vendor and who made them."""
    return (
        Settlement.objects.filter(market=market)
        .select_related("vendor", "created_by")
        .order_by("-created_at", "-pk")
    )


def vendor_statements(*, vendor_id: UUID) -> list[dict]:
    """The vendor's fee statements (``stalls.selectors.vendor_fee_statements``), each netted
    against the tokens the market owes them: ``tokens_owed_cents`` (reports not yet settled)
    and ``net_cents``, tokens owed minus fees due (above 0: the market pays the vendor)."""
    tokens_of = dict(
        unsettled_reports(vendor_id=vendor_id)
        .values("market_id")
        .annotate(total=tokens_total())
        .values_list("market_id", "total")
        .order_by()
    )
    statements = vendor_fee_statements(vendor_id=vendor_id)
    for statement in statements:
        tokens = tokens_of.get(statement["market_id"], 0)
        statement["tokens_owed_cents"] = tokens
        statement["net_cents"] = tokens - statement["due_cents"]
    return statements
