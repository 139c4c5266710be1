"""An accepted vendor activates the account from the e-mail and sees the booking."""

import re

import pytest
from django.core import mail

from applications.services import application_accept, application_submit
from marketflow.tests.factories import MarketDayFactory, MarketFactory
from stalls.services import booking_create
from stalls.tests.factories import StallFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_accepted_vendor_activates_the_account_and_sees_the_booking(
    live_server, phone_page, screenshot
):
    market = MarketFactory(name="Riverside Farmers Market", slug="riverside", currency="EUR")
    day = MarketDayFactory(market=market)
    stall = StallFactory(market=market, label="B12", price_per_day=2500)
    application = application_submit(
        market=market,
        email="ana@hillside.example",
        business_name="Hillside Honey",
        contact_name="Ana Weber",
        product_categories=["produce"],
    )
    application_accept(user=market.organizer, market_id=market.pk, application_id=application.pk)
    booking_create(
        user=market.organizer,
        market_id=market.pk,
        market_day_id=day.pk,
        stall_id=stall.pk,
        vendor_id=application.vendor_id,
    )
    acceptance = next(m for m in mail.outbox if m.subject.startswith("You are accepted"))
    link = re.search(r"http://testserver(/vendor/activate/\S+)", acceptance.body).group(1)

    page = phone_page
    page.goto(f"{live_server.url}{link}")
    page.get_by_label("Password", exact=True).fill("plum-orchard-42-lantern")
    page.get_by_label("Password again").fill("plum-orchard-42-lantern")
    page.get_by_role("button", name="Set password and continue").click()

    page.wait_for_url(f"{live_server.url}/vendor/")
    bookings = page.locator("#bookings + ul")
    assert "Riverside Farmers Market" in bookings.inner_text()
    assert "Stall B12" in bookings.inner_text()
    assert "Fee 25.00 EUR" in bookings.inner_text()
    assert f"{day.date:%-d %b %Y}" in bookings.inner_text()
    assert "Accepted" in page.locator("#applications + ul").text_content()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "public-vendor-portal-phone")

    page.goto(f"{live_server.url}{link}")  # the link worked once
    assert page.get_by_role("heading", level=1).inner_text() == "This link does not work"
