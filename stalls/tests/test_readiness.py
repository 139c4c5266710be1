"""Documents that expire, the organizer's review of them, and readiness (issue 15 §1):
the selector, the booking rule and its override, the regulars' fill, the board, the review
service and their API, with the other organizer's case each time."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.urls import reverse

from applications.services import document_review
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow.errors import MarketNotFoundError, ValidationFailedError
from marketflow.tests.factories import MarketDayFactory
from stalls import services
from stalls.errors import DocumentsNotReadyError
from stalls.models import Booking
from stalls.selectors import market_day_board, market_day_board_for_user, market_readiness
from stalls.tests.factories import BookingFactory, StallFactory
from tests.api_contract import assert_error, assert_page
from vendors.errors import DocumentNotFoundError
from vendors.models import DocumentReview
from vendors.selectors import vendor_readiness
from vendors.tests.factories import VendorDocumentFactory

pytestmark = pytest.mark.django_db

APPROVED, REFUSED = DocumentReview.Status.APPROVED, DocumentReview.Status.REFUSED


@pytest.fixture
def rules(market):
    """The market requires insurance (which expires) and a business license (which never
    does)."""
    market.required_document_types = ["insurance", "business_license"]
    market.expiring_document_types = ["insurance"]
    market.save()
    return market


def submitted(application, **fields):
    """A document of the application's vendor, submitted with it."""
    document = VendorDocumentFactory(vendor=application.vendor, **fields)
    application.documents.add(document)
    return document


def approve(market, document, status=APPROVED, reason=""):
    return DocumentReview.objects.create(
        market=market, document=document, status=status, reason=reason
    )


def ready_documents(market, application, valid_until):
    """Both required documents, approved by ``market``."""
    insurance = submitted(application, document_type="insurance", expires_on=valid_until)
    license_ = submitted(application, document_type="business_license")
    approve(market, insurance)
    approve(market, license_)
    return insurance, license_


def problems(missing) -> dict:
    return {item["document_type"]: item["problem"] for item in missing}


# -- the selector -------------------------------------------------------------------------------


def test_readiness_names_each_required_document_and_why(
    rules, market_day, other_market, django_assert_num_queries
):
    day = market_day.date
    missing_all = AcceptedApplicationFactory(market=rules)
    unreviewed = AcceptedApplicationFactory(market=rules)
    submitted(unreviewed, document_type="insurance", expires_on=day)
    refused = AcceptedApplicationFactory(market=rules)
    approve(rules, submitted(refused, document_type="business_license"), REFUSED, "Blurred.")
    expired = AcceptedApplicationFactory(market=rules)
    approve(rules, submitted(expired, document_type="insurance", expires_on=day - _days(1)))
    no_date = AcceptedApplicationFactory(market=rules)
    approve(rules, submitted(no_date, document_type="insurance", expires_on=None))
    elsewhere = AcceptedApplicationFactory(market=rules)  # approved by another market only
    approve(other_market, submitted(elsewhere, document_type="business_license"))
    ready = AcceptedApplicationFactory(market=rules)
    ready_documents(rules, ready, valid_until=day)  # valid through the day itself
    vendors = [missing_all, unreviewed, refused, expired, no_date, elsewhere, ready]

    with django_assert_num_queries(1):
        readiness = vendor_readiness(
            market=rules, date=day, vendor_ids=[a.vendor_id for a in vendors]
        )

    both_missing = {"insurance": "missing", "business_license": "missing"}
    assert problems(readiness[missing_all.vendor_id]) == both_missing
    assert problems(readiness[unreviewed.vendor_id]) == {
        "insurance": "not_reviewed",
        "business_license": "missing",
    }
    assert problems(readiness[refused.vendor_id]) == {
        "insurance": "missing",
        "business_license": "refused",
    }
    assert problems(readiness[expired.vendor_id])["insurance"] == "expired"
    assert problems(readiness[no_date.vendor_id])["insurance"] == "expired"
    assert problems(readiness[elsewhere.vendor_id])["business_license"] == "not_reviewed"
    assert readiness[ready.vendor_id] == []
    assert readiness[missing_all.vendor_id][0]["label"] == "Insurance certificate"


def _days(n):
    return datetime.timedelta(days=n)


