"""HTTP contract of the core endpoints: the token (see also test_tokens.py), markets, market
days, the public market."""

import datetime

import pytest
from django.utils import timezone

from conftest import token_client
from marketflow.models import ApiToken, Market, MarketDay, User
from marketflow.tests.factories import MarketDayFactory, MarketFactory, OrganizerFactory
from stalls.tests.factories import BookingFactory, StallFactory
from tests.api_contract import assert_error, assert_page, ids

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # the factories' password

MARKET_FIELDS = {
    "id",
    "name",
    "slug",
    "description",
    "location",
    "timezone",
    "currency",
    "is_active",
    "created_at",
    "updated_at",
    "accepted_categories",
    "required_document_types",
    "late_cancellation_hours",
    "no_show_fee_cents",
    "expiring_document_types",
    "waitlist_order",
    "cancelled_day_policy",
    "sales_currencies",
    "gross_sales_definition",
    "sales_fee_rule",
    "sales_fee_percent",
    "sales_fee_cap_cents",
    "sales_report_days",
}
MARKET_DAY_FIELDS = {
    "id",
    "market_id",
    "date",
    "start_time",
    "end_time",
    "status",
    "note",
    "created_at",
    "updated_at",
}


def new_market_body(**overrides) -> dict:
    body = {
        "name": "Riverside Farmers Market",
        "slug": "riverside",
        "description": "Every Saturday by the river.",
        "location": "River Road 1",
        "timezone": "Europe/Berlin",
        "currency": "EUR",
    }
    return {**body, **overrides}


def days_from_today(days: int) -> datetime.date:
    return timezone.now().date() + datetime.timedelta(days=days)


# The token endpoint.


def test_token_email_is_matched_case_insensitively(anon_client, organizer):
    response = anon_client.post(
        "/api/auth/token/", {"email": organizer.email.upper(), "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert ApiToken.objects.filter(user=organizer).count() == 1


def test_each_sign_in_gets_a_token_of_its_own(anon_client, organizer):
    body = {"email": organizer.email, "password": PASSWORD}
    first = anon_client.post("/api/auth/token/", body, format="json").json()["token"]
    second = anon_client.post("/api/auth/token/", body, format="json").json()["token"]

    assert first != second
    for token in (first, second):
        anon_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert anon_client.get("/api/markets/").status_code == 200


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "organizer@example.com", "password": "wrong password"},
        {"email": "nobody@example.com", "password": PASSWORD},
    ],
    ids=["wrong-password", "unknown-email"],
)
def test_token_for_bad_credentials_is_401(anon_client, credentials):
    OrganizerFactory(email="organizer@example.com")

    response = anon_client.post("/api/auth/token/", credentials, format="json")

    body = assert_error(response, 401, "authentication_failed")
    assert body["extra"] == {}
    assert response.headers["WWW-Authenticate"].startswith("Token")
    assert not ApiToken.objects.exists()


def test_token_for_inactive_user_is_401(anon_client):
    user = OrganizerFactory(is_active=False)

    response = anon_client.post(
        "/api/auth/token/", {"email": user.email, "password": PASSWORD}, format="json"
    )

    assert_error(response, 401, "authentication_failed")
    assert not ApiToken.objects.exists()


def test_token_without_fields_is_400_naming_them(anon_client):
    response = anon_client.post("/api/auth/token/", {}, format="json")

    body = assert_error(response, 400, "invalid")
    assert set(body["extra"]["fields"]) == {"email", "password"}


def test_no_credentials_is_401_not_authenticated_with_challenge(anon_client):
    response = anon_client.get("/api/markets/")

    body = assert_error(response, 401, "not_authenticated")
    assert body["extra"] == {}
    assert response.headers["WWW-Authenticate"] == "Token"


def test_unknown_token_is_401_authentication_failed(anon_client):
    anon_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    response = anon_client.get("/api/markets/")

    assert_error(response, 401, "authentication_failed")
    assert response.headers["WWW-Authenticate"] == "Token"


# Markets.


def test_market_list_is_a_page_of_my_markets(organizer_client, market, other_market):
    results = assert_page(organizer_client.get("/api/markets/"))

    assert ids(results) == [str(market.id)]
    assert set(results[0]) == MARKET_FIELDS


