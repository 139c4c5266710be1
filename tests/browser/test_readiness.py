"""A market manager checks who is ready for the next market day in a real browser: opens the
market's readiness page, refuses a document (a reason is asked for), approves another, and
the vendor, signed in to the portal, reads why the first was refused."""

import datetime

import pytest

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.tests.factories import (
    MarketDayFactory,
    MarketFactory,
    OrganizerFactory,
    UserFactory,
)
from stalls.tests.factories import BookingFactory, StallFactory
from vendors.models import DocumentReview
from vendors.tests.factories import VendorDocumentFactory, VendorFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"  # the factories' password


@pytest.fixture
def riverside():
    organizer = OrganizerFactory(email="manager@riverside.example")
    market = MarketFactory(
        organizer=organizer,
        name="Riverside Farmers Market",
        required_document_types=["insurance", "health_permit"],
        expiring_document_types=["insurance"],
    )
    today = market.today()
    day = MarketDayFactory(market=market, date=today + datetime.timedelta(days=6))
    honey = VendorFactory(business_name="Honey Hive", email="honey@example.com")
    honey.user = UserFactory(email=honey.email)
    honey.save()
    application = AcceptedApplicationFactory(market=market, vendor=honey)
    insurance = VendorDocumentFactory(
        vendor=honey,
        document_type="insurance",
        original_filename="honey-insurance.pdf",
        expires_on=today + datetime.timedelta(days=20),
    )
    permit = VendorDocumentFactory(
        vendor=honey, document_type="health_permit", original_filename="honey-permit.pdf"
    )
    application.documents.add(insurance, permit)
    BookingFactory(market_day=day, vendor=honey, stall=StallFactory(market=market, label="B2"))
    return {"organizer": organizer, "market": market, "insurance": insurance, "permit": permit}


def sign_in(page, base_url, email, path):
    page.goto(f"{base_url}/admin/login/?next={path}")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


def test_a_manager_reviews_documents_on_the_readiness_page(
    live_server, desktop_page, screenshot, riverside
):
    page, market = desktop_page, riverside["market"]
    sign_in(
        page,
        live_server.url,
        riverside["organizer"].email,
        f"/admin/marketflow/market/{market.pk}/change/",
    )
    page.click("#readiness-link")
    page.wait_for_selector("#not-ready")

    row = f"#vendor-{riverside['insurance'].vendor_id}"
    assert "B2" in page.inner_text(row)
    assert "Insurance certificate (not reviewed yet)" in page.inner_text(f"{row} .missing")
    assert "honey-insurance.pdf" in page.inner_text("#expiring")
    screenshot(page, "readiness-01-not-ready")

    # Refusing asks for a reason.
    permit = f"#document-{riverside['permit'].pk}"
    page.click(f"{permit} input.refuse-document")
    page.wait_for_selector(".messagelist .error")
    assert "Say why the document is refused." in page.inner_text(".messagelist")
    page.fill(f"{permit} input.refuse-reason", "The permit names another business.")
    page.click(f"{permit} input.refuse-document")
    page.wait_for_selector(".messagelist .success")
    assert "Health permit (refused)" in page.inner_text(f"{row} .missing")
    assert "The permit names another business." in page.inner_text(permit)

    # Approving the insurance leaves only the refused permit.
    page.click(f"#document-{riverside['insurance'].pk} input.approve-document")
    page.wait_for_selector(".messagelist .success")
    assert page.inner_text(f"{row} .missing") == "Health permit (refused)"
    screenshot(page, "readiness-02-reviewed")
    assert dict(DocumentReview.objects.values_list("document_id", "status")) == {
        riverside["insurance"].pk: "approved",
        riverside["permit"].pk: "refused",
    }

    # The vendor reads the refusal in the portal.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.get_by_label("E-mail").fill("honey@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/vendor/")
    portal = page.inner_text("body")
    assert "Riverside Farmers Market: refused (The permit names another business.)" in portal
    screenshot(page, "readiness-03-vendor-portal")
