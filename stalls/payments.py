"""Stall fees paid by card through Stripe Connect, into the organizer's own Stripe account.

A vendor pays one or several unpaid bookings of one market in one Checkout session, in the
market's currency. The session's metadata names the bookings and their amounts, so the
payment is applied from the event alone: on ``checkout.session.completed`` (or
``payment_intent.succeeded``, whichever comes first; the other finds it applied) the bookings
are locked, in pk order, and each one still unpaid becomes paid by card. A booking that was
cancelled, or paid or waived otherwise meanwhile, or already paid by another session, gets its
amount refunded: a vendor is never charged twice. Refunds carry an idempotency key per
payment and booking, so a retried event or request refunds once.
"""

import logging
from uuid import UUID

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper
from django.urls import reverse
from django.utils import timezone

from marketflow.audit import CHANGE, audit_record
from marketflow.email_tasks import enqueue_email
from marketflow.emails import absolute_url
from marketflow.errors import MarketDayCancelledError, StripeNotConnectedError
from marketflow.models import MarketDay, User
from marketflow.stripe_api import stripe_call
from marketflow.templatetags.money import money
from stalls.errors import BookingNotFoundError, BookingNotUnpaidError, NothingToPayError
from stalls.models import OWED_DAY, SALES_FEE_DUE, STALL_FEE_DUE, Booking
from stalls.tasks import send_stall_fee_receipt, send_stall_fee_refund
from vendors.models import Vendor
from vendors.selectors import vendor_for_user

logger = logging.getLogger(__name__)

# The metadata naming the bookings of a payment holds at most 500 characters.
MAX_BOOKINGS_PER_PAYMENT = 10
PAYMENT_KIND = "stall_fees"


def unpaid_bookings_by_market(*, vendor: Vendor) -> list[dict]:
    """What ``vendor`` owes, per market: ``{"market", "bookings", "sales_fees",
    "total_cents", "can_pay"}``, oldest day first: ``bookings`` with an unpaid stall fee
    (payable by card), ``sales_fees`` with an unpaid sales fee (``Booking.sales_fee_cents``,
    settled with the organizer), ``total_cents`` both. Reads the columns the vendor portal
    shows, nothing more."""
    bookings = (
        Booking.objects.filter(OWED_DAY, STALL_FEE_DUE | SALES_FEE_DUE, vendor=vendor)
        .annotate(
            stall_fee_due=ExpressionWrapper(STALL_FEE_DUE, output_field=BooleanField()),
            sales_fee_due=ExpressionWrapper(SALES_FEE_DUE, output_field=BooleanField()),
        )
        .select_related("stall", "market_day__market__organizer")
        .only(
            "fee_cents",
            "sales_fee_cents",
            "sales_fee_note",
            "stall__label",
            "market_day__date",
            "market_day__market__name",
            "market_day__market__currency",
            "market_day__market__organizer__stripe_charges_enabled",
        )
        .order_by("market_day__market__name", "market_day__date")
    )
    markets: dict = {}
    for booking in bookings:
        market = booking.market_day.market
        entry = markets.setdefault(
            market.pk,
            {
                "market": market,
                "bookings": [],
                "sales_fees": [],
                "total_cents": 0,
                "can_pay": market.organizer.stripe_charges_enabled,
            },
        )
        if booking.stall_fee_due:
            entry["bookings"].append(booking)
            entry["total_cents"] += booking.fee_cents
        if booking.sales_fee_due:
            entry["sales_fees"].append(booking)
            entry["total_cents"] += booking.sales_fee_cents
    return list(markets.values())


def _application_fee(total_cents: int) -> int:
    return int(total_cents * settings.MARKETFLOW_PLATFORM_FEE_PERCENT / 100)


