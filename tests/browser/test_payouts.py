"""Settling up in a real browser: the vendor, on a 390 px phone, reads on their fees page what
the market owes them for the tokens they took in, net of their fees; the market manager opens
the market's Payouts page, sees the same, settles by check; the vendor's fees are then paid."""

import pytest

from marketflow.tests.factories import MarketDayFactory, MarketFactory, OrganizerFactory
from sales.models import Settlement
from sales.tests.factories import SalesReportFactory, past_day
from stalls.tests.factories import BookingFactory, StallFactory, accepted_vendor_with_account

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"  # the factories' password


@pytest.fixture
def riverside():
    organizer = OrganizerFactory(email="manager@riverside.example")
    market = MarketFactory(organizer=organizer, name="Riverside Farmers Market", currency="USD")
    vendor, user = accepted_vendor_with_account(market)
    stall = StallFactory(market=market, label="B2", price_per_day=2_500)
    reported = BookingFactory(market_day=past_day(market, 2), vendor=vendor, stall=stall)
    SalesReportFactory(booking=reported, cash_cents=30_000, snap_cents=6_000, incentive_cents=2_000)
    BookingFactory(market_day=MarketDayFactory(market=market), vendor=vendor, stall=stall)
    return {"organizer": organizer, "market": market, "vendor": vendor, "user": user}


def test_a_manager_settles_tokens_against_fees(
    live_server, desktop_page, phone_page, screenshot, riverside
):
    page, phone, market, vendor = desktop_page, phone_page, riverside["market"], riverside["vendor"]
    phone.goto(f"{live_server.url}/accounts/sign-in/")
    phone.get_by_label("E-mail").fill(riverside["user"].email)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url(f"{live_server.url}/vendor/")
    phone.goto(f"{live_server.url}/vendor/fees/")
    assert "The market pays you 30.00 USD" in phone.inner_text(f"#fees-{market.pk} .fee-net")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "payouts-01-vendor-fees-phone")

    page.goto(f"{live_server.url}/admin/login/?next=/admin/marketflow/market/{market.pk}/change/")
    page.fill("#id_username", riverside["organizer"].email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.click("#payouts-link")
    page.wait_for_selector("#payouts")
    row = f"#payout-{vendor.pk}"
    assert "80.00 USD" in page.inner_text(row)  # tokens: SNAP and incentive matches
    assert "50.00 USD" in page.inner_text(row)  # fees: two stall fees
    assert page.inner_text(f"{row} .payout-net") == "The market pays 30.00 USD"
    screenshot(page, "payouts-02-owed")

    page.select_option(f"{row} select[name=method]", "check")
    page.fill(f"{row} input[name=reference]", "Check 1041")
    page.click(f"{row} input.settle")
    page.wait_for_selector(".messagelist .success")
    assert "Settled with" in page.inner_text(".messagelist")
    assert "Check 1041" in page.inner_text("#settlements")
    assert "Nothing to settle" in page.inner_text("#payouts")
    screenshot(page, "payouts-03-settled")
    settlement = Settlement.objects.get()
    assert (settlement.net_cents, settlement.method) == (3_000, "check")

    phone.reload()
    fees = phone.inner_text(f"#fees-{market.pk}")
    assert "Due 0.00 USD" in fees and "paid 50.00 USD" in fees
    assert phone.locator(".fee-net").count() == 0
