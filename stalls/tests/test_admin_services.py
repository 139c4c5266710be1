"""Services added for the admin site: filling a market day from the stalls' regular vendors."""

import datetime

import pytest

from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow.models import MarketDay
from marketflow.tests.factories import MarketDayFactory
from stalls.models import Booking
from stalls.services import booking_fill_from_regulars
from stalls.tests.factories import BookingFactory, StallFactory
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db


def accepted_vendor(market):
    return AcceptedApplicationFactory(market=market, vendor=VendorFactory()).vendor


def fill(user, market_day):
    return booking_fill_from_regulars(
        user=user, market_id=market_day.market_id, market_day_id=market_day.pk
    )


def test_regular_vendors_are_booked_on_their_free_stalls(organizer, market, market_day):
    regular = accepted_vendor(market)
    stall = StallFactory(market=market, assigned_vendor=regular, price_per_day=3000)
    StallFactory(market=market)  # no regular vendor: stays free

    result = fill(organizer, market_day)

    booking = Booking.objects.get(market_day=market_day)
    assert (booking.stall, booking.vendor, booking.fee_cents) == (stall, regular, 3000)
    assert booking.booked_by == organizer
    assert result.booked == [booking] and result.skipped == []


def test_booked_stalls_unaccepted_and_already_booked_vendors_are_skipped_with_reasons(
    organizer, market, market_day
):
    booked_elsewhere = accepted_vendor(market)
    taken = StallFactory(market=market, label="A1", assigned_vendor=accepted_vendor(market))
    BookingFactory(market_day=market_day, stall=taken, vendor=booked_elsewhere)
    pending = ApplicationFactory(market=market, vendor=VendorFactory()).vendor
    not_accepted = StallFactory(market=market, label="A2", assigned_vendor=pending)
    double = StallFactory(market=market, label="A3", assigned_vendor=booked_elsewhere)
    before = set(Booking.objects.values_list("pk", flat=True))

    result = fill(organizer, market_day)

    assert result.booked == []
    assert [(stall, reason) for stall, reason in result.skipped] == [
        (taken, "the stall is already booked"),
        (not_accepted, "its regular vendor has no accepted application"),
        (double, "its regular vendor already has a stall that day"),
    ]
    assert set(Booking.objects.values_list("pk", flat=True)) == before


def test_one_vendor_regular_on_two_stalls_gets_only_the_first(organizer, market, market_day):
    regular = accepted_vendor(market)
    first = StallFactory(market=market, label="B1", assigned_vendor=regular)
    second = StallFactory(market=market, label="B2", assigned_vendor=regular)

    result = fill(organizer, market_day)

    assert [booking.stall for booking in result.booked] == [first]
    assert result.skipped == [(second, "its regular vendor already has a stall that day")]


def test_a_cancelled_day_is_refused(organizer, market, refused):
    day = MarketDayFactory(market=market, status=MarketDay.Status.CANCELLED)
    StallFactory(market=market, assigned_vendor=accepted_vendor(market))
    with refused("market_day_cancelled"):
        fill(organizer, day)


def test_a_past_day_is_refused(organizer, market, refused):
    day = MarketDayFactory(market=market, date=market.today() - datetime.timedelta(days=1))
    StallFactory(market=market, assigned_vendor=accepted_vendor(market))
    with refused("market_day_in_past"):
        fill(organizer, day)


def test_another_organizers_day_is_not_found(other_organizer, market, market_day, refused):
    StallFactory(market=market, assigned_vendor=accepted_vendor(market))
    with refused("not_found"):
        fill(other_organizer, market_day)
