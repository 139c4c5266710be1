"""A market's sales settings through the API and the admin: currencies, the gross-sales text
and the fee rule, under the model's rules (a percentage rule needs a percentage above 0)."""

from decimal import Decimal

import pytest

from conftest import domain_snapshot
from marketflow.models import Market
from tests.admin_support import admin_url
from tests.api_contract import assert_error

pytestmark = pytest.mark.django_db


def url(market) -> str:
    return f"/api/markets/{market.pk}/"


def test_the_api_sets_and_reads_the_fee_rule(market, organizer_client):
    response = organizer_client.patch(
        url(market),
        {
            "sales_currencies": ["cash", "snap", "market_tokens"],
            "sales_fee_rule": "higher",
            "sales_fee_percent": "6.5",
            "sales_fee_cap_cents": 5_000,
            "sales_report_days": 2,
            "gross_sales_definition": "All you took in.",
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["sales_currencies"] == ["cash", "snap", "market_tokens"]
    assert (body["sales_fee_rule"], body["sales_fee_percent"]) == ("higher", "6.50")
    assert (body["sales_fee_cap_cents"], body["sales_report_days"]) == (5_000, 2)
    market.refresh_from_db()
    assert market.sales_fee_percent == Decimal("6.5")
    assert market.gross_sales_definition == "All you took in."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sales_fee_rule": "percent"}, "sales_fee_percent"),  # still 0 %
        ({"sales_fee_rule": "higher", "sales_fee_percent": 0}, "sales_fee_percent"),
        ({"sales_fee_percent": "100.01"}, "sales_fee_percent"),
        ({"sales_fee_percent": -1}, "sales_fee_percent"),
        ({"sales_fee_rule": "tithe"}, "sales_fee_rule"),
        ({"sales_currencies": []}, "sales_currencies"),
        ({"sales_currencies": ["cash", "bitcoin"]}, "sales_currencies"),
        ({"sales_currencies": ["cash", "cash"]}, "sales_currencies"),
        ({"sales_currencies": "cash"}, "sales_currencies"),
        ({"sales_fee_cap_cents": -5}, "sales_fee_cap_cents"),
        ({"sales_report_days": 31}, "sales_report_days"),
        ({"gross_sales_definition": "x" * 1001}, "gross_sales_definition"),
    ],
)
def test_the_api_refuses_bad_sales_settings_with_the_field(market, organizer_client, body, field):
    before = domain_snapshot()

    response = organizer_client.patch(url(market), body, format="json")

    assert set(assert_error(response, 400, "invalid")["extra"]["fields"]) == {field}
    assert domain_snapshot() == before


def test_a_new_market_gets_every_currency_and_the_flat_rule(organizer_client):
    response = organizer_client.post(
        "/api/markets/",
        {"name": "Riverside", "slug": "riverside", "timezone": "UTC", "currency": "USD"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sales_currencies"] == ["cash", "card", "snap", "wic", "market_tokens", "incentive"]
    assert (body["sales_fee_rule"], body["sales_fee_percent"]) == ("flat", "0.00")


def test_another_organizers_market_is_not_found(market, other_organizer_client):
    response = other_organizer_client.patch(url(market), {"sales_report_days": 1}, format="json")

    assert_error(response, 404, "not_found")


def _change_form(market) -> dict:
    """The market's change form as posted unchanged (no inline rows)."""
    return {
        "name": market.name,
        "slug": market.slug,
        "description": market.description,
        "location": market.location,
        "timezone": market.timezone,
        "currency": market.currency,
        "is_active": "on",
        "accepted_categories": market.accepted_categories,
        "waitlist_order": market.waitlist_order,
        "cancelled_day_policy": market.cancelled_day_policy,
        "sales_currencies": market.sales_currencies,
        "sales_fee_rule": market.sales_fee_rule,
        "sales_fee_percent": str(market.sales_fee_percent),
        "sales_report_days": market.sales_report_days,
        "gross_sales_definition": market.gross_sales_definition,
        "market_days-TOTAL_FORMS": "0",
        "market_days-INITIAL_FORMS": "0",
        "stalls-TOTAL_FORMS": "0",
        "stalls-INITIAL_FORMS": "0",
    }


def test_the_admin_shows_a_sales_and_fees_fieldset_with_help(market, organizer_admin):
    response = organizer_admin.get(admin_url("market", "change", market.pk))

    page = response.content.decode()
    assert "Sales and fees" in page
    assert "A change applies to sales reported after it" in page
    assert 'name="sales_fee_cap_cents"' in page
    assert 'value="market_tokens"' in page


def test_the_admin_sets_a_percentage_rule_with_a_cap_in_money(market, organizer_admin):
    response = organizer_admin.post(
        admin_url("market", "change", market.pk),
        {
            **_change_form(market),
            "sales_currencies": ["cash", "snap"],
            "sales_fee_rule": "percent",
            "sales_fee_percent": "5",
            "sales_fee_cap_cents": "40.00",
            "sales_report_days": "",
            "gross_sales_definition": "",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    market.refresh_from_db()
    assert market.sales_fee_rule == Market.SalesFeeRule.PERCENT
    assert (market.sales_fee_percent, market.sales_fee_cap_cents) == (Decimal(5), 4_000)
    assert market.sales_currencies == ["cash", "snap"]
    assert market.sales_report_days == 3  # left empty: unchanged
    assert market.gross_sales_definition.startswith("Everything your customers paid you")


def test_the_admin_refuses_a_percentage_rule_at_0_percent(market, organizer_admin):
    before = domain_snapshot()

    response = organizer_admin.post(
        admin_url("market", "change", market.pk),
        {**_change_form(market), "sales_fee_rule": "percent", "sales_fee_percent": ""},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "A percentage rule needs a percentage above 0." in errors["sales_fee_percent"]
    assert domain_snapshot() == before
