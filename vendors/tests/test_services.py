"""Service tests of vendor profiles: identity by e-mail, updates, the product category rule."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from marketflow.tests.factories import UserFactory
from vendors.models import Vendor, validate_product_categories
from vendors.services import vendor_get_or_create, vendor_update
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

ALL_CATEGORIES = ["produce", "baked_goods", "crafts", "prepared_food", "beverages", "other"]


def profile(**overrides):
    fields = {
        "business_name": "Sunrise Bakery",
        "contact_name": "Ada Baker",
        "phone": "+49 30 555",
        "product_categories": ["baked_goods"],
        "description": "Sourdough since 1998.",
    }
    fields.update(overrides)
    return fields


# vendor_get_or_create


def test_vendor_get_or_create_creates_a_vendor_with_a_normalized_e_mail():
    vendor, created = vendor_get_or_create(email="  Ada@Sunrise.EXAMPLE ", **profile())

    assert created
    vendor.refresh_from_db()
    assert vendor.email == "ada@sunrise.example"
    assert vendor.business_name == "Sunrise Bakery"
    assert vendor.product_categories == ["baked_goods"]
    assert vendor.user is None


def test_vendor_get_or_create_never_edits_an_existing_vendor(vendor):
    stored = Vendor.objects.filter(pk=vendor.pk).values().get()

    found, created = vendor_get_or_create(
        email=vendor.email, **profile(business_name="Renamed", product_categories=["crafts"])
    )

    assert (found.pk, created) == (vendor.pk, False)
    assert Vendor.objects.filter(pk=vendor.pk).values().get() == stored
    assert Vendor.objects.count() == 1


def test_vendor_get_or_create_matches_the_e_mail_case_insensitively(vendor):
    found, created = vendor_get_or_create(email=f" {vendor.email.upper()} ", **profile())

    assert (found.pk, created) == (vendor.pk, False)
    assert Vendor.objects.count() == 1


def test_vendor_get_or_create_refuses_an_invalid_e_mail(refused):
    with refused("invalid") as excinfo:
        vendor_get_or_create(email="not-an-e-mail", **profile())
    assert list(excinfo.value.extra["fields"]) == ["email"]


def test_vendor_get_or_create_refuses_an_invalid_profile_with_field_messages(refused):
    with refused("invalid") as excinfo:
        vendor_get_or_create(
            email="new@example.com",
            **profile(business_name="", phone="1" * 31, description="x" * 2001),
        )
    assert set(excinfo.value.extra["fields"]) == {"business_name", "phone", "description"}


# The product category rule, on the model, so every face shares it


@pytest.mark.parametrize(
    ("categories", "message"),
    [
        ([], "Choose at least one product category."),
        ((ALL_CATEGORIES * 2)[:11], "Choose at most 10 product categories."),
        (["produce", "fireworks"], "Unknown product category: “fireworks”."),
        (["produce", "produce"], "Each product category may appear only once."),
        ("produce", "Give a list of product categories."),
        ([1, 2], "Give a list of product categories."),
    ],
)
def test_the_category_rule_refuses_with_a_message(refused, categories, message):
    with refused("invalid") as excinfo:
        vendor_get_or_create(email="new@example.com", **profile(product_categories=categories))

    [reported] = excinfo.value.extra["fields"]["product_categories"]
    assert message in reported


def test_an_unknown_category_message_names_every_unknown_one():
    with pytest.raises(ValidationError) as excinfo:
        validate_product_categories(["produce", "fireworks", "antiques"])

    [message] = excinfo.value.messages
    assert "“fireworks”" in message and "“antiques”" in message
    assert "produce, baked_goods, crafts, prepared_food, beverages, other" in message


@pytest.mark.parametrize("categories", [["other"], ALL_CATEGORIES, ["crafts", "produce"]])
def test_the_category_rule_accepts_one_to_ten_known_distinct_categories(categories):
    vendor, created = vendor_get_or_create(
        email="new@example.com", **profile(product_categories=categories)
    )
    assert created
    assert vendor.product_categories == categories


# vendor_update


@pytest.fixture
def linked_vendor(vendor, vendor_user):
    vendor.refresh_from_db()
    return vendor


def test_vendor_update_changes_the_profile(linked_vendor, vendor_user):
    vendor_update(
        user=vendor_user,
        business_name="Green Acres Farm",
        product_categories=["produce", "beverages"],
        phone="",
    )

    linked_vendor.refresh_from_db()
    assert linked_vendor.business_name == "Green Acres Farm"
    assert linked_vendor.product_categories == ["produce", "beverages"]
    assert linked_vendor.phone == ""


def test_vendor_update_never_changes_the_e_mail(refused, linked_vendor, vendor_user):
    with refused("invalid") as excinfo:
        vendor_update(user=vendor_user, email="new-address@example.com", business_name="Renamed")
    assert excinfo.value.extra["fields"] == {"email": ["The e-mail address cannot be changed."]}


@pytest.mark.parametrize(
    "categories", [[], (ALL_CATEGORIES * 2)[:11], ["gold"], ["crafts", "crafts"]]
)
def test_vendor_update_applies_the_category_rule(refused, linked_vendor, vendor_user, categories):
    with refused("invalid") as excinfo:
        vendor_update(user=vendor_user, product_categories=categories)
    assert list(excinfo.value.extra["fields"]) == ["product_categories"]


def test_vendor_update_refuses_a_too_long_description(refused, linked_vendor, vendor_user):
    with refused("invalid") as excinfo:
        vendor_update(user=vendor_user, description="x" * 2001)
    assert list(excinfo.value.extra["fields"]) == ["description"]


def test_vendor_update_refuses_a_user_without_a_vendor_profile(refused, vendor):
    user = UserFactory()

    with refused("not_a_vendor"):
        vendor_update(user=user, business_name="Not mine")


def test_vendor_update_refuses_an_anonymous_user(refused, vendor):
    with refused("not_a_vendor"):
        vendor_update(user=AnonymousUser(), business_name="Not mine")


def test_vendor_update_touches_only_the_users_own_vendor(linked_vendor, vendor_user):
    other = VendorFactory()
    stored = Vendor.objects.filter(pk=other.pk).values().get()

    vendor_update(user=vendor_user, description="Only mine changes.")

    assert Vendor.objects.filter(pk=other.pk).values().get() == stored


def test_vendor_update_refuses_unknown_fields(linked_vendor, vendor_user):
    with pytest.raises(TypeError):
        vendor_update(user=vendor_user, user_id=None)