def booking_checkout_url(*, user: User, market_id: UUID, booking_ids: list[UUID]) -> str:
    """A Stripe Checkout session, on the organizer's connected account, for the signed-in
    vendor's unpaid bookings ``booking_ids`` of one market. Nothing is locked or written: the
    payment is applied when Stripe reports it. Raises NotAVendorError, BookingNotFoundError,
    BookingNotUnpaidError, MarketDayCancelledError, NothingToPayError,
    StripeNotConnectedError, PaymentsNotConfiguredError, PaymentProviderError."""
    vendor = vendor_for_user(user=user)
    wanted = set(booking_ids)
    if not wanted or len(wanted) > MAX_BOOKINGS_PER_PAYMENT:
        raise NothingToPayError(
            f"Choose between 1 and {MAX_BOOKINGS_PER_PAYMENT} bookings to pay at once."
        )
    bookings = list(
        Booking.objects.active()
        .filter(pk__in=wanted, vendor=vendor, market_day__market_id=market_id)
        .select_related("stall", "market_day__market__organizer")
        .order_by("market_day__date", "pk")
    )
    if len(bookings) != len(wanted):
        raise BookingNotFoundError()
    for booking in bookings:
        if booking.payment_status != Booking.PaymentStatus.UNPAID:
            raise BookingNotUnpaidError(extra={"booking_id": str(booking.pk)})
        if booking.market_day.is_cancelled:
            raise MarketDayCancelledError(extra={"date": str(booking.market_day.date)})
        if booking.fee_cents <= 0:
            raise NothingToPayError(extra={"booking_id": str(booking.pk)})
    market = bookings[0].market_day.market
    organizer = market.organizer
    if not (organizer.stripe_account_id and organizer.stripe_charges_enabled):
        raise StripeNotConnectedError()
    total = sum(booking.fee_cents for booking in bookings)
    metadata = {
        "kind": PAYMENT_KIND,
        "market_id": str(market.pk),
        "vendor_id": str(vendor.pk),
        "bookings": ",".join(f"{booking.pk}:{booking.fee_cents}" for booking in bookings),
    }
    payment_intent_data: dict = {"metadata": metadata}
    if fee := _application_fee(total):
        payment_intent_data["application_fee_amount"] = fee
    portal = absolute_url(reverse("vendor-portal"))
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": market.currency.lower(),
                    "unit_amount": booking.fee_cents,
                    "product_data": {
                        "name": f"{market.name}: stall {booking.stall.label}, "
                        f"{booking.market_day.date:%Y-%m-%d}"
                    },
                },
            }
            for booking in bookings
        ],
        "payment_intent_data": payment_intent_data,
        "metadata": metadata,
        "client_reference_id": str(vendor.pk),
        "customer_email": vendor.email,
        "success_url": f"{portal}?paid=1",
        "cancel_url": portal,
    }
    session = stripe_call(
        lambda client: client.v1.checkout.sessions.create(
            params, {"stripe_account": organizer.stripe_account_id}
        )
    )
    return session.url


def _booked_amounts(metadata: dict) -> dict[UUID, int] | None:
    """The ``bookings`` metadata as {booking id: amount}; None when it is not ours."""
    if metadata.get("kind") != PAYMENT_KIND:
        return None
    amounts: dict[UUID, int] = {}
    try:
        for item in str(metadata.get("bookings") or "").split(","):
            booking_id, amount = item.split(":")
            amounts[UUID(booking_id)] = int(amount)
    except ValueError:
        return None
    return amounts


def _refund(*, account: str, payment_intent_id: str, booking_id, amount_cents: int):
    return stripe_call(
        lambda client: client.v1.refunds.create(
            {
                "payment_intent": payment_intent_id,
                "amount": amount_cents,
                "metadata": {"booking_id": str(booking_id)},
            },
            {
                "stripe_account": account,
                "idempotency_key": f"refund-{payment_intent_id}-{booking_id}",
            },
        )
    )


def payment_bookings_lock(booking_ids: list[UUID]) -> list[Booking]:
    """The bookings a payment names (cancelled ones too), locked in pk order: a cancellation or
    another payment of them waits for ours, or we wait for theirs and see its outcome. Their
    days' status is read again once locked: a day cancelled while we waited (which locks its
    bookings) is seen, though the joined day row was read before the wait."""
    bookings = list(
        Booking.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk__in=booking_ids)
        .select_related("vendor__user", "stall", "market_day__market__organizer")
        .order_by("pk")
    )
    statuses = dict(
        MarketDay.objects.filter(pk__in={b.market_day_id for b in bookings}).values_list(
            "pk", "status"
        )
    )
    for booking in bookings:
        booking.market_day.status = statuses[booking.market_day_id]
    return bookings


