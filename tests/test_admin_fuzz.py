"""Hostile query strings against every changelist, search and autocomplete of the admin site,
as an organizer and as a superuser: never a server error (issue 11, finding 6), the way
tests/test_schemathesis.py fuzzes the API.

Every registered model admin joins by itself: its list filters (``get_list_filter``), search
and autocomplete fields are read through the ModelAdmin API. A NUL character is a 400 page;
the rest is whatever Django answers (the list, a redirect to ``?e=1``, a 400 for a lookup it
refuses, a 403 for an admin the user may not see), as long as it is not a 5xx.
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin import SimpleListFilter
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.test import Client
from django.urls import reverse

from tests.admin_support import build_tenant

pytestmark = pytest.mark.django_db

HOSTILE_VALUES = [
    "\x00",
    "pending\x00",
    "x" * 5000,
    "not-a-uuid",
    "0190a7b2-7c1e-7000-8000-00000000000g",
    "💥 Ünïcødé \u202e",
    "%",
    "' OR 1=1 --",
    "-1",
    "99999999999999999999999999",
    "2025-13-45",
    "",
]
# Lookups Django refuses (not in list_filter), reach across relations or do not exist.
REFUSED_LOOKUPS = [
    "password__startswith",
    "market__organizer__password__startswith",
    "organizer__password__regex",
    "vendor__user__password__startswith",
    "id__in",
    "pk__gt",
    "no_such_field",
    "status__no_such_lookup",
    "_to_field",
]
ORDER_AND_PAGE = [
    (ORDER_VAR, "99"),
    (ORDER_VAR, "-99.1"),
    (ORDER_VAR, "x.y"),
    (PAGE_VAR, "-1"),
    (PAGE_VAR, "0"),
    (PAGE_VAR, "99999999999999999999"),
    (PAGE_VAR, "x"),
    ("all", "1"),
    ("e", "1"),
]
ACTORS = ["organizer", "superuser"]


def registered_admins() -> list[admin.ModelAdmin]:
    return [
        admin.site.get_model_admin(model)
        for model in apps.get_models()
        if admin.site.is_registered(model)
    ]


def admin_id(model_admin) -> str:
    return f"{model_admin.opts.app_label}.{model_admin.opts.model_name}"


def filter_parameters(model_admin, request) -> list[str]:
    """The query parameter(s) of each of the admin's list filters."""
    names = []
    for spec in model_admin.get_list_filter(request):
        if isinstance(spec, type) and issubclass(spec, SimpleListFilter):
            names.append(spec.parameter_name)
        elif isinstance(spec, tuple | list):
            names += [f"{spec[0]}__isempty", f"{spec[0]}__exact"]
        else:
            names += [f"{spec}__exact", f"{spec}__isnull", f"{spec}__id__exact"]
    return names


@pytest.fixture
def signed_in(organizer, superuser):
    build_tenant(organizer, name="Fuzz")

    def client_for(actor: str) -> tuple[Client, object]:
        user = organizer if actor == "organizer" else superuser
        client = Client(raise_request_exception=False)
        client.force_login(user)
        return client, user

    return client_for


def server_errors(client: Client, url: str, queries) -> list[str]:
    failures = []
    for query in queries:
        response = client.get(url, query)
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {url} {query!r}"[:300])
    return failures


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("model_admin", registered_admins(), ids=admin_id)
def test_a_changelist_never_answers_a_server_error(signed_in, rf, actor, model_admin):
    client, user = signed_in(actor)
    request = rf.get("/")
    request.user = user
    url = reverse(f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_changelist")
    parameters = filter_parameters(model_admin, request)
    if model_admin.get_search_fields(request):
        parameters.append(SEARCH_VAR)
    queries = [{name: value} for name in parameters for value in HOSTILE_VALUES]
    queries += [{lookup: "a"} for lookup in REFUSED_LOOKUPS]
    queries += [{name: value} for name, value in ORDER_AND_PAGE]
    queries.append({name: "not-a-uuid" for name in parameters})  # all at once

    assert server_errors(client, url, queries) == []


def autocomplete_targets() -> list[tuple[str, str, str]]:
    """(app_label, model_name, field_name) of every autocomplete field of every admin."""
    targets = []
    for model_admin in registered_admins():
        for field_name in model_admin.autocomplete_fields:
            targets.append((model_admin.opts.app_label, model_admin.opts.model_name, field_name))
    return targets


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("target", autocomplete_targets(), ids="/".join)
def test_autocomplete_never_answers_a_server_error(signed_in, actor, target):
    client, _user = signed_in(actor)
    app_label, model_name, field_name = target
    base = {"app_label": app_label, "model_name": model_name, "field_name": field_name}
    queries = [{**base, "term": value} for value in HOSTILE_VALUES]
    queries += [{**base, "term": "a", "page": value} for value in HOSTILE_VALUES]
    queries += [{**base, key: value} for key in base for value in HOSTILE_VALUES]

    assert server_errors(client, reverse("admin:autocomplete"), queries) == []


@pytest.mark.parametrize(
    "query",
    [
        {"status__exact": "\x00"},
        {"q": "\x00"},
        {"market": "\x00"},
        {"category": "\x00"},
    ],
)
def test_a_nul_character_in_an_admin_query_is_the_400_page(organizer_admin, query):
    response = organizer_admin.get(reverse("admin:applications_application_changelist"), query)

    assert response.status_code == 400
    assert "This request cannot be answered" in response.content.decode()


def test_a_nul_character_in_autocomplete_is_a_400(organizer_admin):
    query = {
        "app_label": "stalls",
        "model_name": "stall",
        "field_name": "assigned_vendor",
        "term": "\x00",
    }

    assert organizer_admin.get(reverse("admin:autocomplete"), query).status_code == 400


def test_the_fuzz_reaches_every_admin_and_autocomplete():
    """A negative control of the parametrization: the registered admins and their
    autocomplete fields are really there (an empty list would pass every test above)."""
    assert {"applications.application", "stalls.stall", "vendors.vendor"} <= {
        admin_id(model_admin) for model_admin in registered_admins()
    }
    assert ("stalls", "stall", "assigned_vendor") in autocomplete_targets()