def test_a_document_that_never_expires_counts_whatever_its_date(rules, market_day):
    application = AcceptedApplicationFactory(market=rules)
    insurance, license_ = ready_documents(rules, application, valid_until=market_day.date)
    license_.expires_on = market_day.date - _days(400)  # "never": the date is not a rule
    license_.save()

    assert vendor_readiness(
        market=rules, date=market_day.date, vendor_ids=[application.vendor_id]
    ) == {application.vendor_id: []}
    later = market_day.date + _days(1)
    assert problems(
        vendor_readiness(market=rules, date=later, vendor_ids=[application.vendor_id])[
            application.vendor_id
        ]
    ) == {"insurance": "expired"}


def test_a_market_that_requires_nothing_has_everyone_ready_without_a_query(
    market, vendor, django_assert_num_queries
):
    with django_assert_num_queries(0):
        assert vendor_readiness(
            market=market, date=datetime.date.today(), vendor_ids=[vendor.pk]
        ) == {vendor.pk: []}


def test_only_a_required_document_can_have_an_expiry_rule(organizer_client, market):
    response = organizer_client.patch(
        f"/api/markets/{market.id}/",
        {"required_document_types": ["insurance"], "expiring_document_types": ["health_permit"]},
        format="json",
    )
    body = assert_error(response, 400, "invalid")
    assert "expiring_document_types" in body["extra"]["fields"]
    market.refresh_from_db()
    assert market.required_document_types == []


# -- booking a vendor who is not ready ------------------------------------------------------------


def book(organizer, market_day, stall, vendor, **kwargs):
    return services.booking_create(
        user=organizer,
        market_id=market_day.market_id,
        market_day_id=market_day.pk,
        stall_id=stall.pk,
        vendor_id=vendor.pk,
        **kwargs,
    )


def test_booking_a_vendor_who_is_not_ready_is_refused_naming_the_documents(
    organizer, rules, market_day, stall
):
    application = AcceptedApplicationFactory(market=rules)
    submitted(application, document_type="insurance", expires_on=market_day.date)

    with pytest.raises(DocumentsNotReadyError) as refused:
        book(organizer, market_day, stall, application.vendor)

    assert refused.value.code == "documents_not_ready"
    assert problems(refused.value.extra["documents"]) == {
        "insurance": "not_reviewed",
        "business_license": "missing",
    }
    assert "Insurance certificate (not reviewed yet)" in refused.value.message
    assert not Booking.objects.exists()
    assert not LogEntry.objects.exists()


def test_an_organizer_books_a_vendor_who_is_not_ready_with_a_reason_which_is_audited(
    organizer, rules, market_day, stall
):
    application = AcceptedApplicationFactory(market=rules)

    with pytest.raises(DocumentsNotReadyError):
        book(organizer, market_day, stall, application.vendor, override_reason="   ")
    booking = book(
        organizer, market_day, stall, application.vendor, override_reason="Certificate seen."
    )

    assert booking.vendor_id == application.vendor_id
    (entry,) = LogEntry.objects.filter(object_id=str(booking.pk))
    assert "Documents not ready (Insurance certificate (missing)" in entry.change_message
    assert entry.change_message.endswith("booked anyway: Certificate seen.")


def test_a_ready_vendor_is_booked_and_no_override_is_recorded(organizer, rules, market_day, stall):
    application = AcceptedApplicationFactory(market=rules)
    ready_documents(rules, application, valid_until=market_day.date)

    booking = book(organizer, market_day, stall, application.vendor)

    (entry,) = LogEntry.objects.filter(object_id=str(booking.pk))
    assert "not ready" not in entry.change_message


def test_fill_from_regulars_skips_vendors_who_are_not_ready_and_says_which_documents(
    organizer, rules, market_day
):
    ready = AcceptedApplicationFactory(market=rules)
    ready_documents(rules, ready, valid_until=market_day.date)
    not_ready = AcceptedApplicationFactory(market=rules)
    StallFactory(market=rules, label="A1", assigned_vendor=ready.vendor)
    StallFactory(market=rules, label="B1", assigned_vendor=not_ready.vendor)

    fill = services.booking_fill_from_regulars(
        user=organizer, market_id=rules.pk, market_day_id=market_day.pk
    )

    assert [booking.vendor_id for booking in fill.booked] == [ready.vendor_id]
    ((stall, reason),) = fill.skipped
    assert stall.label == "B1"
    assert reason == (
        "its regular vendor's documents are not ready: Insurance certificate (missing), "
        "Business license (missing)"
    )


# -- the board ------------------------------------------------------------------------------------


