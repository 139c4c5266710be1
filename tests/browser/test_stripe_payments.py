"""A vendor pays two bookings by card from the portal on a phone: the form posts to us and the
browser is sent on to Stripe Checkout (the Content-Security-Policy lets that redirect
through); Stripe's API is the stub on loopback, its hosted page answered by the test."""

import pytest

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.tests.factories import (
    MarketDayFactory,
    MarketFactory,
    OrganizerFactory,
    UserFactory,
)
from stalls.tests.factories import BookingFactory, StallFactory
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_vendor_pays_two_bookings_in_one_checkout(
    live_server, phone_page, screenshot, stripe_stub
):
    organizer = OrganizerFactory(stripe_account_id="acct_browser", stripe_charges_enabled=True)
    market = MarketFactory(organizer=organizer, name="Riverside Farmers Market", currency="EUR")
    user = UserFactory(email="ana@hillside.example")
    vendor = VendorFactory(email=user.email, user=user, business_name="Hillside Honey")
    AcceptedApplicationFactory(market=market, vendor=vendor)
    for label, price in (("B12", 2500), ("B14", 1800)):
        BookingFactory(
            market_day=MarketDayFactory(market=market),
            stall=StallFactory(market=market, label=label, price_per_day=price),
            vendor=vendor,
        )
    page = phone_page
    page.route(
        "https://checkout.stripe.com/**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<h1>Stripe Checkout</h1>"
        ),
    )

    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/vendor/")
    owed = page.locator(".owed-market")
    assert "Riverside Farmers Market: 43.00 EUR" in owed.inner_text()
    screenshot(page, "vendor-portal-what-you-owe-phone")
    page.get_by_role("button", name="Pay by card").click()

    page.wait_for_url("https://checkout.stripe.com/**")
    assert page.get_by_role("heading", level=1).inner_text() == "Stripe Checkout"
    (call,) = stripe_stub.calls("/v1/checkout/sessions")
    assert call.account == "acct_browser"
    assert {
        call.params["line_items[0][price_data][unit_amount]"],
        call.params["line_items[1][price_data][unit_amount]"],
    } == {"2500", "1800"}
