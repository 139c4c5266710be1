"""HTTP contract of applications: public apply, the organizer's review, the vendor's portal."""

import json

import pytest

from applications.models import Application
from applications.serializers import ApplicationReceiptSerializer
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from conftest import token_client
from marketflow.models import User
from marketflow.renderers import JSONRenderer
from marketflow.tests.factories import MarketDayFactory, MarketFactory, UserFactory
from stalls.models import Booking
from stalls.tests.factories import BookingFactory
from tests.api_contract import assert_error, assert_page, ids
from vendors.models import Vendor, VendorDocument
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

READ_FIELDS = {
    "id",
    "market_id",
    "vendor",
    "status",
    "business_name",
    "contact_name",
    "phone",
    "product_categories",
    "description",
    "message",
    "decision_reason",
    "reviewed_by_id",
    "reviewed_at",
    "withdrawn_at",
    "created_at",
    "updated_at",
}
VENDOR_PORTAL_FIELDS = {
    "id",
    "market_id",
    "market_name",
    "market_slug",
    "status",
    "message",
    "decision_reason",
    "reviewed_at",
    "withdrawn_at",
    "created_at",
    "updated_at",
}


def apply_body(**overrides) -> dict:
    body = {
        "business_name": "Sunny Bakery",
        "contact_name": "Ada Baker",
        "email": "ada@sunny.example",
        "phone": "+49 30 555",
        "product_categories": ["baked_goods", "beverages"],
        "description": "Sourdough and coffee.",
        "message": "Can we have a corner stall?",
    }
    return {**body, **overrides}


def make_document(vendor) -> VendorDocument:
    return VendorDocument.objects.create(
        vendor=vendor,
        document_type="insurance",
        file="documents/certificate.pdf",
        original_filename="certificate.pdf",
        size=1234,
        content_type="application/pdf",
    )


def apply_url(market) -> str:
    return f"/api/public/markets/{market.id}/apply/"


def applications_url(market, suffix: str = "") -> str:
    return f"/api/markets/{market.id}/applications/{suffix}"


# Public apply.