def test_the_board_shows_readiness_per_booking_in_both_of_its_paths(organizer, rules, market_day):
    ready = AcceptedApplicationFactory(market=rules)
    ready_documents(rules, ready, valid_until=market_day.date)
    not_ready = AcceptedApplicationFactory(market=rules)
    BookingFactory(market_day=market_day, vendor=ready.vendor, stall__market=rules)
    BookingFactory(market_day=market_day, vendor=not_ready.vendor, stall__market=rules)

    board = market_day_board_for_user(
        user=organizer, market_id=rules.pk, market_day_id=market_day.pk
    )

    assert board == market_day_board(market_day)  # the statement and the ORM agree
    bookings = {s["booking"]["vendor"]["id"]: s["booking"] for s in board["stalls"]}
    assert bookings[str(ready.vendor_id)]["documents_ready"] is True
    assert bookings[str(ready.vendor_id)]["missing_documents"] == []
    assert bookings[str(not_ready.vendor_id)]["documents_ready"] is False
    assert problems(bookings[str(not_ready.vendor_id)]["missing_documents"]) == {
        "insurance": "missing",
        "business_license": "missing",
    }


# -- the review -----------------------------------------------------------------------------------


def test_an_organizer_approves_then_refuses_a_document_for_their_market(
    organizer, rules, market_day
):
    application = AcceptedApplicationFactory(market=rules)
    document = submitted(application, document_type="business_license")

    document_review(user=organizer, market_id=rules.pk, document_id=document.pk, status=APPROVED)
    review = document_review(
        user=organizer,
        market_id=rules.pk,
        document_id=document.pk,
        status=REFUSED,
        reason=" Expired licence. ",
    )

    (stored,) = DocumentReview.objects.all()  # replaced, not added
    assert (stored.pk, stored.status, stored.reason) == (review.pk, REFUSED, "Expired licence.")
    assert stored.reviewed_by == organizer
    messages = list(
        LogEntry.objects.filter(object_id=str(document.pk))
        .order_by("action_time", "id")
        .values_list("change_message", flat=True)
    )
    assert messages == [
        f"Approved for {rules.name}.",
        f"Refused for {rules.name}: Expired licence.",
    ]


def test_a_refusal_e_mails_the_vendor_the_reason_once(
    organizer, rules, django_capture_on_commit_callbacks
):
    application = AcceptedApplicationFactory(market=rules)
    document = submitted(application, document_type="business_license")

    def review(status, reason=""):
        with django_capture_on_commit_callbacks(execute=True):
            document_review(
                user=organizer,
                market_id=rules.pk,
                document_id=document.pk,
                status=status,
                reason=reason,
            )

    review(APPROVED)
    assert mail.outbox == []
    review(REFUSED, "Expired licence.")
    review(REFUSED, "Expired licence.")  # the same verdict again: nothing new to tell
    (sent,) = mail.outbox
    assert sent.to == [application.vendor.email]
    assert rules.name in sent.subject
    assert "Expired licence." in sent.body
    review(REFUSED, "Wrong business name.")
    assert len(mail.outbox) == 2
    assert "Wrong business name." in mail.outbox[1].body


def test_a_refusal_needs_a_reason_and_changes_nothing_without_one(organizer, rules):
    application = AcceptedApplicationFactory(market=rules)
    document = submitted(application)

    with pytest.raises(ValidationFailedError) as refused:
        document_review(user=organizer, market_id=rules.pk, document_id=document.pk, status=REFUSED)

    assert "reason" in refused.value.extra["fields"]
    assert not DocumentReview.objects.exists()
    assert not LogEntry.objects.exists()


def test_an_organizer_reviews_only_documents_sent_to_their_own_market(
    organizer, other_organizer, rules, other_market
):
    application = AcceptedApplicationFactory(market=rules)
    document = submitted(application)
    not_sent = VendorDocumentFactory(vendor=application.vendor)  # never sent with an application
    elsewhere = submitted(ApplicationFactory(market=other_market))

    for user, market, doc, error in [
        (other_organizer, rules, document, MarketNotFoundError),
        (other_organizer, other_market, document, DocumentNotFoundError),
        (organizer, rules, not_sent, DocumentNotFoundError),
        (organizer, rules, elsewhere, DocumentNotFoundError),
    ]:
        with pytest.raises(error):
            document_review(user=user, market_id=market.pk, document_id=doc.pk, status=APPROVED)
    assert not DocumentReview.objects.exists()


# -- the API --------------------------------------------------------------------------------------


def review_url(market, document):
    return reverse(
        "api:document-review", kwargs={"market_id": market.pk, "document_id": document.pk}
    )


