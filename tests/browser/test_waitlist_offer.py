"""A vendor on a phone asks for a stall on a full market day, gets the offer by e-mail when a
stall frees, and accepts it from the e-mail's link: the stall is booked."""

import re

import pytest
from django.core import mail

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.tests.factories import MarketDayFactory, MarketFactory, UserFactory
from stalls.models import Booking
from stalls.services import booking_cancel
from stalls.tests.factories import BookingFactory, StallFactory
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"  # the factories' password


def test_a_vendor_asks_for_a_full_day_and_accepts_the_offer_on_a_phone(
    live_server, phone_page, screenshot
):
    market = MarketFactory(name="Riverside Farmers Market", currency="EUR")
    day = MarketDayFactory(market=market)
    stall = StallFactory(market=market, label="B12", price_per_day=2500)
    taken = BookingFactory(
        market_day=day, stall=stall, vendor=AcceptedApplicationFactory(market=market).vendor
    )
    user = UserFactory(email="ana@hillside.example")
    vendor = VendorFactory(email=user.email, user=user, business_name="Hillside Honey")
    AcceptedApplicationFactory(market=market, vendor=vendor)

    page = phone_page
    page.goto(f"{live_server.url}/accounts/sign-in/?next=/vendor/waitlist/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("main [type=submit]")
    page.wait_for_url(f"{live_server.url}/vendor/waitlist/")
    page.get_by_role("button", name=re.compile("Ask for a stall")).click()
    page.wait_for_url(f"{live_server.url}/vendor/waitlist/")
    assert "You are on the waitlist" in page.content()
    assert "Waiting" in page.locator("#entries + ul").inner_text()

    booking_cancel(
        user=market.organizer, market_id=market.pk, market_day_id=day.pk, booking_id=taken.pk
    )
    (offer_mail,) = [m for m in mail.outbox if m.to == [user.email]]
    link = re.search(r"https?://[^/\s]+(/vendor/offers/\S+/)", offer_mail.body).group(1)

    page.goto(f"{live_server.url}{link}")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Stall B12 at Riverside Farmers Market"
    )
    assert "25.00 EUR" in page.locator("dl.offer").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "vendor-offer-phone")
    page.get_by_role("button", name="Accept and book the stall").click()

    page.wait_for_url(f"{live_server.url}/vendor/")
    assert "Stall B12 is yours" in page.content()
    assert "Stall B12" in page.locator("#bookings + ul").inner_text()
    assert Booking.objects.active().get(market_day=day).vendor == vendor
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