def booking_payment_succeeded(*, payment: dict, account: str) -> None:
    """A payment of stall fees succeeded (a completed Checkout session in payment mode, or
    its payment intent): mark each booking it names paid by card, or refund its amount if
    the booking is cancelled (or gone), not unpaid any more, or the vendor's no longer (a
    cancelled unpaid booking is then marked refunded). Called inside the event's
    transaction; locks the bookings in pk order. Raises PaymentProviderError (the
    transaction rolls back and Stripe delivers the event again)."""
    metadata = payment.get("metadata") or {}
    amounts = _booked_amounts(metadata)
    payment_intent_id = payment.get("payment_intent") or payment.get("id")
    if payment.get("object") == "checkout.session" and payment.get("payment_status") != "paid":
        return  # an asynchronous method: the payment intent's success will follow
    if not amounts or not isinstance(payment_intent_id, str) or not account:
        logger.warning("Stripe payment %s names no bookings of ours", payment.get("id"))
        return
    vendor_id = metadata.get("vendor_id")
    bookings = {booking.pk: booking for booking in payment_bookings_lock(list(amounts))}
    now = timezone.now()
    paid, refunds = [], []
    for booking_id, amount in amounts.items():
        booking = bookings.get(booking_id)
        if (
            booking is not None
            and booking.payment_method == Booking.PaymentMethod.CARD
            and booking.payment_reference == payment_intent_id
        ):
            continue  # applied already, from the session's other event
        if (
            booking is not None
            and not booking.is_cancelled
            and not booking.market_day.is_cancelled
            and booking.payment_status == Booking.PaymentStatus.UNPAID
            and str(booking.vendor_id) == vendor_id
            and booking.market_day.market.organizer.stripe_account_id == account
        ):
            paid.append(booking)
        else:
            refunds.append((booking_id, amount, booking))
    if paid:
        Booking.objects.filter(pk__in=[booking.pk for booking in paid]).update(
            payment_status=Booking.PaymentStatus.PAID,
            payment_method=Booking.PaymentMethod.CARD,
            payment_reference=payment_intent_id,
            paid_at=now,
            updated_at=now,
        )
        for booking in paid:
            audit_record(
                user=booking.vendor.user or booking.market_day.market.organizer,
                obj=booking,
                message=f"Paid {money(booking.fee_cents, booking.market_day.market.currency)} "
                f"by card through Stripe ({payment_intent_id}).",
                action=CHANGE,
            )
        enqueue_email(
            send_stall_fee_receipt,
            booking_ids=[str(booking.pk) for booking in paid],
            reference=payment_intent_id,
        )
    for booking_id, amount, booking in refunds:
        refund = _refund(
            account=account,
            payment_intent_id=payment_intent_id,
            booking_id=booking_id,
            amount_cents=amount,
        )
        cancelled = booking is None or booking.is_cancelled
        if cancelled:
            reason = "the booking was cancelled."
        elif booking.market_day.is_cancelled:
            reason = "the market day was cancelled."
        else:
            reason = "the booking's fee was already settled."
        logger.info(
            "Refunded %s of %s for booking %s: %s", amount, payment_intent_id, booking_id, reason
        )
        if booking is not None:
            if cancelled and booking.payment_status == Booking.PaymentStatus.UNPAID:
                # The kept row says what became of the payment: made by card, then refunded.
                Booking.objects.filter(pk=booking.pk).update(
                    payment_status=Booking.PaymentStatus.REFUNDED,
                    payment_method=Booking.PaymentMethod.CARD,
                    payment_reference=payment_intent_id,
                    refund_reference=refund.id or "",
                    refunded_at=now,
                    updated_at=now,
                )
            audit_record(
                user=booking.vendor.user or booking.market_day.market.organizer,
                obj=booking,
                message=f"Refunded a payment by card ({payment_intent_id}): {reason}",
            )
        enqueue_email(
            send_stall_fee_refund,
            vendor_id=vendor_id,
            market_id=metadata.get("market_id"),
            amount_cents=amount,
            reference=payment_intent_id,
            reason=reason,
        )


def booking_refund_card_payment(
    *, user: User, booking: Booking, reason: str, notify: bool = True
) -> None:
    """Refund a booking paid by card through Stripe (``reason``: why, for the audit and the
    vendor's e-mail) and set it ``refunded`` with the refund's id and time; the caller saves
    it. Call it inside the cancellation's transaction with the booking locked; ``notify``:
    e-mail the vendor the refund (not when another e-mail says it). Raises
    PaymentProviderError (nothing is cancelled then)."""
    market = booking.market_day.market
    refund = _refund(
        account=market.organizer.stripe_account_id,
        payment_intent_id=booking.payment_reference,
        booking_id=booking.pk,
        amount_cents=booking.fee_cents,
    )
    booking.payment_status = Booking.PaymentStatus.REFUNDED
    booking.refund_reference = refund.id or ""
    booking.refunded_at = timezone.now()
    audit_record(
        user=user,
        obj=booking,
        message=f"Refunded {money(booking.fee_cents, market.currency)} through Stripe "
        f"({booking.payment_reference}, refund {booking.refund_reference}): {reason}",
    )
    if not notify:
        return
    enqueue_email(
        send_stall_fee_refund,
        vendor_id=str(booking.vendor_id),
        market_id=str(market.pk),
        amount_cents=booking.fee_cents,
        reference=booking.payment_reference,
        reason=reason,
    )


def is_paid_by_card(booking: Booking) -> bool:
    return (
        booking.payment_status == Booking.PaymentStatus.PAID
        and booking.payment_method == Booking.PaymentMethod.CARD
    )