def test_api_review_a_document(organizer_client, other_organizer_client, rules):
    document = submitted(AcceptedApplicationFactory(market=rules))

    response = organizer_client.post(
        review_url(rules, document), {"status": "refused", "reason": "Unreadable."}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "refused"
    assert response.json()["reason"] == "Unreadable."

    body = assert_error(
        organizer_client.post(review_url(rules, document), {"status": "refused"}, format="json"),
        400,
        "invalid",
    )
    assert "reason" in body["extra"]["fields"]
    assert_error(
        other_organizer_client.post(
            review_url(rules, document), {"status": "approved"}, format="json"
        ),
        404,
        "not_found",
    )
    assert DocumentReview.objects.get().status == REFUSED


def test_api_booking_a_vendor_who_is_not_ready_and_the_override(
    organizer_client, rules, market_day, stall
):
    application = AcceptedApplicationFactory(market=rules)
    url = f"/api/markets/{rules.pk}/market-days/{market_day.pk}/bookings/"
    data = {"stall_id": str(stall.pk), "vendor_id": str(application.vendor_id)}

    body = assert_error(organizer_client.post(url, data, format="json"), 409, "documents_not_ready")
    assert [item["document_type"] for item in body["extra"]["documents"]] == [
        "insurance",
        "business_license",
    ]
    assert body["extra"]["vendor_id"] == str(application.vendor_id)
    assert not Booking.objects.exists()

    response = organizer_client.post(
        url, {**data, "override_reason": "Paper copy checked at the gate."}, format="json"
    )
    assert response.status_code == 201, response.content


def test_api_readiness_of_a_market(organizer_client, other_organizer_client, rules, market_day):
    today = rules.today()
    not_ready = AcceptedApplicationFactory(market=rules)
    expiring = submitted(not_ready, document_type="insurance", expires_on=today + _days(3))
    approve(rules, expiring)
    BookingFactory(
        market_day=market_day, vendor=not_ready.vendor, stall__market=rules, stall__label="Z9"
    )
    ready = AcceptedApplicationFactory(market=rules)
    ready_documents(rules, ready, valid_until=market_day.date + _days(60))
    later = submitted(ready, document_type="insurance", expires_on=today + _days(31))  # not soon
    approve(rules, later)

    response = organizer_client.get(f"/api/markets/{rules.pk}/readiness/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["market_day"] == {"id": str(market_day.pk), "date": market_day.date.isoformat()}
    (row,) = body["not_ready"]
    assert (row["id"], row["stall_label"]) == (str(not_ready.vendor_id), "Z9")
    assert problems(row["missing_documents"]) == {
        "insurance": "expired",
        "business_license": "missing",
    }
    (soon,) = body["expiring"]
    assert (soon["document_id"], soon["review_status"]) == (str(expiring.pk), "approved")
    assert_error(
        other_organizer_client.get(f"/api/markets/{rules.pk}/readiness/"), 404, "not_found"
    )
    assert market_readiness(market=rules)["not_ready"][0]["id"] == not_ready.vendor_id


def test_api_the_vendor_sees_each_market_s_review_and_reason(
    vendor_client, vendor, rules, other_market
):
    application = AcceptedApplicationFactory(market=rules, vendor=vendor)
    document = submitted(application)
    approve(rules, document)
    approve(other_market, document, REFUSED, "Not in your business name.")
    VendorDocumentFactory()  # another vendor's

    (row,) = assert_page(vendor_client.get("/api/me/documents/"))

    assert row["id"] == str(document.pk)
    assert sorted((r["market_name"], r["status"], r["reason"]) for r in row["reviews"]) == sorted(
        [
            (rules.name, "approved", ""),
            (other_market.name, "refused", "Not in your business name."),
        ]
    )


def test_api_an_organizer_sees_the_market_s_review_of_an_application_s_documents(
    organizer_client, rules, other_market
):
    application = AcceptedApplicationFactory(market=rules)
    document = submitted(application)
    approve(other_market, document, REFUSED, "Another market's view.")

    url = f"/api/markets/{rules.pk}/applications/{application.pk}/documents/"
    (row,) = assert_page(organizer_client.get(url))
    assert (row["review_status"], row["review_reason"]) == (None, None)

    approve(rules, document)
    (row,) = assert_page(organizer_client.get(url))
    assert (row["review_status"], row["review_reason"]) == ("approved", "")


def test_market_day_for_readiness_is_the_next_scheduled_one(rules):
    assert market_readiness(market=rules)["market_day"] is None
    MarketDayFactory(market=rules, date=rules.today() - _days(1))
    assert market_readiness(market=rules)["market_day"] is None
