"""Shared by the waitlist tests: a full market day, vendors waiting, and what happened."""

from django.contrib.admin.models import LogEntry

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.tests.factories import MarketDayFactory
from stalls import services
from stalls.models import StallOffer
from stalls.tests.factories import BookingFactory, StallFactory, accepted_vendor_with_account


def full_day_of(market):
    """A market day whose one stall is booked by someone accepted."""
    market_day = MarketDayFactory(market=market)
    stall = StallFactory(market=market, label="A1")
    holder = AcceptedApplicationFactory(market=market).vendor
    booking = BookingFactory(market_day=market_day, stall=stall, vendor=holder)
    return market_day, stall, booking


def join(market, market_day, count=1):
    """``count`` accepted vendors with accounts on ``market_day``'s waitlist, in order."""
    users = []
    for _ in range(count):
        _vendor, user = accepted_vendor_with_account(market)
        services.waitlist_join(user=user, market_day_id=market_day.pk)
        users.append(user)
    return users


def cancel(organizer, booking):
    services.booking_cancel(
        user=organizer,
        market_id=booking.market_day.market_id,
        market_day_id=booking.market_day_id,
        booking_id=booking.pk,
    )


def history(market_day) -> list[str]:
    return list(
        LogEntry.objects.filter(object_id=str(market_day.pk))
        .order_by("id")
        .values_list("change_message", flat=True)
    )


def open_offer(user) -> StallOffer:
    return StallOffer.objects.get(vendor__user=user, state=StallOffer.State.OPEN)
