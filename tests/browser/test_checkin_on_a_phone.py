"""Check-in on the market day at 390 px: the manager taps arrived / late / no-show on each
booking and sees what has been saved on the row, with its time; with JavaScript (checkin.js
saves with fetch, no reload) and without (each tap a plain form POST, the page comes back).
The page never scrolls sideways."""

import pytest

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.tests.factories import MarketDayFactory, MarketFactory, OrganizerFactory
from stalls.models import Booking
from stalls.tests.factories import BookingFactory, StallFactory
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_day_on_a_phone import PAGE_SCROLLS_SIDEWAYS, WIDE, save, sign_in
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def today():
    organizer = OrganizerFactory(email="manager@riverside.example")
    market = MarketFactory(organizer=organizer, name="Riverside Farmers Market")
    day = MarketDayFactory(market=market, date=market.today())
    for label, name in [
        ("A1", "Green Valley Produce and Orchard Cooperative of the Upper Valley"),
        ("A2", "Hill Bakery"),
        ("B1", "Honey Hive"),
    ]:
        vendor = VendorFactory(business_name=name, phone="+1 555 0100")
        AcceptedApplicationFactory(market=market, vendor=vendor)
        BookingFactory(
            market_day=day, stall=StallFactory(market=market, label=label), vendor=vendor
        )
    return day


def booking_of(day, label) -> Booking:
    return Booking.objects.get(market_day=day, stall__label=label)


def test_check_in_on_a_phone_with_javascript(live_server, phone_page, today):
    page = phone_page
    sign_in(page, live_server.url, "manager@riverside.example")
    page.goto(f"{live_server.url}/admin/stalls/booking/board/{today.pk}/")
    page.click("#checkin-link")
    page.wait_for_selector("#checkin-list")
    assert page.locator(".checkin-stall").all_inner_texts() == ["A1", "A2", "B1"]
    assert axe_violations(page) == []

    hill = booking_of(today, "A2")
    row = page.locator(f"#checkin-{hill.pk}")
    row.get_by_role("button", name="Late: A2, Hill Bakery").click()

    row.locator(".checkin-note", has_text="saved").wait_for()
    assert row.locator(".checkin-state").inner_text().startswith("Late at ")
    assert page.locator("#checkin-count").inner_text() == "1 of 3 checked in"
    assert (
        row.get_by_role("button", name="Late: A2, Hill Bakery").get_attribute("aria-pressed")
        == "true"
    )
    hill.refresh_from_db()
    assert hill.attendance == "late"
    assert page.evaluate(PAGE_SCROLLS_SIDEWAYS) is False, page.evaluate(WIDE)
    save(page, "checkin-phone")

    # The connection drops: the row says it was not saved, and what was saved stays shown.
    page.context.set_offline(True)
    row.get_by_role("button", name="No-show: A2, Hill Bakery").click()
    row.locator(".checkin-note.checkin-failed").wait_for()
    assert "Not saved" in row.locator(".checkin-note").inner_text()
    assert row.locator(".checkin-state").inner_text().startswith("Late at ")
    page.context.set_offline(False)
    row.get_by_role("button", name="No-show: A2, Hill Bakery").click()  # the retry
    row.locator(".checkin-note", has_text="saved").wait_for()
    assert row.locator(".checkin-state").inner_text().startswith("No-show at ")
    hill.refresh_from_db()
    assert hill.attendance == "no_show"


@pytest.fixture
def phone_without_javascript(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, java_script_enabled=False
    )
    yield context.new_page()
    context.close()


def test_check_in_on_a_phone_without_javascript(live_server, phone_without_javascript, today):
    page = phone_without_javascript
    sign_in(page, live_server.url, "manager@riverside.example")
    page.goto(f"{live_server.url}/admin/stalls/booking/board/{today.pk}/checkin/")

    honey = booking_of(today, "B1")
    row = page.locator(f"#checkin-{honey.pk}")
    assert row.locator(".checkin-state").inner_text() == "Not checked in yet"
    row.get_by_role("button", name="Arrived: B1, Honey Hive").click()
    page.wait_for_load_state()

    row = page.locator(f"#checkin-{honey.pk}")
    assert row.locator(".checkin-state").inner_text().startswith("Arrived at ")
    assert (
        row.get_by_role("button", name="Arrived: B1, Honey Hive").get_attribute("aria-pressed")
        == "true"
    )
    assert "Stall B1: Arrived at" in page.locator(".messagelist").inner_text()
    assert page.locator("#checkin-count").inner_text() == "1 of 3 checked in"
    honey.refresh_from_db()
    assert honey.attendance == "arrived"
    assert page.evaluate(PAGE_SCROLLS_SIDEWAYS) is False
    save(page, "checkin-phone-no-js")
