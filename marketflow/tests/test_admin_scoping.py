"""Tenant scoping of every model admin, for two organizers and a platform superuser.

Each organizer has a whole market (``tests.admin_support.build_tenant``). Another organizer's
object never shows in a changelist, search, filter, autocomplete or foreign-key choice, is a
404 at every URL of its own, and cannot be reached by editing the values a form posts.
"""

import json

import pytest
from django.urls import reverse

from applications.models import Application
from conftest import admin_session, domain_snapshot
from marketflow.models import Market, MarketDay
from stalls.models import Booking, Stall
from tests.admin_support import admin_url, build_tenant

pytestmark = pytest.mark.django_db

MODELS = ["market", "marketday", "stall", "booking", "application", "vendor"]
DELETABLE = ["market", "marketday", "stall", "booking"]


@pytest.fixture
def mine(organizer):
    return build_tenant(organizer, name="Riverside")


@pytest.fixture
def theirs(other_organizer):
    return build_tenant(other_organizer, name="Hilltop")


def listed_ids(response) -> set[str]:
    return {str(obj.pk) for obj in response.context["cl"].result_list}


# -- changelists, search and filters ------------------------------------------------------------


@pytest.mark.parametrize("model_name", MODELS)
def test_a_changelist_lists_only_the_organizers_own_objects(
    model_name, mine, theirs, organizer_admin
):
    response = organizer_admin.get(admin_url(model_name))

    assert response.status_code == 200
    ids = listed_ids(response)
    assert str(mine.object_of(model_name).pk) in ids
    assert str(theirs.object_of(model_name).pk) not in ids
    # Not even in a filter's choices or a column: the other market's name is nowhere.
    assert b"Hilltop" not in response.content


@pytest.mark.parametrize("model_name", MODELS)
def test_the_other_organizer_sees_only_theirs(model_name, mine, theirs, other_organizer_admin):
    ids = listed_ids(other_organizer_admin.get(admin_url(model_name)))
    assert str(theirs.object_of(model_name).pk) in ids
    assert str(mine.object_of(model_name).pk) not in ids


@pytest.mark.parametrize("model_name", MODELS)
def test_a_superuser_sees_every_organizers_objects(model_name, mine, theirs, superuser_admin):
    ids = listed_ids(superuser_admin.get(admin_url(model_name)))
    assert {str(mine.object_of(model_name).pk), str(theirs.object_of(model_name).pk)} <= ids


@pytest.mark.parametrize(
    ("model_name", "term"),
    [
        ("application", "Hilltop"),
        ("vendor", "Hilltop"),
        ("market", "Hilltop"),
        ("booking", "Hilltop"),
        ("stall", "Hilltop"),
        ("marketday", "Hilltop"),
    ],
)
def test_search_finds_nothing_of_another_organizer(
    model_name, term, mine, theirs, organizer_admin, superuser_admin
):
    assert listed_ids(organizer_admin.get(admin_url(model_name), {"q": term})) == set()
    # The same search does find it for a superuser: the term is not simply unmatched.
    assert str(theirs.object_of(model_name).pk) in listed_ids(
        superuser_admin.get(admin_url(model_name), {"q": term})
    )


@pytest.mark.parametrize(
    ("model_name", "parameter"),
    [
        ("marketday", "market"),
        ("stall", "market"),
        ("booking", "market"),
        ("application", "market"),
    ],
)
def test_the_market_filter_offers_own_markets_and_ignores_a_forged_one(
    model_name, parameter, mine, theirs, organizer_admin
):
    response = organizer_admin.get(admin_url(model_name))
    (market_filter,) = [
        spec
        for spec in response.context["cl"].filter_specs
        if getattr(spec, "parameter_name", None) == "market"
    ]
    assert market_filter.lookup_choices == [(str(mine.market.pk), "Riverside")]

    forged = organizer_admin.get(admin_url(model_name), {parameter: str(theirs.market.pk)})
    assert listed_ids(forged) == set()


# -- change, delete and history URLs ------------------------------------------------------------


@pytest.mark.parametrize("model_name", MODELS)
@pytest.mark.parametrize("view", ["change", "history"])
def test_another_organizers_object_is_a_404(model_name, view, mine, theirs, organizer_admin):
    theirs_url = admin_url(model_name, view, theirs.object_of(model_name).pk)
    assert organizer_admin.get(theirs_url).status_code == 404
    assert (
        organizer_admin.get(admin_url(model_name, view, mine.object_of(model_name).pk)).status_code
        == 200
    )


