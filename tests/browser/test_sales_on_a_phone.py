"""A vendor reports a market day's sales on a 390 px phone: from the portal to the form,
cash and SNAP, the total and the fee note, then a revision with its reason and the history.
The page never scrolls sideways. The screenshot goes to tests/browser/screenshots/."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.tests.factories import MarketDayFactory, MarketFactory, UserFactory
from stalls.tests.factories import BookingFactory, StallFactory
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"  # the factories' password
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PAGE_SCROLLS_SIDEWAYS = (
    "document.documentElement.scrollWidth > document.documentElement.clientWidth"
)


def test_a_vendor_reports_and_revises_sales_on_a_phone(live_server, phone_page):
    market = MarketFactory(
        name="Riverside Farmers Market",
        currency="USD",
        sales_currencies=["cash", "card", "snap"],
        gross_sales_definition="Everything you sold at the market, before any fees.",
        sales_fee_rule="percent",
        sales_fee_percent=Decimal("6.00"),
    )
    vendor = VendorFactory(business_name="Hillside Honey", email="ana@hillside.example")
    vendor.user = UserFactory(email=vendor.email)
    vendor.save(update_fields=["user", "updated_at"])
    AcceptedApplicationFactory(market=market, vendor=vendor)
    day = MarketDayFactory(market=market, date=market.today() - datetime.timedelta(days=1))
    BookingFactory(
        market_day=day,
        stall=StallFactory(market=market, label="B12", price_per_day=2500),
        vendor=vendor,
        fee_cents=0,
    )
    page = phone_page
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.fill("input[name=username]", vendor.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/vendor/")

    assert "1 market day to report" in page.inner_text(".sales-link")
    page.click("text=Report your sales")
    page.wait_for_url("**/vendor/sales/")
    page.get_by_role("link", name="Report sales").click()
    assert "Everything you sold at the market" in page.inner_text(".gross-definition")
    page.get_by_label("Cash").fill("250")
    page.get_by_label("SNAP/EBT tokens").fill("40.00")
    page.get_by_role("button", name="Report sales").click()

    page.wait_for_selector(".sales-current")
    assert "290.00 USD in all" in page.inner_text(".messages")
    assert "Your report: 290.00 USD" in page.inner_text(".sales-current h2")
    assert "6% of 290.00 USD = 17.40 USD" in page.inner_text(".sales-fee-note")

    page.get_by_label("Cash").fill("260")
    page.get_by_label("Why are you changing these figures?").fill("Found a $10 bill")
    page.get_by_role("button", name="Save the revision").click()

    page.wait_for_selector(".sales-history")
    assert "Your report: 300.00 USD" in page.inner_text(".sales-current h2")
    history = page.inner_text(".sales-history")
    assert "290.00 USD" in history and "Reason: Found a $10 bill" in history
    assert "6% of 300.00 USD = 18.00 USD" in page.inner_text(".sales-fee-note")
    assert not page.evaluate(PAGE_SCROLLS_SIDEWAYS)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "vendor-sales-phone-390.png"), full_page=True)

    page.goto(f"{live_server.url}/vendor/sales/")
    assert "Reported" in page.text_content(".sales-days")
    assert not page.evaluate(PAGE_SCROLLS_SIDEWAYS)
