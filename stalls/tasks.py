"""E-mails of the stalls app, sent through Django's tasks API (``enqueue_email``): an
organizer's messages to vendors, and receipts and refunds of stall fees paid by card, and
waitlist offers of freed stalls."""

import datetime

from django.urls import reverse
from django.utils import timezone

from marketflow.email_tasks import email_task
from marketflow.emails import absolute_url, templated_email
from marketflow.models import Market
from stalls.models import Booking, MarketMessage, StallOffer
from vendors.models import Vendor


@email_task
def send_market_message(*, message_id: str):
    """An organizer's message, one e-mail per vendor written to (nobody sees the others'
    addresses), each with the organizer as the address to reply to. A send that fails is
    retried from the first e-mail not sent (``@email_task``)."""
    message = MarketMessage.objects.select_related("market__organizer").get(pk=message_id)
    market = message.market
    for email in message.recipients:
        mail = templated_email(
            template="market_message",
            to=[email],
            context={"message": message, "market": market},
        )
        mail.reply_to = [market.organizer.email]
        yield mail


@email_task
def send_stall_fee_receipt(*, booking_ids: list[str], reference: str):
    """To the vendor: the receipt of one card payment of one or several bookings."""
    bookings = list(
        Booking.objects.active()
        .filter(pk__in=booking_ids)
        .select_related("vendor", "stall", "market_day__market")
        .order_by("market_day__date")
    )
    if not bookings:  # cancelled (and refunded) since
        return
    vendor, market = bookings[0].vendor, bookings[0].market_day.market
    yield templated_email(
        template="stall_fee_receipt",
        to=[vendor.email],
        context={
            "vendor": vendor,
            "market": market,
            "bookings": bookings,
            "total_cents": sum(booking.fee_cents for booking in bookings),
            "reference": reference,
            "paid_at": bookings[0].paid_at or timezone.now(),
            "portal_url": absolute_url(reverse("vendor-portal")),
        },
    )


@email_task
def send_stall_fee_refund(
    *, vendor_id: str, market_id: str, amount_cents: int, reference: str, reason: str
):
    """To the vendor: an amount of a card payment goes back to their card, and why."""
    vendor = Vendor.objects.get(pk=vendor_id)
    market = Market.objects.get(pk=market_id)
    yield templated_email(
        template="stall_fee_refund",
        to=[vendor.email],
        context={
            "vendor": vendor,
            "currency": market.currency,
            "amount_cents": amount_cents,
            "reference": reference,
            "reason": reason,
            "portal_url": absolute_url(reverse("vendor-portal")),
        },
    )


@email_task
def send_stall_offer(*, offer_id: str):
    """To the vendor first on a full day's waitlist: a stall is theirs to accept until the
    offer's deadline, with the link to the portal's offer page."""
    offer = StallOffer.objects.select_related("vendor", "stall", "market_day__market").get(
        pk=offer_id
    )
    market = offer.market_day.market
    yield templated_email(
        template="stall_offer",
        to=[offer.vendor.email],
        context={
            "offer": offer,
            "market": market,
            "deadline": timezone.localtime(offer.expires_at, market.tz),
            "offer_url": absolute_url(reverse("vendor-offer", kwargs={"offer_id": offer.pk})),
        },
    )


@email_task
def send_market_day_cancelled(*, booking_id: str, outcome: str):
    """To a vendor booked on a market day that was cancelled: the day is off, and what
    became of their fee (``outcome``: credited, refunded, refund due, no longer owed)."""
    booking = Booking.objects.select_related("vendor", "stall", "market_day__market").get(
        pk=booking_id
    )
    yield templated_email(
        template="market_day_cancelled",
        to=[booking.vendor.email],
        context={
            "vendor": booking.vendor,
            "booking": booking,
            "market": booking.market_day.market,
            "outcome": outcome,
            "portal_url": absolute_url(reverse("vendor-portal")),
        },
    )


@email_task
def send_market_day_retimed(*, booking_id: str, was: list[str]):
    """To a vendor booked on a market day whose times changed: the new times, and the former
    ones (``was``: start and end, ``HH:MM``). Nothing if the booking was cancelled since."""
    booking = (
        Booking.objects.active()
        .select_related("vendor", "stall", "market_day__market")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        return
    yield templated_email(
        template="market_day_retimed",
        to=[booking.vendor.email],
        context={
            "vendor": booking.vendor,
            "booking": booking,
            "market": booking.market_day.market,
            "was": [datetime.time.fromisoformat(time) for time in was],
            "portal_url": absolute_url(reverse("vendor-portal")),
        },
    )