@pytest.mark.parametrize("model_name", MODELS)
def test_a_superuser_opens_any_organizers_object(model_name, theirs, superuser_admin):
    url = admin_url(model_name, "change", theirs.object_of(model_name).pk)
    assert superuser_admin.get(url).status_code == 200


@pytest.mark.parametrize("model_name", MODELS)
def test_a_missing_object_is_a_404_too(model_name, organizer_admin):
    url = admin_url(model_name, "change", "0190b2a4-0000-7000-8000-000000000000")
    assert organizer_admin.get(url).status_code == 404


@pytest.mark.parametrize("model_name", DELETABLE)
def test_deleting_another_organizers_object_is_a_404_and_deletes_nothing(
    model_name, mine, theirs, organizer_admin
):
    url = admin_url(model_name, "delete", theirs.object_of(model_name).pk)
    before = domain_snapshot()

    assert organizer_admin.get(url).status_code == 404
    assert organizer_admin.post(url, {"post": "yes"}).status_code == 404
    assert domain_snapshot() == before


@pytest.mark.parametrize("model_name", ["application", "vendor"])
def test_applications_and_vendors_cannot_be_deleted_in_the_admin(
    model_name, mine, organizer_admin, superuser_admin
):
    url = admin_url(model_name, "delete", mine.object_of(model_name).pk)
    before = domain_snapshot()
    assert organizer_admin.post(url, {"post": "yes"}).status_code == 403
    assert superuser_admin.post(url, {"post": "yes"}).status_code == 403
    assert domain_snapshot() == before


# -- actions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_name", "action", "unchanged"),
    [
        (
            "market",
            "deactivate_markets",
            lambda t: Market.objects.get(pk=t.market.pk).is_active,
        ),
        (
            "marketday",
            "cancel_market_days",
            lambda t: MarketDay.objects.get(pk=t.market_day.pk).status == "scheduled",
        ),
        (
            "booking",
            "mark_paid",
            lambda t: Booking.objects.get(pk=t.booking.pk).payment_status == "unpaid",
        ),
        (
            "booking",
            "cancel_bookings",
            lambda t: Booking.objects.filter(pk=t.booking.pk).exists(),
        ),
        (
            "application",
            "accept_applications",
            lambda t: Application.objects.get(pk=t.pending_application.pk).status == "pending",
        ),
    ],
)
def test_an_action_on_another_organizers_ids_changes_nothing(
    model_name, action, unchanged, mine, theirs, organizer_admin
):
    assert unchanged(theirs)
    response = organizer_admin.post(
        admin_url(model_name),
        # "apply": past the confirmation page of the actions that ask first.
        {
            "action": action,
            "_selected_action": [str(theirs.object_of(model_name).pk)],
            "apply": "yes",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert unchanged(theirs)


@pytest.mark.parametrize("model_name", MODELS)
def test_bulk_delete_is_not_offered_because_it_would_bypass_the_services(
    model_name, mine, organizer_admin, superuser_admin
):
    for client in (organizer_admin, superuser_admin):
        response = client.get(admin_url(model_name))
        action_form = response.context["action_form"]
        choices = (
            [name for name, _label in action_form.fields["action"].choices] if action_form else []
        )
        assert "delete_selected" not in choices
    before = domain_snapshot()
    organizer_admin.post(
        admin_url(model_name),
        {
            "action": "delete_selected",
            "_selected_action": [str(mine.object_of(model_name).pk)],
            "post": "yes",
        },
    )
    assert domain_snapshot() == before


# -- autocomplete and foreign-key choices --------------------------------------------------------


def autocomplete_ids(client, model_name: str, field_name: str, term: str = "") -> set[str]:
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "stalls", "model_name": model_name, "field_name": field_name, "term": term},
    )
    assert response.status_code == 200
    return {result["id"] for result in json.loads(response.content)["results"]}


@pytest.mark.parametrize(
    ("model_name", "field_name"), [("stall", "assigned_vendor"), ("booking", "vendor")]
)
def test_vendor_autocomplete_offers_only_own_accepted_vendors(
    model_name, field_name, mine, theirs, organizer_admin, superuser_admin
):
    assert autocomplete_ids(organizer_admin, model_name, field_name) == {str(mine.vendor.pk)}
    assert autocomplete_ids(organizer_admin, model_name, field_name, "Hilltop") == set()
    assert autocomplete_ids(superuser_admin, model_name, field_name) == {
        str(mine.vendor.pk),
        str(theirs.vendor.pk),
    }


