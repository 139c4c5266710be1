"""A vendor on a 390 px phone applies to a market, and a form with errors keeps its input."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from applications.models import Application
from marketflow.tests.factories import MarketDayFactory, MarketFactory
from vendors.tests.uploads import PDF

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def market(transactional_db):
    market = MarketFactory(
        name="Riverside Farmers Market",
        slug="riverside",
        location="Old Town Square, Riverside",
        description="Local produce, bread and crafts every Saturday morning.",
        required_document_types=["insurance"],
    )
    today = timezone.now().date()
    for weeks in (1, 2, 3):
        MarketDayFactory(market=market, date=today + datetime.timedelta(weeks=weeks))
    return market


def fits_the_screen(page) -> bool:
    """Nothing is wider than the viewport: no sideways scrolling on a phone."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_vendor_applies_with_a_pdf_from_a_phone(live_server, phone_page, screenshot, market):
    page = phone_page
    page.goto(f"{live_server.url}/m/riverside/")
    assert page.get_by_role("heading", level=1).inner_text() == "Riverside Farmers Market"
    assert fits_the_screen(page)
    screenshot(page, "public-market-page-phone")

    page.get_by_role("link", name="Apply to sell here").click()
    page.get_by_label("Business name").fill("Hillside Honey")
    page.get_by_label("Contact name").fill("Ana Weber")
    page.get_by_label("E-mail").fill("ana@hillside.example")
    page.get_by_label("Phone").fill("+49 170 1234567")
    page.get_by_label("Produce").check()
    page.get_by_label("Prepared food").check()
    page.get_by_label("Message to the organizer").fill("Two tables, no electricity needed.")
    page.get_by_label("Insurance certificate").set_input_files(
        {"name": "insurance.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    assert fits_the_screen(page)
    page.get_by_role("button", name="Send application").click()

    page.wait_for_url(f"{live_server.url}/m/riverside/apply/done/")
    assert page.get_by_role("heading", level=1).inner_text() == "Check your e-mail"
    assert "Thank you, Hillside Honey" in page.content()
    assert fits_the_screen(page)
    screenshot(page, "public-apply-done-phone")

    (message,) = mail.outbox
    link = re.search(r"http://testserver(/apply/confirm/\S+)", message.body).group(1)
    page.goto(f"{live_server.url}{link}")
    assert fits_the_screen(page)
    screenshot(page, "public-apply-confirm-phone")
    page.get_by_role("button", name="Confirm my application").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Application confirmed"
    application = Application.objects.get(market=market)
    assert application.vendor.email == "ana@hillside.example"
    assert [d.original_filename for d in application.documents.all()] == ["insurance.pdf"]


def test_a_form_with_errors_keeps_the_input(live_server, phone_page, screenshot, market):
    page = phone_page
    page.goto(f"{live_server.url}/m/riverside/apply/")
    page.get_by_label("Business name").fill("Valley Bakery")
    page.get_by_label("Contact name").fill("Jo Baker")
    page.get_by_label("E-mail").fill("jo-at-valley")
    page.get_by_label("About your business").fill("Sourdough and rye, baked at night.")
    page.get_by_role("button", name="Send application").click()

    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert "E-mail: Enter a valid email address." in summary.inner_text()
    assert "Choose at least one product category." in summary.inner_text()
    assert "This market requires your insurance certificate." in summary.inner_text()
    assert page.get_by_label("Business name").input_value() == "Valley Bakery"
    assert page.get_by_label("E-mail").input_value() == "jo-at-valley"
    assert page.get_by_label("About your business").input_value() == (
        "Sourdough and rye, baked at night."
    )
    assert page.get_by_label("E-mail").get_attribute("aria-invalid") == "true"
    summary.get_by_role("link", name="E-mail: Enter a valid email address.").click()
    assert page.evaluate("document.activeElement.id") == "id_email"
    assert fits_the_screen(page)
    screenshot(page, "public-apply-errors-phone")
    page.set_viewport_size({"width": 360, "height": 740})  # the narrowest phones we support
    assert fits_the_screen(page)
    assert not Application.objects.exists()
