"""The admin of the platform core: markets with their days and stalls inline, market days,
"add weekly market days", the dashboard, organizer accounts. Writes go through services."""

import datetime

import pytest
from django.urls import reverse
from django.utils.formats import date_format

from applications.models import Application
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from conftest import admin_session, domain_snapshot
from marketflow.admin_base import LargeTablePaginator
from marketflow.models import Market, MarketDay, User
from marketflow.tests.factories import MarketDayFactory, MarketFactory
from stalls.models import Stall
from stalls.tests.factories import StallFactory
from tests.admin_support import admin_url, build_tenant, form_data, inline_row, messages_of

pytestmark = pytest.mark.django_db

NEW_MARKET = {
    "name": "Harbour Night Market",
    "slug": "harbour-night",
    "description": "Street food by the water.",
    "location": "Pier 3",
    "timezone": "Europe/Lisbon",
    "currency": "EUR",
    "is_active": "on",
    "accepted_categories": ["prepared_food", "beverages"],
    "required_document_types": ["insurance"],
    "waitlist_order": "first_come",
    "cancelled_day_policy": "credit",
    "sales_currencies": ["cash", "card", "snap"],
    "sales_fee_rule": "flat",
    "market_days-TOTAL_FORMS": "0",
    "market_days-INITIAL_FORMS": "0",
    "stalls-TOTAL_FORMS": "0",
    "stalls-INITIAL_FORMS": "0",
}


def errors_of(response) -> str:
    """Every error on a re-rendered admin form, main form and inlines, as one text."""
    form = response.context["adminform"].form
    texts = [str(message) for messages in form.errors.values() for message in messages]
    for inline in response.context["inline_admin_formsets"]:
        texts += [str(error) for error in inline.formset.non_form_errors()]
        for inline_form in inline.formset.forms:
            texts += [str(m) for messages in inline_form.errors.values() for m in messages]
    return " ".join(texts)


# -- markets -------------------------------------------------------------------------------------


def test_an_organizer_creates_their_market(organizer, organizer_admin, other_organizer):
    response = organizer_admin.post(
        admin_url("market", "add"), {**NEW_MARKET, "organizer": str(other_organizer.pk)}
    )

    assert response.status_code == 302
    market = Market.objects.get(slug="harbour-night")
    assert market.organizer == organizer  # a posted organizer is ignored
    assert market.required_document_types == ["insurance"]
    assert market.accepted_categories == ["prepared_food", "beverages"]
    assert market.timezone == "Europe/Lisbon"


def test_the_free_plan_refuses_a_second_market_with_the_plan_message(market, organizer_admin):
    before = domain_snapshot()

    response = organizer_admin.post(admin_url("market", "add"), NEW_MARKET)

    assert response.status_code == 200
    assert "The free plan includes one market" in errors_of(response)
    assert domain_snapshot() == before


def test_the_paid_plan_adds_more_markets(organizer, market, organizer_admin):
    User.objects.filter(pk=organizer.pk).update(plan=User.Plan.PAID)
    response = organizer_admin.post(admin_url("market", "add"), NEW_MARKET)
    assert response.status_code == 302
    assert organizer.markets.count() == 2


def test_a_superuser_creates_a_market_for_an_organizer(superuser_admin, organizer):
    response = superuser_admin.post(
        admin_url("market", "add"), {**NEW_MARKET, "organizer": str(organizer.pk)}
    )
    assert response.status_code == 302
    assert Market.objects.get(slug="harbour-night").organizer == organizer


def test_editing_a_market_changes_only_what_was_changed(market, organizer_admin):
    page = organizer_admin.get(admin_url("market", "change", market.pk))
    data = form_data(page) | {"name": "Riverside Saturday Market", "timezone": "Europe/Paris"}

    response = organizer_admin.post(admin_url("market", "change", market.pk), data)

    assert response.status_code == 302
    market.refresh_from_db()
    assert (market.name, market.timezone, market.slug) == (
        "Riverside Saturday Market",
        "Europe/Paris",
        market.slug,
    )


