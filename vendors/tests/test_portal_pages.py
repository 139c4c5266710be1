"""The vendor portal: applications, upcoming bookings, documents; withdrawing an application."""

import datetime

import pytest
from django.test import Client

from applications.models import Application
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow.tests.factories import MarketDayFactory
from stalls.models import Booking
from stalls.tests.factories import BookingFactory, StallFactory
from vendors.services import DocumentUpload, vendor_documents_store
from vendors.tests.factories import VendorFactory
from vendors.tests.uploads import pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(vendor_user) -> Client:
    client = Client()
    client.force_login(vendor_user)
    return client


def test_a_visitor_is_asked_to_sign_in(client):
    response = client.get("/vendor/")

    assert (
        response.status_code == 302 and response["Location"] == "/accounts/sign-in/?next=/vendor/"
    )


def test_an_account_without_a_vendor_gets_403(client, organizer):
    client.force_login(organizer)

    assert client.get("/vendor/").status_code == 403


def test_portal_shows_applications_bookings_and_documents(portal, vendor, market, other_market):
    accepted = AcceptedApplicationFactory(market=market, vendor=vendor)
    ApplicationFactory(
        market=other_market,
        vendor=vendor,
        status=Application.Status.REJECTED,
        decision_reason="Full this season.",
    )
    day = MarketDayFactory(market=market, date=datetime.date.today() + datetime.timedelta(days=9))
    BookingFactory(market_day=day, stall=StallFactory(market=market, label="B12"), vendor=vendor)
    (document,) = vendor_documents_store(
        vendor=vendor,
        uploads=[
            DocumentUpload(
                document_type="insurance",
                file=pdf("cover.pdf"),
                expires_on=datetime.date(2020, 1, 1),
            )
        ],
    )
    someone_else = VendorFactory(business_name="Someone Else's Farm")
    ApplicationFactory(market=market, vendor=someone_else)

    response = portal.get("/vendor/")

    assert response.status_code == 200
    assert "pages/vendor_portal.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert vendor.business_name in html
    assert market.name in html and other_market.name in html
    assert "Accepted" in html and "Rejected" in html and "Full this season." in html
    assert f'href="/vendor/applications/{accepted.pk}/withdraw/"' in html
    assert f"{day.date:%-d %b %Y}" in html and "Stall <strong>B12</strong>" in html
    assert "Fee 25.00 EUR" in html and "Unpaid" in html
    assert f'href="/documents/{document.pk}/">cover.pdf</a>' in html
    assert "Expired" in html
    assert "Someone Else" not in html


def test_withdraw_asks_for_confirmation_first(portal, application):
    response = portal.get(f"/vendor/applications/{application.pk}/withdraw/")

    assert response.status_code == 200
    assert "pages/vendor_withdraw.html" in [t.name for t in response.templates]
    application.refresh_from_db()
    assert application.status == Application.Status.PENDING


def test_withdrawing_releases_upcoming_unpaid_bookings(portal, vendor, market):
    application = AcceptedApplicationFactory(market=market, vendor=vendor)
    booking = BookingFactory(market_day=MarketDayFactory(market=market), vendor=vendor)

    response = portal.post(f"/vendor/applications/{application.pk}/withdraw/", follow=True)

    assert response.redirect_chain == [("/vendor/", 302)]
    assert f"Your application to {market.name} is withdrawn." in response.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN
    assert not Booking.objects.active().filter(pk=booking.pk).exists()  # cancelled, kept


def test_withdrawing_a_closed_application_is_a_message_not_an_error(portal, vendor, market):
    application = ApplicationFactory(
        market=market, vendor=vendor, status=Application.Status.REJECTED
    )

    response = portal.post(f"/vendor/applications/{application.pk}/withdraw/", follow=True)

    assert response.status_code == 200
    assert "Cannot change status from “rejected” to “withdrawn”." in response.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.REJECTED


def test_another_vendors_application_is_404(portal, market):
    others = ApplicationFactory(market=market, vendor=VendorFactory())

    get = portal.get(f"/vendor/applications/{others.pk}/withdraw/")
    post = portal.post(f"/vendor/applications/{others.pk}/withdraw/")

    assert (get.status_code, post.status_code) == (404, 404)
    others.refresh_from_db()
    assert others.status == Application.Status.PENDING