def form_choices(response, field_name: str) -> set[str]:
    field = response.context["adminform"].form.fields[field_name]
    return {str(pk) for pk in field.queryset.values_list("pk", flat=True)}


@pytest.mark.parametrize(
    ("model_name", "field_name", "attribute"),
    [
        ("marketday", "market", "market"),
        ("stall", "market", "market"),
        ("stall", "assigned_vendor", "vendor"),
        ("booking", "market_day", "market_day"),
        ("booking", "stall", "stall"),
        ("booking", "vendor", "vendor"),
    ],
)
def test_foreign_key_choices_are_own_objects_only(
    model_name, field_name, attribute, mine, theirs, organizer_admin, superuser_admin
):
    choices = form_choices(organizer_admin.get(admin_url(model_name, "add")), field_name)
    assert str(getattr(mine, attribute).pk) in choices
    assert str(getattr(theirs, attribute).pk) not in choices

    everything = form_choices(superuser_admin.get(admin_url(model_name, "add")), field_name)
    assert str(getattr(theirs, attribute).pk) in everything


def test_the_stall_inline_offers_own_vendors_only(mine, theirs, organizer_admin):
    response = organizer_admin.get(admin_url("market", "change", mine.market.pk))
    (stall_formset,) = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is Stall
    ]
    vendor_ids = {
        str(pk)
        for pk in stall_formset.forms[0]
        .fields["assigned_vendor"]
        .queryset.values_list("pk", flat=True)
    }
    assert str(mine.vendor.pk) in vendor_ids and str(theirs.vendor.pk) not in vendor_ids


# -- forged form values --------------------------------------------------------------------------


def test_a_market_day_cannot_be_added_to_another_organizers_market(mine, theirs, organizer_admin):
    before = domain_snapshot()
    response = organizer_admin.post(
        admin_url("marketday", "add"),
        {
            "market": str(theirs.market.pk),
            "date": "2099-06-06",
            "start_time": "08:00",
            "end_time": "12:00",
            "note": "",
        },
    )
    assert response.status_code == 200
    assert "market" in response.context["adminform"].form.errors
    assert domain_snapshot() == before


def test_a_stall_cannot_be_added_to_another_organizers_market(mine, theirs, organizer_admin):
    before = domain_snapshot()
    response = organizer_admin.post(
        admin_url("stall", "add"),
        {"market": str(theirs.market.pk), "label": "Z9", "size_category": "", "notes": ""},
    )
    assert "market" in response.context["adminform"].form.errors
    assert domain_snapshot() == before


def test_a_stall_cannot_get_another_organizers_vendor(mine, theirs, organizer_admin):
    before = domain_snapshot()
    response = organizer_admin.post(
        admin_url("stall", "change", mine.free_stall.pk),
        {
            "label": mine.free_stall.label,
            "size_category": "3x3",
            "price_per_day": "2500",
            "assigned_vendor": str(theirs.vendor.pk),
            "notes": "",
        },
    )
    assert "assigned_vendor" in response.context["adminform"].form.errors
    assert domain_snapshot() == before


@pytest.mark.parametrize("forged", ["market_day", "stall", "vendor"])
def test_a_booking_cannot_use_another_organizers_day_stall_or_vendor(
    forged, mine, theirs, organizer_admin
):
    values = {
        "market_day": str(mine.market_day.pk),
        "stall": str(mine.free_stall.pk),
        "vendor": str(mine.vendor.pk),
    }
    values[forged] = str(getattr(theirs, "free_stall" if forged == "stall" else forged).pk)
    before = domain_snapshot()

    response = organizer_admin.post(admin_url("booking", "add"), values)

    assert forged in response.context["adminform"].form.errors
    assert domain_snapshot() == before


