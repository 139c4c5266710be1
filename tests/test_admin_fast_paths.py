"""The admin's fast paths write Django's own HTML.

- ``ChangeListRows`` (marketflow/admin_rows.py) renders a changelist's rows with the logic
  of Django's ``items_for_result``, done once per page: every changelist of the manager's
  site, for an organizer and a superuser, sorted, filtered and searched, must render
  ``admin/change_list_results.html`` exactly as Django's ``{% result_list %}`` renders it.
- ``DirectSelect`` and ``DirectHiddenInput`` (the action form) write what Django's widget
  templates write.
- ``{% nav_sidebar %}`` remembers the sidebar Django's template writes, per language, path and
  list of apps.
- The applications changelist remembers its dates and category labels per language.
"""

import datetime

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.templatetags import admin_list
from django.template import RequestContext, engines
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.safestring import mark_safe

from applications.admin import category_labels, short_date
from applications.models import Application
from applications.tests.factories import ApplicationFactory
from marketflow.admin_base import DirectActionForm, ScopedChangeList, ScopedModelAdmin
from marketflow.templatetags.marketflow_admin import scoped_result_list
from marketflow.tests.factories import MarketDayFactory, MarketFactory
from stalls.tests.factories import BookingFactory, StallFactory
from tests.admin_support import build_tenant
from vendors.models import ProductCategory
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

SCOPED = [
    (model._meta.model_name, model._meta.app_label)
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, ScopedModelAdmin)
]
QUERIES = [
    {},
    {"o": "-1"},  # sorted the other way
    {"o": "3.1"},
    {"q": "Farm"},
    {"p": "2"},  # past the last page: Django's redirect, no rows
]


@pytest.fixture
def rows(organizer):
    """Rows with what the cells treat specially: escaping, empty text, missing relations,
    choices, booleans, dates and times, money."""
    tenant = build_tenant(organizer, name='Tom & "Jerry" <Riverside>')
    market = tenant.market
    MarketFactory(organizer=organizer, name="Closed <market>", is_active=False, location="")
    vendor = VendorFactory(business_name="  ", phone="", contact_name="<b>bold</b>")
    ApplicationFactory(market=market, vendor=vendor, status=Application.Status.WAITLISTED,
                       product_categories=["produce", "crafts"])  # fmt: skip
    ApplicationFactory(market=market, status="not-a-status", product_categories=[])
    StallFactory(market=market, label="Z & 9", price_per_day=None, size_category="")
    day = MarketDayFactory(market=market, date=timezone.now().date() + datetime.timedelta(3))
    BookingFactory(market_day=day, stall=StallFactory(market=market), vendor=vendor,
                   payment_status="paid", paid_at=timezone.now())  # fmt: skip
    return tenant


def both_renderings(changelist) -> tuple[str, str]:
    django = render_to_string("admin/change_list_results.html", admin_list.result_list(changelist))
    fast = render_to_string("admin/change_list_results.html", scoped_result_list(changelist))
    return django, fast


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize(("model_name", "app_label"), SCOPED)
@pytest.mark.parametrize("who", ["organizer_admin", "superuser_admin"])
def test_changelist_rows_are_djangos(request, rows, who, model_name, app_label, query):
    client = request.getfixturevalue(who)
    response = client.get(f"/admin/{app_label}/{model_name}/", query)
    if response.status_code == 302:  # a page past the end
        return
    changelist = response.context["cl"]
    assert isinstance(changelist, ScopedChangeList)

    django, fast = both_renderings(changelist)

    assert fast == django
    if changelist.result_list:
        assert changelist.result_rows() is not None  # the fast path was taken
        assert fast in response.content.decode()


def test_the_application_rows_read_only_the_columns_shown(rows, organizer_admin):
    response = organizer_admin.get("/admin/applications/application/")
    changelist = response.context["cl"]
    first = changelist.result_list[0]
    assert {"message", "description", "phone", "reviewed_by_id"} <= first.get_deferred_fields()
    assert {"description", "phone"} <= first.vendor.get_deferred_fields()
    # Actions and counts take the changelist's queryset: whole rows, as before.
    queryset = changelist.get_queryset(response.wsgi_request)
    assert queryset.query.deferred_loading == (frozenset(), True)


def test_filtered_links_keep_their_filters(rows, organizer_admin):
    response = organizer_admin.get("/admin/applications/application/", {"status__exact": "pending"})
    django, fast = both_renderings(response.context["cl"])
    assert fast == django
    assert "?_changelist_filters=status__exact%3Dpending" in fast


