"""A market manager runs a market day from the admin in a real browser: signs in, accepts an
application, books the vendor on the stall board and marks the stall fee paid."""

import datetime

import pytest

from applications.models import Application
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow.tests.factories import MarketDayFactory, MarketFactory, OrganizerFactory
from stalls.models import Booking
from stalls.tests.factories import BookingFactory, StallFactory
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"  # the factories' password


@pytest.fixture
def riverside():
    organizer = OrganizerFactory(email="manager@riverside.example", full_name="Mara Manager")
    market = MarketFactory(
        organizer=organizer,
        name="Riverside Farmers Market",
        slug="riverside",
        location="Old Mill Square",
        currency="EUR",
    )
    today = market.today()
    saturday = MarketDayFactory(
        market=market, date=today + datetime.timedelta(days=(5 - today.weekday()) % 7 + 7)
    )
    stalls = [
        StallFactory(market=market, label=label, price_per_day=price, size_category=size)
        for label, price, size in [
            ("A1", 3000, "3x3"),
            ("A2", 3000, "3x3"),
            ("B1", 2000, "2x2"),
            ("B2", 2000, "2x2"),
        ]
    ]
    regular = AcceptedApplicationFactory(
        market=market, vendor=VendorFactory(business_name="Green Valley Produce")
    ).vendor
    BookingFactory(market_day=saturday, stall=stalls[0], vendor=regular)
    honey = VendorFactory(business_name="Honey Hive", product_categories=["produce", "other"])
    application = ApplicationFactory(
        market=market, vendor=honey, message="Raw honey and beeswax candles, one table."
    )
    ApplicationFactory(
        market=market,
        vendor=VendorFactory(business_name="Sourdough Sisters"),
        product_categories=["baked_goods"],
    )
    return {"organizer": organizer, "day": saturday, "application": application, "honey": honey}


def test_a_manager_accepts_books_and_takes_the_fee(
    live_server, desktop_page, screenshot, riverside
):
    page = desktop_page
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", riverside["organizer"].email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#dashboard-pending")
    assert "2" in page.inner_text("#dashboard-pending .mf-number")
    screenshot(page, "admin-01-dashboard")

    # Review and accept the application.
    page.click("#dashboard-pending")
    page.click("text=Honey Hive")
    page.wait_for_selector("#decision-accept")
    assert "Raw honey and beeswax candles" in page.content()
    screenshot(page, "admin-02-application")
    page.click("#decision-accept")
    page.wait_for_selector(".messagelist .success")
    assert "Accepted: Honey Hive." in page.inner_text(".messagelist")
    screenshot(page, "admin-03-accepted")
    application = Application.objects.get(pk=riverside["application"].pk)
    assert application.status == Application.Status.ACCEPTED
    assert application.reviewed_by == riverside["organizer"]

    # Book the new vendor on a free stall of the coming Saturday.
    page.goto(f"{live_server.url}/admin/")
    page.click("#dashboard-days >> text=Stall board")
    page.wait_for_selector("#stall-board")
    assert page.inner_text("#total-free") == "3"
    screenshot(page, "admin-04-stall-board")
    page.select_option("#stall-b2 select.book-vendor", label="Honey Hive")
    page.click("#stall-b2 input.book-stall")
    page.wait_for_selector(".messagelist .success")
    assert "Booked Honey Hive on stall B2." in page.inner_text(".messagelist")
    assert "Honey Hive" in page.inner_text("#stall-b2 .board-vendor")
    assert page.inner_text("#total-due") == "50.00 EUR"

    # Take the fee.
    page.click("#stall-b2 input.mark-paid")
    page.wait_for_selector("#stall-b2 .mf-paid")
    assert page.inner_text("#total-paid") == "20.00 EUR"
    assert page.inner_text("#total-due") == "30.00 EUR"
    screenshot(page, "admin-05-paid")

    booking = Booking.objects.get(market_day=riverside["day"], stall__label="B2")
    assert booking.vendor == riverside["honey"]
    assert booking.payment_status == Booking.PaymentStatus.PAID and booking.paid_at is not None


def test_a_manager_schedules_a_season_and_rejects_with_a_reason(
    live_server, desktop_page, screenshot, riverside
):
    page = desktop_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", riverside["organizer"].email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    # Every Wednesday and Saturday for four weeks, skipping the Saturday already scheduled.
    page.goto(f"{live_server.url}/admin/marketflow/marketday/")
    page.click("text=Add weekly market days")
    start = riverside["day"].date - datetime.timedelta(days=5)  # the Monday before
    page.fill("#id_start_date", start.isoformat())
    page.fill("#id_end_date", (start + datetime.timedelta(days=27)).isoformat())
    page.check("input[name=weekdays][value='2']")
    page.check("input[name=weekdays][value='5']")
    page.fill("#id_start_time", "08:00")
    page.fill("#id_end_time", "13:00")
    screenshot(page, "admin-06-add-weekly")
    page.click("input[type=submit][value='Add market days']")
    page.wait_for_selector(".messagelist .success")
    assert "Added 7 market day(s). Skipped 1 date(s)" in page.inner_text(".messagelist")
    screenshot(page, "admin-07-market-days")

    # Reject with a reason, on the intermediate page of the bulk action.
    page.goto(f"{live_server.url}/admin/applications/application/?status__exact=pending")
    page.check("tr:has-text('Sourdough Sisters') input.action-select")
    page.select_option("select[name=action]", "reject_applications")
    page.click("button[name=index]")
    page.fill("#id_reason", "We have two bakeries already this season.")
    screenshot(page, "admin-08-reject-reason")
    page.click("#confirm-reject")
    page.wait_for_selector(".messagelist .success")
    assert "Rejected 1 application(s)." in page.inner_text(".messagelist")
    rejected = Application.objects.get(business_name="Sourdough Sisters")
    assert rejected.status == Application.Status.REJECTED
    assert rejected.decision_reason == "We have two bakeries already this season."

    # The market page carries the public link and the printable QR code.
    market = riverside["organizer"].markets.get()
    page.goto(f"{live_server.url}/admin/marketflow/market/{market.pk}/change/")
    page.wait_for_selector("img.market-qr")
    assert page.eval_on_selector("img.market-qr", "img => img.complete && img.naturalWidth > 0")
    assert page.get_attribute("a[href='/m/riverside/']", "target") == "_blank"
    screenshot(page, "admin-09-market")
