"""A manager walks the market with a phone: the stall board and the day sheet at 390 px (and
at 320 px, and with text at 200%) never scroll sideways: both become one card per stall. The
day sheet also prints. Screenshots go to
tests/browser/screenshots/ (named in the test that takes them)."""

import datetime
from pathlib import Path

import pytest

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.tests.factories import (
    MarketDayFactory,
    MarketFactory,
    OrganizerFactory,
    UserFactory,
)
from stalls.models import Booking
from stalls.tests.factories import BookingFactory, StallFactory
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"  # the factories' password
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"

PAGE_SCROLLS_SIDEWAYS = (
    "document.documentElement.scrollWidth > document.documentElement.clientWidth"
)
# What sticks out on the right, to say why a page scrolls sideways.
WIDE = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .filter(e => !e.parentElement.closest('.module, .mf-table-scroll'))
  .slice(0, 8).map(e => `${e.tagName}#${e.id}.${e.className}`)"""


@pytest.fixture
def market_day():
    organizer = OrganizerFactory(email="manager@riverside.example")
    market = MarketFactory(
        organizer=organizer, name="Riverside Farmers Market", location="Old Mill Square"
    )
    today = market.today()
    day = MarketDayFactory(market=market, date=today + datetime.timedelta(days=7))
    vendors = [
        ("A1", "Green Valley Produce and Orchard Cooperative of the Upper Valley", ["produce"]),
        ("A2", "Hill Bakery", ["baked_goods", "prepared_food"]),
        ("B1", "Honey Hive", ["produce", "other"]),
    ]
    for label, name, categories in vendors:
        vendor = VendorFactory(
            business_name=name, product_categories=categories, phone="+1 555 0100"
        )
        AcceptedApplicationFactory(market=market, vendor=vendor)
        stall = StallFactory(market=market, label=label, price_per_day=2500, size_category="3x3")
        BookingFactory(market_day=day, stall=stall, vendor=vendor)
    Booking.objects.filter(stall__label="A2").update(payment_status=Booking.PaymentStatus.PAID)
    for label in ("B2", "C1", "C2"):
        StallFactory(market=market, label=label, price_per_day=2000)
    AcceptedApplicationFactory(
        market=market, vendor=VendorFactory(business_name="Sourdough Sisters")
    )
    return day


def sign_in(page, base_url, email):
    page.goto(f"{base_url}/admin/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#content")


def save(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def double_the_text(page):
    # Through the CSSOM, as a reader's text-size setting would: the CSP allows no inline style.
    page.evaluate("document.documentElement.style.fontSize = '200%'")


def test_the_board_and_the_day_sheet_on_a_phone(live_server, phone_page, market_day):
    page = phone_page
    sign_in(page, live_server.url, "manager@riverside.example")
    board_url = f"{live_server.url}/admin/stalls/booking/board/{market_day.pk}/"

    page.goto(board_url)
    page.wait_for_selector("#stall-board")
    assert page.viewport_size["width"] == 390
    assert not page.evaluate(PAGE_SCROLLS_SIDEWAYS)
    # One card per stall, each value with its column's name: nothing scrolls, not even the
    # board's own box.
    board_box = page.locator(".stall-board .module").first
    assert board_box.evaluate("box => box.scrollWidth <= box.clientWidth")
    card = page.locator("#stall-b2")
    assert card.evaluate("row => getComputedStyle(row).display") == "block"
    label = "row => getComputedStyle(row.querySelector('td[data-label]'), '::before').content"
    assert card.evaluate(label) == '"Size: "'
    save(page, "board-phone-390")

    # Book a stall from the phone: the controls are on screen and work.
    page.select_option("#stall-b2 select.book-vendor", label="Sourdough Sisters")
    page.locator("#stall-b2 input.book-stall").scroll_into_view_if_needed()
    page.click("#stall-b2 input.book-stall")
    page.wait_for_selector(".messagelist .success")
    assert "Booked Sourdough Sisters on stall B2." in page.inner_text(".messagelist")
    assert not page.evaluate(PAGE_SCROLLS_SIDEWAYS)

    # One tap to the day sheet: one card per stall, nothing sideways.
    page.click("#day-sheet-link")
    page.wait_for_selector("#day-sheet")
    assert not page.evaluate(PAGE_SCROLLS_SIDEWAYS)
    assert page.locator("#day-sheet tbody tr").count() == 6
    assert page.locator("#day-sheet .sheet-box").count() == 4
    card = page.locator("#sheet-a2")
    assert "Baked goods, Prepared food" in card.inner_text()
    assert "+1 555 0100" in card.inner_text()
    phone_label = card.locator(".sheet-phone").evaluate(
        "cell => getComputedStyle(cell, '::before').content"
    )
    assert phone_label == '"Phone: "'  # each value says what it is, as the header did
    assert card.evaluate("row => getComputedStyle(row).display") == "block"
    save(page, "day-sheet-phone-390")


@pytest.mark.parametrize("width", [320, 390])
def test_nothing_scrolls_sideways_at_320_px_and_with_text_at_200_percent(
    live_server, browser, market_day, width
):
    context = browser.new_context(
        viewport={"width": width, "height": 700}, is_mobile=True, device_scale_factor=2
    )
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "manager@riverside.example")
        for name, path in [
            ("board", f"/admin/stalls/booking/board/{market_day.pk}/"),
            ("day-sheet", f"/admin/stalls/booking/board/{market_day.pk}/sheet/"),
        ]:
            page.goto(f"{live_server.url}{path}")
            page.wait_for_selector("#content-main")
            assert not page.evaluate(PAGE_SCROLLS_SIDEWAYS), (name, width, page.evaluate(WIDE))
            double_the_text(page)
            assert not page.evaluate(PAGE_SCROLLS_SIDEWAYS), (name, width, 200, page.evaluate(WIDE))
            if width == 320:
                save(page, f"{name}-phone-320-text-200")
    finally:
        context.close()


def test_the_day_sheet_prints_as_a_table_without_the_admin_around_it(
    live_server, desktop_page, market_day
):
    page = desktop_page
    sign_in(page, live_server.url, "manager@riverside.example")
    page.goto(f"{live_server.url}/admin/stalls/booking/board/{market_day.pk}/sheet/")
    page.wait_for_selector("#day-sheet")
    page.emulate_media(media="print")

    assert page.locator("#header").is_hidden() and page.locator(".breadcrumbs").is_hidden()
    assert page.locator("#day-sheet thead").is_visible()
    assert page.locator("#day-sheet").evaluate("t => getComputedStyle(t).display") == "table"
    assert "Riverside Farmers Market" in page.inner_text(".sheet-head h1")
    save(page, "day-sheet-print")


def test_a_vendor_reads_their_fees_on_a_phone(live_server, phone_page, market_day):
    vendor = Booking.objects.get(stall__label="A2").vendor
    vendor.user = UserFactory(email=vendor.email)
    vendor.save(update_fields=["user", "updated_at"])
    page = phone_page
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.fill("input[name=username]", vendor.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url("**/vendor/")

    page.click("text=Your stall fees")
    page.wait_for_selector(".fee-statement")

    assert "Due 0.00 EUR" in page.inner_text(".fee-statement")
    assert "paid 25.00 EUR" in page.inner_text(".fee-statement")
    assert not page.evaluate(PAGE_SCROLLS_SIDEWAYS)
    save(page, "vendor-fees-phone-390")