def test_public_apply_is_201_unconfirmed_without_credentials(anon_client, market):
    response = anon_client.post(apply_url(market), apply_body(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "unconfirmed"
    assert body["market_id"] == str(market.id)
    assert body["message"] == "Can we have a corner stall?"
    application = Application.unconfirmed.get(pk=body["id"])
    assert (application.email, application.vendor) == ("ada@sunny.example", None)
    # The receipt is written out (application_receipt_data); it is the serializer's.
    assert body == json.loads(JSONRenderer().render(ApplicationReceiptSerializer(application).data))


def test_public_apply_with_known_email_touches_nothing_of_the_vendor(anon_client, market, vendor):
    response = anon_client.post(
        apply_url(market),
        apply_body(email=vendor.email.upper(), business_name="New Name"),
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["business_name"] == "New Name"
    vendor.refresh_from_db()
    assert vendor.business_name != "New Name"
    assert not vendor.applications.exists()


def test_public_apply_invalid_is_400_naming_fields_and_unknown_category(anon_client, market):
    response = anon_client.post(
        apply_url(market),
        apply_body(email="not-an-email", business_name="", product_categories=["produce", "fish"]),
        format="json",
    )

    body = assert_error(response, 400, "invalid")
    fields = body["extra"]["fields"]
    assert {"email", "business_name", "product_categories"} <= set(fields)
    assert "fish" in " ".join(fields["product_categories"])
    assert not Application.objects.exists()
    assert not Vendor.objects.exists()


@pytest.mark.parametrize(
    "categories",
    [[], ["produce", "produce"], ["produce"] * 11, "produce"],
    ids=["empty", "duplicate", "eleven", "not-a-list"],
)
def test_public_apply_category_rule_is_400(anon_client, market, categories):
    response = anon_client.post(
        apply_url(market), apply_body(product_categories=categories), format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert "product_categories" in body["extra"]["fields"]
    assert not Application.objects.exists()


def test_public_apply_twice_signed_in_is_409_application_already_open(
    vendor_client, market, vendor
):
    body = apply_body(email=vendor.email)
    assert vendor_client.post(apply_url(market), body, format="json").status_code == 201

    response = vendor_client.post(apply_url(market), body, format="json")

    assert_error(response, 409, "application_already_open")
    assert Application.objects.count() == 1


def test_public_apply_to_inactive_market_is_404(anon_client):
    market = MarketFactory(is_active=False)

    response = anon_client.post(apply_url(market), apply_body(), format="json")

    assert_error(response, 404, "not_found")
    assert not Application.objects.exists()
    assert not Vendor.objects.exists()


def test_public_apply_to_unknown_market_is_404(anon_client):
    response = anon_client.post(
        "/api/public/markets/01900000-0000-7000-8000-000000000000/apply/",
        apply_body(),
        format="json",
    )

    assert_error(response, 404, "not_found")


# The organizer's list and detail.


def test_application_list_is_a_page_newest_first(organizer_client, market):
    first = ApplicationFactory(market=market)
    second = ApplicationFactory(market=market)
    ApplicationFactory()  # another market's

    results = assert_page(organizer_client.get(applications_url(market)))

    assert ids(results) == [str(second.id), str(first.id)]
    assert set(results[0]) == READ_FIELDS
    assert set(results[0]["vendor"]) == {"id", "business_name", "email"}


def test_application_list_filters_by_status(organizer_client, market):
    accepted = AcceptedApplicationFactory(market=market)
    ApplicationFactory(market=market)

    results = assert_page(organizer_client.get(applications_url(market), {"status": "accepted"}))

    assert ids(results) == [str(accepted.id)]


def test_application_list_filters_by_category(organizer_client, market):
    crafts = ApplicationFactory(market=market, product_categories=["produce", "crafts"])
    ApplicationFactory(market=market, product_categories=["produce"])

    results = assert_page(organizer_client.get(applications_url(market), {"category": "crafts"}))

    assert ids(results) == [str(crafts.id)]


def test_application_list_combines_filters(organizer_client, market):
    wanted = AcceptedApplicationFactory(market=market, product_categories=["crafts"])
    AcceptedApplicationFactory(market=market, product_categories=["produce"])
    ApplicationFactory(market=market, product_categories=["crafts"])

    results = assert_page(
        organizer_client.get(applications_url(market), {"status": "accepted", "category": "crafts"})
    )

    assert ids(results) == [str(wanted.id)]


@pytest.mark.parametrize(
    ("name", "value"), [("status", "approved"), ("category", "fish")], ids=["status", "category"]
)
def test_application_list_unknown_filter_value_is_400(organizer_client, market, name, value):
    response = organizer_client.get(applications_url(market), {name: value})

    body = assert_error(response, 400, "invalid")
    assert value in " ".join(body["extra"]["fields"][name])


def test_application_detail(organizer_client, market, application):
    response = organizer_client.get(applications_url(market, f"{application.id}/"))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == READ_FIELDS
    assert body["id"] == str(application.id)
    assert body["vendor"]["id"] == str(application.vendor_id)


# The review.


def test_accept_is_200_with_the_review_recorded(organizer_client, organizer, market, application):
    response = organizer_client.post(applications_url(market, f"{application.id}/accept/"))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == READ_FIELDS
    assert body["status"] == "accepted"
    assert body["reviewed_by_id"] == str(organizer.id)
    assert body["reviewed_at"] is not None
    application.refresh_from_db()
    assert application.status == "accepted"


def test_reject_records_the_reason(organizer_client, market, application):
    response = organizer_client.post(
        applications_url(market, f"{application.id}/reject/"),
        {"reason": "We have enough bakers."},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["decision_reason"] == "We have enough bakers."


def test_reject_without_a_reason(organizer_client, market, application):
    response = organizer_client.post(applications_url(market, f"{application.id}/reject/"))

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decision_reason"]) == ("rejected", "")


def test_waitlist(organizer_client, market, application):
    response = organizer_client.post(applications_url(market, f"{application.id}/waitlist/"))

    assert response.status_code == 200
    assert response.json()["status"] == "waitlisted"


def test_reason_too_long_is_400(organizer_client, market, application):
    response = organizer_client.post(
        applications_url(market, f"{application.id}/reject/"), {"reason": "x" * 2001}, format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert "reason" in body["extra"]["fields"]
    application.refresh_from_db()
    assert application.status == "pending"


@pytest.mark.parametrize("action", ["accept", "reject", "waitlist"])
def test_decision_on_a_rejected_application_is_409_invalid_transition(
    organizer_client, market, action
):
    application = ApplicationFactory(market=market, status=Application.Status.REJECTED)

    response = organizer_client.post(applications_url(market, f"{application.id}/{action}/"))

    body = assert_error(response, 409, "invalid_transition")
    assert body["extra"]["current"] == "rejected"
    application.refresh_from_db()
    assert application.status == "rejected"
    assert application.reviewed_at is None


def test_accepting_a_free_markets_21st_vendor_is_402(organizer_client, market, application):
    AcceptedApplicationFactory.create_batch(20, market=market)

    response = organizer_client.post(applications_url(market, f"{application.id}/accept/"))

    body = assert_error(response, 402, "plan_limit_reached")
    assert body["extra"]["resource"] == "active_vendors"
    application.refresh_from_db()
    assert application.status == "pending"


def test_accepting_a_paid_markets_21st_vendor_is_200(
    organizer_client, organizer, market, application
):
    organizer.plan = User.Plan.PAID
    organizer.save(update_fields=["plan"])
    AcceptedApplicationFactory.create_batch(20, market=market)

    response = organizer_client.post(applications_url(market, f"{application.id}/accept/"))

    assert response.status_code == 200
    assert response.json()["status"] == "accepted"


def test_application_documents_lists_what_was_submitted_with_it(
    organizer_client, market, application, vendor
):
    submitted = make_document(vendor)
    application.documents.add(submitted)
    make_document(vendor)  # the vendor's, not submitted with this application

    results = assert_page(
        organizer_client.get(applications_url(market, f"{application.id}/documents/"))
    )

    assert ids(results) == [str(submitted.id)]
    assert set(results[0]) == {
        "review_status",
        "review_reason",
        "id",
        "document_type",
        "original_filename",
        "content_type",
        "size",
        "expires_on",
        "created_at",
        "download_url",
    }
    assert results[0]["download_url"].startswith("http://testserver/")
    assert results[0]["download_url"].endswith(f"/documents/{submitted.id}/")


# The market's vendors.


def test_market_vendors_are_the_active_vendors_only(organizer_client, market):
    active = AcceptedApplicationFactory(market=market, vendor__business_name="B Active").vendor
    other_active = AcceptedApplicationFactory(
        market=market, vendor__business_name="A Active"
    ).vendor
    for status in ("pending", "rejected", "waitlisted", "withdrawn"):
        ApplicationFactory(market=market, status=status)
    AcceptedApplicationFactory()  # active at another market

    results = assert_page(organizer_client.get(f"/api/markets/{market.id}/vendors/"))

    assert ids(results) == [str(other_active.id), str(active.id)]
    assert set(results[0]) == {
        "id",
        "business_name",
        "contact_name",
        "email",
        "phone",
        "product_categories",
        "description",
        "created_at",
        "updated_at",
    }


# The vendor's portal.


def test_me_applications_lists_my_applications_across_markets(vendor_client, vendor, market):
    mine_here = ApplicationFactory(market=market, vendor=vendor)
    mine_elsewhere = ApplicationFactory(vendor=vendor, status="rejected")
    ApplicationFactory(market=market)  # another vendor's

    results = assert_page(vendor_client.get("/api/me/applications/"))

    assert ids(results) == [str(mine_elsewhere.id), str(mine_here.id)]
    assert set(results[0]) == VENDOR_PORTAL_FIELDS
    assert results[0]["market_name"] == mine_elsewhere.market.name


def test_withdraw_is_200_withdrawn(vendor_client, application, vendor_user):
    response = vendor_client.post(f"/api/me/applications/{application.id}/withdraw/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == VENDOR_PORTAL_FIELDS
    assert body["status"] == "withdrawn"
    assert body["withdrawn_at"] is not None


def test_withdraw_releases_the_vendors_coming_unpaid_bookings(vendor_client, accepted_application):
    """The API withdraws through the one service that also releases bookings."""
    booking = BookingFactory(
        market_day=MarketDayFactory(market=accepted_application.market),
        vendor=accepted_application.vendor,
    )

    response = vendor_client.post(f"/api/me/applications/{accepted_application.id}/withdraw/")

    assert response.status_code == 200
    assert not Booking.objects.active().filter(pk=booking.pk).exists()  # cancelled, kept


def test_withdraw_twice_is_409_invalid_transition(vendor_client, application, vendor_user):
    vendor_client.post(f"/api/me/applications/{application.id}/withdraw/")

    response = vendor_client.post(f"/api/me/applications/{application.id}/withdraw/")

    body = assert_error(response, 409, "invalid_transition")
    assert body["extra"] == {"current": "withdrawn", "target": "withdrawn"}


def test_withdraw_another_vendors_application_is_404(vendor_client, market):
    theirs = ApplicationFactory(market=market, vendor=VendorFactory())

    response = vendor_client.post(f"/api/me/applications/{theirs.id}/withdraw/")

    assert_error(response, 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.status == "pending"


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/me/applications/"), ("post", "/api/me/applications/{id}/withdraw/")],
)
def test_me_applications_for_a_user_without_vendor_profile_is_403(application, method, path):
    client = token_client(UserFactory())

    response = getattr(client, method)(path.format(id=application.id))

    assert_error(response, 403, "not_a_vendor")
    application.refresh_from_db()
    assert application.status == "pending"
