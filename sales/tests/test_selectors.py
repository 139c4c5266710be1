"""The reportable days the pages, the API and the reminders list are the days the service
takes: a day counts once it has started at its market, in the market's own time zone."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.errors import DomainError
from marketflow.tests.factories import MarketDayFactory, MarketFactory
from sales.selectors import vendor_days_to_report, vendor_sales_days
from sales.services import sales_report_submit
from stalls.tests.factories import BookingFactory, accepted_vendor_with_account

pytestmark = pytest.mark.django_db

# From UTC-12 to UTC+14: a market's today is the UTC date, the day before or the day after.
ZONES = ["Etc/GMT+12", "America/Los_Angeles", "UTC", "Asia/Tokyo", "Pacific/Kiritimati"]


def day_around_now(market, hours: int):
    """A market day of ``market`` whose start is ``hours`` from now, at the market (None if
    that start falls on another date there or its end would pass midnight)."""
    local = timezone.now().astimezone(zoneinfo.ZoneInfo(market.timezone))
    start = local + datetime.timedelta(hours=hours)
    if start.date() != local.date() or start.hour >= 22:
        return None
    return MarketDayFactory(
        market=market,
        date=start.date(),
        start_time=start.time().replace(microsecond=0),
        end_time=datetime.time(23, 0),
    )


def accepted(user, booking) -> bool:
    try:
        sales_report_submit(user=user, booking_id=booking.pk, amounts={"cash": 1})
    except DomainError:
        return False
    return True


@pytest.mark.parametrize("zone", ZONES)
def test_a_day_is_listed_exactly_when_the_service_takes_it(zone):
    vendor, user = accepted_vendor_with_account(MarketFactory(timezone=zone))
    bookings = []
    for hours in (-1, 1):
        market = MarketFactory(timezone=zone)
        AcceptedApplicationFactory(market=market, vendor=vendor)
        market_day = day_around_now(market, hours)
        if market_day is not None:
            bookings.append(BookingFactory(market_day=market_day, vendor=vendor))
    if not bookings:
        pytest.skip("midnight at the market: no day starts within the hour")

    listed = {booking.pk for booking in vendor_sales_days(vendor=vendor)}
    to_report = {booking.pk for booking in vendor_days_to_report(vendor=vendor)}

    for booking in bookings:
        started = booking.market_day.starts_at <= timezone.now()
        assert (booking.pk in listed) == (booking.pk in to_report) == started
        assert accepted(user, booking) == started