def test_market_create_is_201_with_the_market(organizer_client, organizer):
    response = organizer_client.post("/api/markets/", new_market_body(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == MARKET_FIELDS
    assert body["slug"] == "riverside"
    assert body["is_active"] is True
    assert Market.objects.get(pk=body["id"]).organizer == organizer


def test_market_create_with_bad_fields_is_400_naming_each(organizer_client):
    response = organizer_client.post(
        "/api/markets/",
        new_market_body(name="", slug="Not A Slug", timezone="Mars/Olympus", currency="XXY"),
        format="json",
    )

    body = assert_error(response, 400, "invalid")
    assert {"name", "slug", "timezone", "currency"} <= set(body["extra"]["fields"])
    assert not Market.objects.exists()


def test_second_market_on_free_plan_is_402(organizer_client, market):
    response = organizer_client.post("/api/markets/", new_market_body(), format="json")

    body = assert_error(response, 402, "plan_limit_reached")
    assert body["extra"]["resource"] == "markets"
    assert Market.objects.count() == 1


def test_second_market_on_paid_plan_is_201(organizer_client, organizer, market):
    organizer.plan = User.Plan.PAID
    organizer.save(update_fields=["plan"])

    response = organizer_client.post("/api/markets/", new_market_body(), format="json")

    assert response.status_code == 201


def test_market_create_with_taken_slug_is_409(organizer_client, other_market):
    response = organizer_client.post(
        "/api/markets/", new_market_body(slug=other_market.slug), format="json"
    )

    assert_error(response, 409, "market_slug_taken")
    assert Market.objects.count() == 1


def test_market_read(organizer_client, market):
    response = organizer_client.get(f"/api/markets/{market.id}/")

    assert response.status_code == 200
    assert response.json()["id"] == str(market.id)
    assert set(response.json()) == MARKET_FIELDS


def test_market_patch_changes_only_given_fields(organizer_client, market):
    response = organizer_client.patch(
        f"/api/markets/{market.id}/", {"name": "Renamed", "is_active": False}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    market.refresh_from_db()
    assert (market.name, market.is_active, market.currency) == ("Renamed", False, "EUR")


def test_market_patch_invalid_is_400_and_changes_nothing(organizer_client, market):
    response = organizer_client.patch(
        f"/api/markets/{market.id}/", {"timezone": "Nowhere/Town"}, format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert "timezone" in body["extra"]["fields"]
    market.refresh_from_db()
    assert market.timezone == "Europe/Berlin"


def test_market_put_replaces_the_fields(organizer_client, market):
    response = organizer_client.put(
        f"/api/markets/{market.id}/", new_market_body(slug=market.slug), format="json"
    )

    assert response.status_code == 200
    market.refresh_from_db()
    assert market.name == "Riverside Farmers Market"


def test_market_delete_is_204(organizer_client, market):
    StallFactory(market=market)

    response = organizer_client.delete(f"/api/markets/{market.id}/")

    assert response.status_code == 204
    assert not Market.objects.filter(pk=market.id).exists()


def test_market_with_bookings_delete_is_409(organizer_client, market, market_day):
    BookingFactory(market_day=market_day)

    response = organizer_client.delete(f"/api/markets/{market.id}/")

    assert_error(response, 409, "market_has_bookings")
    assert Market.objects.filter(pk=market.id).exists()


def test_unknown_market_is_404(organizer_client):
    response = organizer_client.get("/api/markets/01900000-0000-7000-8000-000000000000/")

    assert_error(response, 404, "not_found")


# Market days.


def test_market_day_list_is_a_page_ordered_by_date(organizer_client, market):
    later = MarketDayFactory(market=market, date=days_from_today(30))
    sooner = MarketDayFactory(market=market, date=days_from_today(3))

    results = assert_page(organizer_client.get(f"/api/markets/{market.id}/market-days/"))

    assert ids(results) == [str(sooner.id), str(later.id)]
    assert set(results[0]) == MARKET_DAY_FIELDS


def test_market_day_create_is_201(organizer_client, market):
    date = days_from_today(10)

    response = organizer_client.post(
        f"/api/markets/{market.id}/market-days/",
        {"date": str(date), "start_time": "08:00", "end_time": "13:00"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == MARKET_DAY_FIELDS
    assert (body["market_id"], body["date"], body["status"]) == (
        str(market.id),
        str(date),
        "scheduled",
    )


def test_market_day_ending_before_it_starts_is_400(organizer_client, market):
    response = organizer_client.post(
        f"/api/markets/{market.id}/market-days/",
        {"date": str(days_from_today(10)), "start_time": "13:00", "end_time": "08:00"},
        format="json",
    )

    body = assert_error(response, 400, "invalid")
    assert "end_time" in body["extra"]["fields"]
    assert not MarketDay.objects.exists()


def test_market_day_in_the_past_is_409(organizer_client, market):
    response = organizer_client.post(
        f"/api/markets/{market.id}/market-days/",
        {"date": str(days_from_today(-3)), "start_time": "08:00", "end_time": "13:00"},
        format="json",
    )

    assert_error(response, 409, "market_day_in_past")
    assert not MarketDay.objects.exists()


def test_market_day_on_a_taken_date_is_409(organizer_client, market, market_day):
    response = organizer_client.post(
        f"/api/markets/{market.id}/market-days/",
        {"date": str(market_day.date), "start_time": "14:00", "end_time": "18:00"},
        format="json",
    )

    assert_error(response, 409, "market_day_date_taken")
    assert MarketDay.objects.count() == 1


def test_market_day_read(organizer_client, market, market_day):
    response = organizer_client.get(f"/api/markets/{market.id}/market-days/{market_day.id}/")

    assert response.status_code == 200
    assert response.json()["id"] == str(market_day.id)


def test_market_day_patch_cancels_it(organizer_client, market, market_day):
    response = organizer_client.patch(
        f"/api/markets/{market.id}/market-days/{market_day.id}/",
        {"status": "cancelled", "note": "Storm warning"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    market_day.refresh_from_db()
    assert (market_day.status, market_day.note) == ("cancelled", "Storm warning")


def test_market_day_delete_is_204(organizer_client, market, market_day):
    response = organizer_client.delete(f"/api/markets/{market.id}/market-days/{market_day.id}/")

    assert response.status_code == 204
    assert not MarketDay.objects.filter(pk=market_day.id).exists()


def test_market_day_with_bookings_delete_is_409(organizer_client, market, market_day):
    BookingFactory(market_day=market_day)

    response = organizer_client.delete(f"/api/markets/{market.id}/market-days/{market_day.id}/")

    assert_error(response, 409, "market_day_has_bookings")
    assert MarketDay.objects.filter(pk=market_day.id).exists()


# The public market page.


def test_public_market_needs_no_credentials(anon_client, market):
    response = anon_client.get(f"/api/public/markets/{market.id}/")

    assert response.status_code == 200
    assert set(response.json()) == {
        "id",
        "name",
        "slug",
        "description",
        "location",
        "timezone",
        "currency",
        "accepted_categories",
        "required_document_types",
        "upcoming_market_days",
    }


def test_public_market_ignores_a_stale_token(anon_client, market):
    anon_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    assert anon_client.get(f"/api/public/markets/{market.id}/").status_code == 200


def test_public_market_lists_only_upcoming_scheduled_days_in_order(anon_client, market):
    MarketDayFactory(market=market, date=days_from_today(-7))
    MarketDayFactory(market=market, date=days_from_today(14), status="cancelled")
    later = MarketDayFactory(market=market, date=days_from_today(21))
    sooner = MarketDayFactory(market=market, date=days_from_today(7))

    response = anon_client.get(f"/api/public/markets/{market.id}/")

    assert response.status_code == 200
    assert response.json()["upcoming_market_days"] == [
        {"date": str(day.date), "start_time": "08:00:00", "end_time": "13:00:00"}
        for day in (sooner, later)
    ]


def test_inactive_public_market_is_404(anon_client):
    market = MarketFactory(is_active=False)

    assert_error(anon_client.get(f"/api/public/markets/{market.id}/"), 404, "not_found")


def test_unknown_public_market_is_404(anon_client):
    response = anon_client.get("/api/public/markets/01900000-0000-7000-8000-000000000000/")

    assert_error(response, 404, "not_found")


def test_a_token_of_a_deactivated_user_is_refused(organizer, market):
    client = token_client(organizer)
    organizer.is_active = False
    organizer.save(update_fields=["is_active"])

    assert_error(client.get("/api/markets/"), 401, "authentication_failed")


@pytest.mark.parametrize(
    ("client_name", "path"),
    [("organizer_client", "/api/markets/"), ("vendor_client", "/api/me/applications/")],
)
def test_invalid_cursor_is_404(request, client_name, path):
    client = request.getfixturevalue(client_name)

    assert_error(client.get(path, {"cursor": "not-a-cursor"}), 404, "not_found")


def test_cursor_pages_link_to_each_other(organizer_client, organizer):
    organizer.plan = User.Plan.PAID
    organizer.save(update_fields=["plan"])
    MarketFactory.create_batch(3, organizer=organizer)

    first = organizer_client.get("/api/markets/", {"page_size": 2}).json()
    second = organizer_client.get(first["next"]).json()

    assert first["previous"] is None and len(first["results"]) == 2
    assert len(second["results"]) == 1 and second["next"] is None
    assert second["previous"] is not None
    assert not set(ids(first["results"])) & set(ids(second["results"]))


def test_a_market_accepts_every_category_unless_told_otherwise(organizer_client):
    response = organizer_client.post(
        "/api/markets/", {"name": "Night market", "slug": "night"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["accepted_categories"] == [
        "produce",
        "baked_goods",
        "crafts",
        "prepared_food",
        "beverages",
        "other",
    ]


def test_accepted_categories_follow_the_category_rule(organizer_client, market):
    response = organizer_client.patch(
        f"/api/markets/{market.id}/", {"accepted_categories": ["produce", "fish"]}, format="json"
    )

    assert response.status_code == 400
    assert "“fish”" in response.json()["extra"]["fields"]["accepted_categories"][0]
    market.refresh_from_db()
    assert "crafts" in market.accepted_categories


def test_an_organizer_narrows_the_accepted_categories(organizer_client, market):
    response = organizer_client.patch(
        f"/api/markets/{market.id}/",
        {"accepted_categories": ["crafts"], "required_document_types": ["insurance"]},
        format="json",
    )

    assert response.status_code == 200
    market.refresh_from_db()
    assert market.accepted_categories == ["crafts"]
    assert market.required_document_types == ["insurance"]