def test_a_popup_changelist_goes_djangos_way(rows, organizer_admin):
    response = organizer_admin.get("/admin/vendors/vendor/", {"_popup": "1", "_to_field": "id"})
    changelist = response.context["cl"]
    assert changelist.result_rows() is None
    django, fast = both_renderings(changelist)
    assert fast == django and "data-popup-opener" in fast


def test_every_scoped_admin_is_covered():
    assert {name for name, _app in SCOPED} >= {
        "application", "market", "marketday", "stall", "booking", "vendor",
    }  # fmt: skip


# -- the action form ---------------------------------------------------------------------------


CHOICES = [
    ("", "---------"),
    ("accept", "Accept selected applications"),
    ("odd", 'Tom & "Jerry" <actions>'),
    ("safe", mark_safe("Already <em>safe</em>")),
    (3, "A number"),
]


@pytest.mark.parametrize("data", [None, {"action": "odd", "select_across": "1"}, {"action": ""}])
def test_the_action_form_is_djangos(data):
    django = helpers.ActionForm(data, auto_id=None)
    fast = DirectActionForm(data, auto_id=None)
    for form in (django, fast):
        form.fields["action"].choices = CHOICES
        if data:
            form.is_valid()
    for name in ("action", "select_across"):
        assert str(fast[name]) == str(django[name])
    assert render_to_string("admin/actions.html", {"action_form": fast}) == render_to_string(
        "admin/actions.html", {"action_form": django}
    )


def test_option_groups_go_through_djangos_templates():
    choices = [("", "---------"), ("Group & co", [("a", "A"), ("b", "B")])]
    django, fast = forms.Select(choices=choices), DirectActionForm.base_fields["action"].widget
    fast = type(fast)(choices=choices, attrs={"data-x": "1 & 2"})
    django.attrs = {"data-x": "1 & 2"}
    assert fast.render("action", "b") == django.render("action", "b")


# -- the applications changelist's columns -----------------------------------------------------


@pytest.mark.parametrize("language", ["en-us", "de", "fr"])
def test_remembered_dates_and_labels_follow_the_language(language):

    day = datetime.date(2030, 1, 31)
    with translation.override(language):
        assert short_date(day) == date_format(day, "SHORT_DATE_FORMAT")
        assert short_date(day) == date_format(day, "SHORT_DATE_FORMAT")  # remembered
        assert category_labels() == {value: str(label) for value, label in ProductCategory.choices}
    with translation.override("de"):
        assert short_date(day) == "31.01.2030"


# -- the navigation sidebar --------------------------------------------------------------------


SIDEBAR = "{% load marketflow_admin %}{% nav_sidebar %}"
DJANGOS_SIDEBAR = '{% include "admin/nav_sidebar.html" %}'


def sidebars(user, path: str) -> tuple[str, str, str]:
    """(Django's sidebar, ours, ours again from memory) for ``user`` on ``path``."""
    request = RequestFactory().get(path)
    request.user = user
    engine = engines["django"].engine

    def render(source: str) -> str:
        context = RequestContext(request, admin.site.each_context(request))
        return engine.from_string(source).render(context)

    return render(DJANGOS_SIDEBAR), render(SIDEBAR), render(SIDEBAR)


@pytest.mark.parametrize(
    "path",
    ["/admin/", "/admin/applications/application/", "/admin/stalls/", "/admin/auth/group/"],
)
def test_the_remembered_sidebar_is_djangos(path, organizer, superuser):

    for user in (organizer, superuser):
        django, first, remembered = sidebars(user, path)
        assert first == django and remembered == django
    with translation.override("de"):
        django, first, remembered = sidebars(organizer, path)
        assert first == django and remembered == django
        assert "Anwendung" in django  # German, not the English sidebar remembered above


def test_users_who_see_other_apps_get_other_sidebars(organizer, superuser):
    organizers, _, _ = sidebars(organizer, "/admin/")
    superusers, _, _ = sidebars(superuser, "/admin/")
    assert "/admin/auth/group/" in superusers and "/admin/auth/group/" not in organizers
    assert sidebars(organizer, "/admin/")[1] == organizers


def test_a_page_without_the_sites_context_gets_djangos_sidebar():
    """A template extending admin/base_site.html without ``each_context``: no apps."""
    engine = engines["django"].engine

    def render(source: str) -> str:
        return engine.from_string(source).render(RequestContext(RequestFactory().get("/")))

    assert render(SIDEBAR) == render(DJANGOS_SIDEBAR)
