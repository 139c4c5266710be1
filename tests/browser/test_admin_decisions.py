"""A market manager's day-to-day decisions in a real browser: importing the vendor list kept
in a spreadsheet (preview first), cancelling a booking from the board (asked first), and
revoking an acceptance."""

import pytest
from openpyxl import Workbook

from applications.models import Application
from applications.tests.factories import AcceptedApplicationFactory
from marketflow.tests.factories import MarketDayFactory, MarketFactory, OrganizerFactory
from stalls.models import Booking, Stall
from stalls.tests.factories import BookingFactory, StallFactory
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"  # the factories' password
HEADER = "Business name,Contact,E-mail,Phone,Categories,Stall\n"


@pytest.fixture
def market():
    organizer = OrganizerFactory(email="manager@riverside.example")
    market = MarketFactory(organizer=organizer, name="Riverside Farmers Market", currency="EUR")
    for label in ("A1", "A2", "B1"):
        StallFactory(market=market, label=label, price_per_day=3000)
    return market


def sign_in(page, live_server, market):
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", market.organizer.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#content")


def test_the_vendor_list_is_previewed_with_its_problems_then_imported(
    live_server, desktop_page, screenshot, market, tmp_path
):
    page = desktop_page
    sign_in(page, live_server, market)
    page.goto(f"{live_server.url}/admin/marketflow/market/{market.pk}/change/")
    page.click("#import-vendors")
    page.wait_for_selector("#import-upload")

    broken = tmp_path / "vendors.csv"
    broken.write_text(
        HEADER
        + "Hillside Honey,Ana Hill,ana@hillside.example,+49 30 111,Produce,A1\n"
        + "Rye & Co,Bo Rye,bo-at-rye,,Baked goods; Fish,Z9\n"
        + "Cider Shed,Cy Der,cy@cider.example,,Beverages,\n"
    )
    page.set_input_files("#id_file", str(broken))
    page.click("#preview-import")
    page.wait_for_selector("#import-preview")
    screenshot(page, "import-01-preview-with-errors")

    assert "1 row has a problem" in page.inner_text("#preview-errors")
    problems = page.inner_text("#import-preview tr[data-row='3']")
    assert "Enter a valid email address." in problems
    assert "Unknown product category: “Fish”" in problems
    assert "This market has no stall Z9." in problems
    assert page.locator("#confirm-import").count() == 0
    assert not Application.objects.exists()

    fixed = tmp_path / "vendors.xlsx"
    workbook = Workbook()
    for row in [
        ["Business name", "Contact", "E-mail", "Phone", "Categories", "Stall"],
        ["Hillside Honey", "Ana Hill", "ana@hillside.example", "+49 30 111", "Produce", "A1"],
        ["Rye & Co", "Bo Rye", "bo@rye.example", "", "Baked goods", "B1"],
        ["Cider Shed", "Cy Der", "cy@cider.example", "", "Beverages", ""],
    ]:
        workbook.active.append(row)
    workbook.save(fixed)
    page.set_input_files("#id_file", str(fixed))
    page.click("#preview-import")
    page.wait_for_selector("#preview-ok")
    screenshot(page, "import-02-preview-ok")
    page.click("#confirm-import")
    page.wait_for_selector(".messagelist .success")
    assert "Imported 3 vendor(s) into Riverside Farmers Market" in page.inner_text(".messagelist")
    screenshot(page, "import-03-imported")

    accepted = Application.objects.filter(market=market, status=Application.Status.ACCEPTED)
    assert accepted.count() == 3
    assert Stall.objects.get(market=market, label="B1").assigned_vendor.email == "bo@rye.example"


def test_cancelling_from_the_board_asks_first_and_revoking_releases(
    live_server, desktop_page, screenshot, market
):
    page = desktop_page
    day = MarketDayFactory(market=market)
    vendor = VendorFactory(business_name="Green Valley Produce")
    application = AcceptedApplicationFactory(market=market, vendor=vendor)
    BookingFactory(market_day=day, stall=Stall.objects.get(label="A1"), vendor=vendor)
    other = AcceptedApplicationFactory(market=market).vendor
    BookingFactory(market_day=day, stall=Stall.objects.get(label="A2"), vendor=other)
    sign_in(page, live_server, market)

    page.goto(f"{live_server.url}/admin/stalls/booking/board/{day.pk}/")
    page.click("#stall-a2 .cancel-booking")
    page.wait_for_selector("#confirm-cancel")
    assert "The fee of 30.00 EUR is unpaid" in page.inner_text("#cancel-bookings")
    screenshot(page, "board-cancel-confirm")
    page.click("#confirm-cancel")
    page.wait_for_selector(".messagelist .success")
    assert "Booking cancelled." in page.inner_text(".messagelist")
    assert not Booking.objects.active().filter(vendor=other).exists()
    # Kept, below the stalls: cancelled this day, nothing was paid.
    assert "unpaid" in page.inner_text("#cancelled-bookings [data-stall='A2']").lower()
    screenshot(page, "board-cancelled-this-day")

    page.goto(f"{live_server.url}/admin/applications/application/{application.pk}/change/")
    page.click("#decision-revoke")
    page.wait_for_selector("#confirm-revoke")
    assert page.get_attribute("#id_reason", "required") is not None  # a reason is needed
    page.fill("#id_reason", "Sold goods not on the application.")
    screenshot(page, "application-revoke-reason")
    page.click("#confirm-revoke")
    page.wait_for_selector(".messagelist .success")
    assert "Revoked: " in page.inner_text(".messagelist")
    assert "Bookings released: Stall A1" in page.inner_text(".messagelist")
    assert not Booking.objects.active().filter(vendor=vendor).exists()