def test_a_taken_slug_is_a_form_error(market, organizer_admin):
    MarketFactory(slug="taken")
    page = organizer_admin.get(admin_url("market", "change", market.pk))
    response = organizer_admin.post(
        admin_url("market", "change", market.pk), form_data(page) | {"slug": "taken"}
    )
    assert response.status_code == 200
    assert "slug" in response.context["adminform"].form.errors
    market.refresh_from_db()
    assert market.slug != "taken"


def test_markets_are_deactivated_and_activated_in_bulk(market, organizer_admin):
    organizer_admin.post(
        admin_url("market"), {"action": "deactivate_markets", "_selected_action": [market.pk]}
    )
    market.refresh_from_db()
    assert market.is_active is False

    response = organizer_admin.post(
        admin_url("market"),
        {"action": "activate_markets", "_selected_action": [market.pk]},
        follow=True,
    )
    market.refresh_from_db()
    assert market.is_active is True
    assert "Activated 1 market(s)." in messages_of(response)


def test_the_market_page_shows_the_public_link_and_the_qr_code(market, organizer_admin):
    content = organizer_admin.get(admin_url("market", "change", market.pk)).content.decode()
    assert f'href="/m/{market.slug}/"' in content
    assert f'src="/m/{market.slug}/qr.svg"' in content


