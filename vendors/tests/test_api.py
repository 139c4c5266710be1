"""HTTP contract of the vendor's own profile: GET and PATCH /api/me/vendor/."""

import pytest

from conftest import token_client
from marketflow.tests.factories import UserFactory
from tests.api_contract import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/me/vendor/"
VENDOR_FIELDS = {
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


def test_get_my_profile(vendor_client, vendor):
    response = vendor_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == VENDOR_FIELDS
    assert (body["id"], body["email"]) == (str(vendor.id), vendor.email)


def test_patch_changes_only_given_fields(vendor_client, vendor):
    response = vendor_client.patch(
        URL,
        {"business_name": "Valley Greens", "product_categories": ["produce", "crafts"]},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["business_name"] == "Valley Greens"
    contact_name = vendor.contact_name
    vendor.refresh_from_db()
    assert vendor.business_name == "Valley Greens"
    assert vendor.product_categories == ["produce", "crafts"]
    assert vendor.contact_name == contact_name


def test_patch_email_is_400_and_changes_nothing(vendor_client, vendor):
    email, business_name = vendor.email, vendor.business_name

    response = vendor_client.patch(
        URL, {"email": "new@example.com", "business_name": "Renamed"}, format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert "email" in body["extra"]["fields"]
    vendor.refresh_from_db()
    assert (vendor.email, vendor.business_name) == (email, business_name)


@pytest.mark.parametrize(
    ("categories", "named"),
    [
        (["produce", "fish"], "fish"),
        ([], None),
        (["produce", "produce"], None),
        (["produce", "crafts", "other", "beverages", "baked_goods", "prepared_food"] * 2, None),
    ],
    ids=["unknown", "empty", "duplicate", "twelve"],
)
def test_patch_categories_rule_is_400(vendor_client, vendor, categories, named):
    response = vendor_client.patch(URL, {"product_categories": categories}, format="json")

    body = assert_error(response, 400, "invalid")
    messages = " ".join(body["extra"]["fields"]["product_categories"])
    if named:
        assert named in messages
    vendor.refresh_from_db()
    assert vendor.product_categories == ["produce"]


def test_patch_too_long_name_is_400(vendor_client, vendor):
    response = vendor_client.patch(URL, {"business_name": "x" * 201}, format="json")

    body = assert_error(response, 400, "invalid")
    assert "business_name" in body["extra"]["fields"]


@pytest.mark.parametrize("method", ["get", "patch"])
def test_user_without_vendor_profile_is_403_not_a_vendor(method):
    client = token_client(UserFactory())

    response = getattr(client, method)(URL, {"business_name": "Mine now"}, format="json")

    assert_error(response, 403, "not_a_vendor")


@pytest.mark.parametrize("method", ["get", "patch"])
def test_organizer_is_403_not_a_vendor(organizer_client, vendor, method):
    response = getattr(organizer_client, method)(URL, {"business_name": "Mine now"}, format="json")

    assert_error(response, 403, "not_a_vendor")
    vendor.refresh_from_db()
    assert vendor.business_name != "Mine now"


@pytest.mark.parametrize("method", ["get", "patch"])
def test_no_credentials_is_401(anon_client, method):
    response = getattr(anon_client, method)(URL, {}, format="json")

    assert_error(response, 401, "not_authenticated")
