"""Readiness in the admin: the market's readiness page (review a document there), the stall
board (readiness per booking, booking with a reason) and the day sheet."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.tests.factories import MarketDayFactory
from stalls.models import Booking
from stalls.tests.factories import BookingFactory, StallFactory
from vendors.models import DocumentReview
from vendors.tests.factories import VendorDocumentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(market):
    market.required_document_types = market.expiring_document_types = ["insurance"]
    market.save()
    return market


@pytest.fixture
def market_day(rules):
    """The next market day, a week ahead."""
    return MarketDayFactory(market=rules, date=rules.today() + datetime.timedelta(days=7))


@pytest.fixture
def not_ready(rules):
    """An accepted vendor whose insurance, sent with the application, is not reviewed and
    expires in 10 days."""
    application = AcceptedApplicationFactory(market=rules, vendor__business_name="Hill Honey")
    document = VendorDocumentFactory(
        vendor=application.vendor,
        original_filename="hill-insurance.pdf",
        expires_on=rules.today() + datetime.timedelta(days=10),
    )
    application.documents.add(document)
    return document


def readiness_url(market):
    return reverse("admin:marketflow_market_readiness", args=[market.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_readiness_page_lists_vendors_not_ready_and_documents_expiring(
    organizer_admin, rules, market_day, not_ready
):
    content = organizer_admin.get(readiness_url(rules)).content.decode()

    assert "Hill Honey" in content
    assert "Insurance certificate (not reviewed yet)" in content
    assert 'id="expiring"' in content and "hill-insurance.pdf" in content
    assert "Not reviewed" in content
    market_page = organizer_admin.get(reverse("admin:marketflow_market_change", args=[rules.pk]))
    assert readiness_url(rules) in market_page.content.decode()


def test_another_organizer_gets_404_for_the_readiness_page_and_cannot_review(
    other_organizer_admin, rules, market_day, not_ready
):
    assert other_organizer_admin.get(readiness_url(rules)).status_code == 404
    response = other_organizer_admin.post(
        readiness_url(rules), {"document": not_ready.pk, "status": "approved"}
    )
    assert response.status_code == 404
    assert not DocumentReview.objects.exists()


def test_approving_on_the_readiness_page_makes_the_vendor_ready(
    organizer_admin, rules, market_day, not_ready
):
    response = organizer_admin.post(
        readiness_url(rules), {"document": not_ready.pk, "status": "approved"}, follow=True
    )

    assert messages_of(response) == ["Insurance certificate of Hill Honey: approved."]
    assert DocumentReview.objects.get().status == "approved"
    assert "Every accepted vendor is ready." in response.content.decode()


def test_refusing_needs_a_reason_which_the_page_then_shows(
    organizer_admin, rules, market_day, not_ready
):
    response = organizer_admin.post(
        readiness_url(rules), {"document": not_ready.pk, "status": "refused"}, follow=True
    )
    assert messages_of(response) == ["Say why the document is refused."]
    assert not DocumentReview.objects.exists()

    response = organizer_admin.post(
        readiness_url(rules),
        {"document": not_ready.pk, "status": "refused", "reason": "Wrong business name."},
        follow=True,
    )
    content = response.content.decode()
    assert "Insurance certificate (refused)" in content
    assert "Wrong business name." in content


def board_url(market_day):
    return reverse("admin:stalls_booking_board", args=[market_day.pk])


def test_the_board_and_the_day_sheet_show_who_is_not_ready(
    organizer_admin, rules, market_day, not_ready
):
    BookingFactory(market_day=market_day, vendor=not_ready.vendor, stall__market=rules)

    board = organizer_admin.get(board_url(market_day)).content.decode()
    sheet = organizer_admin.get(
        reverse("admin:stalls_booking_day_sheet", args=[market_day.pk])
    ).content.decode()

    assert "Not ready" in board and "Insurance certificate (not reviewed yet)" in board
    assert "Not ready: Insurance certificate (not reviewed yet)" in sheet


def test_booking_from_the_board_needs_a_reason_when_the_vendor_is_not_ready(
    organizer_admin, rules, market_day, not_ready
):
    stall = StallFactory(market=rules)
    book = {"operation": "book", "stall": stall.pk, "vendor": not_ready.vendor_id}

    response = organizer_admin.post(board_url(market_day), book, follow=True)
    (message,) = messages_of(response)
    assert message.startswith("Documents not ready for")
    assert "Give a reason to book anyway." in message
    assert not Booking.objects.exists()

    response = organizer_admin.post(
        board_url(market_day), {**book, "override_reason": "Seen on paper."}, follow=True
    )
    assert messages_of(response) == [f"Booked Hill Honey on stall {stall.label}."]
    assert Booking.objects.get().vendor_id == not_ready.vendor_id


def test_the_application_page_shows_the_market_s_review_of_each_document(
    organizer_admin, rules, not_ready
):
    application = not_ready.applications.get()
    url = reverse("admin:applications_application_change", args=[application.pk])
    assert "not reviewed" in organizer_admin.get(url).content.decode()

    DocumentReview.objects.create(
        market=rules, document=not_ready, status="refused", reason="Wrong name."
    )
    assert "Refused: Wrong name." in organizer_admin.get(url).content.decode()
