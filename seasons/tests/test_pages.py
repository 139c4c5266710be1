"""The vendor portal shows a full-season vendor their season, their stall and what it costs,
before they pay; nobody else's."""

import datetime

import pytest
from django.test import Client

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.models import MarketDay
from marketflow.tests.factories import UserFactory
from seasons import services
from seasons.tests.factories import next_weekday, saturday_season
from stalls.tests.factories import BookingFactory, StallFactory

pytestmark = pytest.mark.django_db

WEEK = datetime.timedelta(days=7)


def full_season_vendor(organizer, market, vendor, *, fee_cents):
    start = next_weekday(5)
    season = saturday_season(organizer, market, name="Summer Saturdays", fee_cents=fee_cents)
    AcceptedApplicationFactory(market=market, vendor=vendor)
    stall = StallFactory(market=market, label="B7", price_per_day=2500)
    BookingFactory(market_day=MarketDay.objects.get(date=start), stall=stall)  # taken
    services.season_vendor_add(
        user=organizer,
        market_id=market.pk,
        season_id=season.pk,
        vendor_id=vendor.pk,
        stall_id=stall.pk,
    )
    return season


def portal_of(user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/vendor/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_portal_shows_the_season_its_stall_and_the_season_fee(
    organizer, market, vendor, vendor_user
):
    full_season_vendor(organizer, market, vendor, fee_cents=12000)

    page = portal_of(vendor_user)

    assert "Your full-season stalls" in page
    assert "Summer Saturdays" in page and "Sat 08:00–13:00" in page
    assert "Stall <strong>B7</strong> on every market day of the season" in page
    assert "booked on 3 days so far" in page
    # 120.00 over 4 days: 30.00 a day; the first day's stall was taken, so 3 are booked.
    assert "Season fee 120.00 EUR" in page and "your bookings come to 90.00 EUR" in page
    assert page.index("Your full-season stalls") < page.index("What you owe")


def test_without_a_season_fee_the_portal_shows_the_daily_prices(
    organizer, market, vendor, vendor_user
):
    full_season_vendor(organizer, market, vendor, fee_cents=None)

    assert "daily price on each day: 75.00 EUR for your 3 days" in portal_of(vendor_user)


def test_another_vendor_sees_no_season(organizer, market, vendor):
    full_season_vendor(organizer, market, vendor, fee_cents=None)
    other = AcceptedApplicationFactory(market=market).vendor
    other.user = UserFactory(email=other.email)
    other.save(update_fields=["user", "updated_at"])

    assert "Your full-season stalls" not in portal_of(other.user)