def test_a_forged_inline_row_id_cannot_edit_another_organizers_stall(mine, theirs, organizer_admin):
    market = mine.market
    before = domain_snapshot()
    data = {
        "name": market.name,
        "slug": market.slug,
        "description": market.description,
        "location": market.location,
        "timezone": market.timezone,
        "currency": market.currency,
        "is_active": "on",
        "market_days-TOTAL_FORMS": "0",
        "market_days-INITIAL_FORMS": "0",
        "stalls-TOTAL_FORMS": "1",
        "stalls-INITIAL_FORMS": "1",
        "stalls-0-id": str(theirs.stall.pk),
        "stalls-0-market": str(market.pk),
        "stalls-0-label": "Stolen",
        "stalls-0-size_category": "",
        "stalls-0-price_per_day": "",
        "stalls-0-notes": "",
    }
    response = organizer_admin.post(admin_url("market", "change", market.pk), data)

    assert response.status_code == 200  # the page again, with the error
    assert "not one of this page’s rows" in response.content.decode()
    assert domain_snapshot() == before


def test_the_stall_board_of_another_organizers_day_is_a_404(mine, theirs, organizer_admin):
    for name in ("stalls_booking_board", "stalls_booking_board_csv"):
        url = reverse(f"admin:{name}", args=[theirs.market_day.pk])
        assert organizer_admin.get(url).status_code == 404
    before = domain_snapshot()
    board = reverse("admin:stalls_booking_board", args=[theirs.market_day.pk])
    response = organizer_admin.post(
        board, {"operation": "payment", "booking": str(theirs.booking.pk), "payment_status": "paid"}
    )
    assert response.status_code == 404
    assert domain_snapshot() == before


def test_a_forged_booking_id_on_the_own_board_changes_nothing(mine, theirs, organizer_admin):
    before = domain_snapshot()
    board = reverse("admin:stalls_booking_board", args=[mine.market_day.pk])
    for operation in ("payment", "cancel"):
        response = organizer_admin.post(
            board,
            {"operation": operation, "booking": str(theirs.booking.pk), "payment_status": "paid"},
            follow=True,
        )
        assert "Booking not found." in [str(m) for m in response.context["messages"]]
    response = organizer_admin.post(
        board,
        {"operation": "book", "stall": str(theirs.free_stall.pk), "vendor": str(mine.vendor.pk)},
        follow=True,
    )
    assert "Stall not found." in [str(m) for m in response.context["messages"]]
    assert domain_snapshot() == before


def test_deciding_another_organizers_application_is_a_404(mine, theirs, organizer_admin):
    application = theirs.pending_application
    before = domain_snapshot()
    decide = reverse("admin:applications_application_decide", args=[application.pk])
    reject = reverse("admin:applications_application_reject", args=[application.pk])
    assert organizer_admin.post(decide, {"decision": "accept"}).status_code == 404
    assert organizer_admin.get(reject).status_code == 404
    assert organizer_admin.post(reject, {"reason": "no"}).status_code == 404
    assert domain_snapshot() == before


def test_the_applications_export_holds_only_own_applications(mine, theirs, organizer_admin):
    response = organizer_admin.get(admin_url("application", "export"))
    content = b"".join(response.streaming_content).decode()
    assert "Riverside Bakery" in content
    assert "Hilltop" not in content


def test_the_dashboard_shows_only_own_markets(mine, theirs, organizer_admin, superuser_admin):
    response = organizer_admin.get(reverse("admin:index"))
    assert b"Riverside" in response.content
    assert b"Hilltop" not in response.content
    assert b"Hilltop" in superuser_admin.get(reverse("admin:index")).content


# -- who may use the admin -----------------------------------------------------------------------


def test_users_are_for_superusers_only(mine, organizer_admin, superuser_admin):
    assert organizer_admin.get(admin_url("user")).status_code == 403
    assert organizer_admin.get(admin_url("user", "change", mine.organizer.pk)).status_code == 403
    assert superuser_admin.get(admin_url("user")).status_code == 200


def test_a_vendor_account_cannot_sign_in_to_the_admin(mine):
    from marketflow.tests.factories import UserFactory

    vendor_user = UserFactory()
    response = admin_session(vendor_user).get(admin_url("market"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_an_organizer_sees_the_admin_apps_without_any_permission_rows(mine, organizer_admin):
    assert not mine.organizer.user_permissions.exists() and not mine.organizer.groups.exists()
    response = organizer_admin.get(reverse("admin:index"))
    models = {
        model["object_name"] for app in response.context["app_list"] for model in app["models"]
    }
    assert models == {
        "Market",
        "MarketDay",
        "Stall",
        "Booking",
        "Application",
        "Vendor",
        "MarketMessage",
        "Season",
        "SalesReport",
    }
