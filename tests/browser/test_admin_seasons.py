"""A market manager sets up a season in the admin in a real browser: writes its weekly pattern
and an exception, sees what saving will do to the market days, saves, then skips a booked day
and sees that it will be cancelled with its booking, not deleted."""

import datetime

import pytest

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.models import MarketDay
from marketflow.tests.factories import MarketFactory, OrganizerFactory
from seasons.models import Season
from seasons.tests.factories import next_weekday
from stalls.tests.factories import BookingFactory, StallFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"  # the factories' password
WEEK = datetime.timedelta(days=7)


def test_a_manager_previews_and_saves_a_season(live_server, desktop_page, screenshot):
    organizer = OrganizerFactory(email="manager@riverside.example")
    market = MarketFactory(organizer=organizer, name="Riverside Farmers Market", currency="EUR")
    start = next_weekday(5)
    page = desktop_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", organizer.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    page.goto(f"{live_server.url}/admin/seasons/season/add/")
    page.select_option("#id_market", str(market.pk))
    page.fill("#id_name", "Summer Saturdays")
    page.fill("#id_start_date", start.isoformat())
    page.fill("#id_end_date", (start + 4 * WEEK).isoformat())
    page.fill("#id_weekly_pattern", "Sat 08:00-13:00")
    page.fill("#id_exceptions", f"{start + WEEK} skip")
    page.fill("#id_fee_cents", "100.00")
    page.click("input[name=_save]")

    page.wait_for_selector("#season-preview")
    assert "This change will create 4 days." in page.inner_text("#season-preview")
    assert not Season.objects.exists()
    screenshot(page, "admin-season-preview")
    page.click("input[name=_save]")

    page.wait_for_selector(".messagelist .success")
    assert "Created 4 days." in page.inner_text(".messagelist")
    season = Season.objects.get()
    assert MarketDay.objects.filter(season_day__season=season).count() == 4

    # A vendor is booked on the second Saturday; skipping it cancels it, with the booking.
    booked = MarketDay.objects.get(date=start + 2 * WEEK)
    vendor = AcceptedApplicationFactory(market=market).vendor
    BookingFactory(market_day=booked, stall=StallFactory(market=market), vendor=vendor)
    page.goto(f"{live_server.url}/admin/seasons/season/{season.pk}/change/")
    page.fill("#id_exceptions", f"{start + WEEK} skip\n{start + 2 * WEEK} skip")
    page.click("input[name=_save]")

    page.wait_for_selector("#season-preview")
    preview = page.inner_text("#season-preview")
    assert "This change will cancel 1 day with 1 booking." in preview
    assert "1 booking, kept" in preview
    screenshot(page, "admin-season-preview-cancel")
    page.click("input[name=_save]")

    page.wait_for_selector(".messagelist .success")
    booked.refresh_from_db()
    assert booked.status == MarketDay.Status.CANCELLED and booked.bookings.count() == 1