def test_a_market_without_bookings_is_deleted_through_the_service(market, organizer_admin):
    MarketDayFactory(market=market)
    ApplicationFactory(market=market)
    response = organizer_admin.post(admin_url("market", "delete", market.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Market.objects.filter(pk=market.pk).exists()


def test_a_market_with_bookings_cannot_be_deleted(organizer, organizer_admin):
    tenant = build_tenant(organizer)
    before = domain_snapshot()

    page = organizer_admin.get(admin_url("market", "delete", tenant.market.pk))
    response = organizer_admin.post(
        admin_url("market", "delete", tenant.market.pk), {"post": "yes"}
    )

    assert page.context["protected"] == ["1 bookings"]
    assert response.status_code == 200
    assert domain_snapshot() == before


# -- stalls and market days inline --------------------------------------------------------------


def test_stalls_are_added_edited_and_removed_inline_through_the_services(market, organizer_admin):
    regular = AcceptedApplicationFactory(market=market).vendor
    renamed = StallFactory(market=market, label="A1")
    removed = StallFactory(market=market, label="A2")
    page = organizer_admin.get(admin_url("market", "change", market.pk))
    data = form_data(page)
    index = {data[f"stalls-{i}-id"]: i for i in range(2)}
    data[f"stalls-{index[str(renamed.pk)]}-label"] = "A2"  # takes the removed stall's label
    data[f"stalls-{index[str(removed.pk)]}-DELETE"] = "on"
    inline_row(data, "stalls", label="B1", price_per_day="30", assigned_vendor=regular.pk)

    response = organizer_admin.post(admin_url("market", "change", market.pk), data)

    assert response.status_code == 302, errors_of(response)
    stalls = {stall.label: stall for stall in Stall.objects.filter(market=market)}
    assert set(stalls) == {"A2", "B1"}
    assert stalls["A2"].pk == renamed.pk
    assert (stalls["B1"].price_per_day, stalls["B1"].assigned_vendor) == (3000, regular)


def test_a_stall_refused_by_the_service_shows_its_message_and_saves_nothing(
    market, organizer_admin
):
    pending_vendor = ApplicationFactory(market=market).vendor  # applied, not accepted
    page = organizer_admin.get(admin_url("market", "change", market.pk))
    data = inline_row(
        form_data(page) | {"name": "Renamed"},
        "stalls",
        label="C1",
        assigned_vendor=pending_vendor.pk,
    )
    before = domain_snapshot()

    response = organizer_admin.post(admin_url("market", "change", market.pk), data)

    assert response.status_code == 200
    assert "Stall “C1”: A stall's regular vendor must have an accepted application" in errors_of(
        response
    )
    assert domain_snapshot() == before  # the market's new name rolled back too


def test_market_days_are_scheduled_and_cancelled_inline(market, organizer_admin):
    # A fixed date: the factory's sequence passes the inline's window in a long session.
    day = MarketDayFactory(market=market, date=market.today() + datetime.timedelta(days=7))
    page = organizer_admin.get(admin_url("market", "change", market.pk))
    data = form_data(page) | {"market_days-0-status": "cancelled"}
    new_date = market.today() + datetime.timedelta(days=30)
    inline_row(
        data,
        "market_days",
        date=new_date,
        start_time="09:00",
        end_time="14:00",
        status="scheduled",
        note="",
    )

    response = organizer_admin.post(admin_url("market", "change", market.pk), data)

    assert response.status_code == 302, errors_of(response)
    day.refresh_from_db()
    assert day.status == MarketDay.Status.CANCELLED
    assert MarketDay.objects.get(market=market, date=new_date).start_time == datetime.time(9)


def test_an_inline_day_in_the_past_is_refused_by_the_service(market, organizer_admin):
    yesterday = MarketDayFactory(market=market, date=market.today() - datetime.timedelta(days=1))
    page = organizer_admin.get(admin_url("market", "change", market.pk))
    data = form_data(page) | {"market_days-0-note": "Rained off"}
    before = domain_snapshot()

    response = organizer_admin.post(admin_url("market", "change", market.pk), data)

    assert response.status_code == 200
    assert f"Market day {yesterday.date}: This market day is in the past." in errors_of(response)
    assert domain_snapshot() == before


# -- market days ---------------------------------------------------------------------------------


def test_a_market_day_is_added_through_the_service(market, organizer_admin):
    date = market.today() + datetime.timedelta(days=10)
    response = organizer_admin.post(
        admin_url("marketday", "add"),
        {"market": market.pk, "date": date, "start_time": "07:30", "end_time": "12:00", "note": ""},
    )
    assert response.status_code == 302
    assert MarketDay.objects.get(market=market, date=date).start_time == datetime.time(7, 30)


def test_a_market_day_in_the_past_is_refused_with_the_services_message(market, organizer_admin):
    before = domain_snapshot()
    response = organizer_admin.post(
        admin_url("marketday", "add"),
        {
            "market": market.pk,
            "date": market.today() - datetime.timedelta(days=3),
            "start_time": "07:30",
            "end_time": "12:00",
            "note": "",
        },
    )
    assert response.status_code == 200
    assert "Market days cannot be scheduled in the past." in errors_of(response)
    assert domain_snapshot() == before


def test_an_end_before_the_start_is_a_field_error(market, organizer_admin):
    response = organizer_admin.post(
        admin_url("marketday", "add"),
        {
            "market": market.pk,
            "date": market.today() + datetime.timedelta(days=3),
            "start_time": "12:00",
            "end_time": "08:00",
            "note": "",
        },
    )
    assert response.context["adminform"].form.errors["end_time"] == [
        "The end time must be after the start."
    ]


def test_a_booked_day_cannot_be_moved(organizer, organizer_admin):
    tenant = build_tenant(organizer)
    day = tenant.market_day
    page = organizer_admin.get(admin_url("marketday", "change", day.pk))
    moved = day.date + datetime.timedelta(days=1)
    before = domain_snapshot()

    response = organizer_admin.post(
        admin_url("marketday", "change", day.pk), form_data(page) | {"date": str(moved)}
    )

    assert response.status_code == 200
    assert "This market day has bookings" in errors_of(response)
    assert domain_snapshot() == before


def test_cancelling_days_in_bulk_reports_the_refused_ones(market, organizer_admin):
    coming = MarketDayFactory(market=market)
    past = MarketDayFactory(market=market, date=market.today() - datetime.timedelta(days=7))

    response = organizer_admin.post(
        admin_url("marketday"),
        {"action": "cancel_market_days", "_selected_action": [coming.pk, past.pk], "apply": "yes"},
        follow=True,
    )

    coming.refresh_from_db()
    past.refresh_from_db()
    assert (coming.status, past.status) == ("cancelled", "scheduled")
    assert messages_of(response) == [
        "Cancelled 1 market day(s).",
        f"1 market day(s) not cancelled: This market day is in the past. ({past})",
    ]


def test_a_booked_day_cannot_be_deleted(organizer, organizer_admin):
    tenant = build_tenant(organizer)
    url = admin_url("marketday", "delete", tenant.market_day.pk)
    before = domain_snapshot()
    assert organizer_admin.get(url).context["protected"] == ["1 bookings"]
    organizer_admin.post(url, {"post": "yes"})
    assert domain_snapshot() == before


def test_an_unbooked_day_is_deleted(market_day, organizer_admin):
    organizer_admin.post(admin_url("marketday", "delete", market_day.pk), {"post": "yes"})
    assert not MarketDay.objects.filter(pk=market_day.pk).exists()


def test_the_day_list_shows_the_fill_and_links_the_stall_board(organizer, organizer_admin):
    tenant = build_tenant(organizer)
    response = organizer_admin.get(admin_url("marketday"))
    content = response.content.decode()
    assert "1 / 2" in content  # one booking, two stalls
    assert reverse("admin:stalls_booking_board", args=[tenant.market_day.pk]) in content


# -- add weekly market days ----------------------------------------------------------------------


WEEKLY_URL = "admin:marketflow_marketday_add_weekly"


def weekly_data(market, **overrides):
    today = market.today()
    start = today + datetime.timedelta(days=7 - today.weekday())  # next Monday
    return {
        "market": market.pk,
        "start_date": start,
        "end_date": start + datetime.timedelta(days=13),
        "weekdays": ["5"],
        "start_time": "08:00",
        "end_time": "13:00",
        "note": "",
        **overrides,
    }


def test_weekly_market_days_are_added_and_existing_dates_skipped(market, organizer_admin):
    data = weekly_data(market)
    first_saturday = data["start_date"] + datetime.timedelta(days=5)
    MarketDayFactory(market=market, date=first_saturday)

    response = organizer_admin.post(reverse(WEEKLY_URL), data, follow=True)

    assert MarketDay.objects.filter(market=market).count() == 2
    assert messages_of(response) == [
        "Added 1 market day(s). Skipped 1 date(s) that already had one: "
        f"{date_format(first_saturday)}."
    ]


def test_the_weekly_form_shows_the_services_refusal(market, organizer_admin):
    yesterday = market.today() - datetime.timedelta(days=1)
    response = organizer_admin.post(
        reverse(WEEKLY_URL), weekly_data(market, start_date=yesterday, weekdays=["0", "1", "2"])
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Market days cannot be scheduled in the past."
    ]
    assert not MarketDay.objects.exists()


def test_the_weekly_form_refuses_another_organizers_market(market, other_market, organizer_admin):
    response = organizer_admin.post(reverse(WEEKLY_URL), weekly_data(other_market))
    assert "market" in response.context["form"].errors
    assert not MarketDay.objects.exists()


def test_the_weekly_form_offers_own_markets_only(market, other_market, organizer_admin):
    response = organizer_admin.get(reverse(WEEKLY_URL))
    assert list(response.context["form"].fields["market"].queryset) == [market]


# -- dashboard -----------------------------------------------------------------------------------


def test_the_dashboard_counts_pending_fill_and_active_vendors(organizer, organizer_admin):
    tenant = build_tenant(organizer, name="Riverside")
    ApplicationFactory(market=tenant.market)

    dashboard = organizer_admin.get(reverse("admin:index")).context["dashboard"]

    assert dashboard.pending_total == 2
    (summary,) = dashboard.markets
    assert (summary.pending_count, summary.active_vendor_count, summary.vendor_limit) == (2, 1, 20)
    (day,) = dashboard.market_days
    assert (day.market_day, day.booked_count, day.stall_count, day.fill_percent) == (
        tenant.market_day,
        1,
        2,
        50,
    )


def test_the_dashboard_warns_at_the_plan_limit_and_knows_the_paid_plan(market, organizer):
    for _number in range(20):
        AcceptedApplicationFactory(market=market)
    client = admin_session(organizer)
    response = client.get(reverse("admin:index"))
    assert response.context["dashboard"].markets[0].at_limit
    assert "Plan limit reached" in response.content.decode()

    User.objects.filter(pk=organizer.pk).update(plan=User.Plan.PAID)
    (summary,) = client.get(reverse("admin:index")).context["dashboard"].markets
    assert summary.vendor_limit is None and not summary.at_limit


def test_the_dashboard_leaves_out_cancelled_and_past_days(market, organizer_admin):
    MarketDayFactory(market=market, status=MarketDay.Status.CANCELLED)
    MarketDayFactory(market=market, date=market.today() - datetime.timedelta(days=2))
    assert organizer_admin.get(reverse("admin:index")).context["dashboard"].market_days == []


# -- speed ---------------------------------------------------------------------------------------


class TinyLimitPaginator(LargeTablePaginator):
    exact_count_limit = 3


def test_the_paginator_counts_exactly_up_to_its_limit(market):
    for _number in range(3):
        ApplicationFactory(market=market)
    assert TinyLimitPaginator(Application.objects.order_by("-id"), 2).count == 3


def test_above_its_limit_the_paginator_estimates_instead_of_counting(
    market, django_assert_num_queries
):
    for _number in range(5):
        ApplicationFactory(market=market)
    paginator = TinyLimitPaginator(Application.objects.order_by("-id"), 2)
    with django_assert_num_queries(2):  # the capped count, then the planner's estimate
        count = paginator.count
    assert count >= 4  # never fewer than the rows it did count


def test_changelists_do_not_count_the_whole_table(organizer_admin, market):
    ApplicationFactory(market=market)
    response = organizer_admin.get(admin_url("application"))
    assert response.context["cl"].full_result_count is None
    assert isinstance(response.context["cl"].paginator, LargeTablePaginator)


# -- organizer accounts (superusers) ------------------------------------------------------------


def test_a_superuser_adds_an_organizer_through_the_service(superuser_admin):
    response = superuser_admin.post(
        admin_url("user", "add"),
        {
            "email": " New.Organizer@Example.com ",
            "full_name": "Nia Organizer",
            "plan": "paid",
            "password": "a-long-enough-passphrase",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.organizer@example.com")
    assert (user.is_organizer, user.is_staff, user.plan) == (True, True, "paid")
    assert user.check_password("a-long-enough-passphrase")


def test_an_existing_email_is_a_form_error(superuser_admin, organizer):
    response = superuser_admin.post(
        admin_url("user", "add"),
        {"email": organizer.email, "full_name": "", "plan": "free", "password": "whatever-123-x"},
    )
    assert response.status_code == 200
    assert User.objects.filter(email=organizer.email).count() == 1


def test_a_new_organizer_can_use_the_admin_at_once(superuser_admin, client):
    superuser_admin.post(
        admin_url("user", "add"),
        {
            "email": "fresh@example.com",
            "full_name": "",
            "plan": "free",
            "password": "pw-4-fresh-org",
        },
    )
    assert client.login(email="fresh@example.com", password="pw-4-fresh-org")
    response = client.get(admin_url("market", "add"))
    assert response.status_code == 200
