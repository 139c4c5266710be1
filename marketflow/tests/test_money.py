"""Money in currency units: amounts are stored as integer cents (the API's contract), shown by
one helper (``format_money``, the ``money`` filter) and typed by organizers as units of the
market's currency through one form field (``MoneyField``), on every admin form with an amount."""

import pytest
from django.core.exceptions import ValidationError

from conftest import domain_snapshot
from marketflow.currencies import format_money, money_amount, parse_money
from marketflow.tests.factories import MarketFactory
from stalls.models import Stall
from stalls.tests.factories import StallFactory
from tests.admin_support import admin_url, form_data, inline_row

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "currency", "cents"),
    [
        ("25", "USD", 2500),
        ("25.00", "USD", 2500),
        ("25.5", "EUR", 2550),
        (" $1,250.50 ", "USD", 125050),
        ("25 USD", "USD", 2500),
        ("€ 12.30", "EUR", 1230),
        (".50", "USD", 50),
        ("0", "USD", 0),
        ("2500", "JPY", 2500),
        ("1.250", "KWD", 1250),
    ],
)
def test_typed_amounts_become_cents(typed, currency, cents):
    assert parse_money(typed, currency) == cents


@pytest.mark.parametrize(
    ("typed", "currency", "code"),
    [
        ("-1", "USD", "negative_amount"),
        ("−5.00", "USD", "negative_amount"),
        ("abc", "USD", "invalid_amount"),
        ("25,00", "EUR", "invalid_amount"),
        ("1e3", "USD", "invalid_amount"),
        ("25.5.1", "USD", "invalid_amount"),
        ("NaN", "USD", "invalid_amount"),
        ("25.001", "USD", "too_many_decimals"),
        ("25.5", "JPY", "too_many_decimals"),
        ("99999999999", "USD", "amount_too_large"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason(typed, currency, code):
    with pytest.raises(ValidationError) as refusal:
        parse_money(typed, currency)
    assert refusal.value.code == code


def test_amounts_show_in_the_currency_with_its_decimals():
    assert format_money(2500, "EUR") == "25.00 EUR"
    assert format_money(123456, "USD") == "1,234.56 USD"
    assert format_money(2500, "JPY") == "2,500 JPY"
    assert format_money(25000, "KWD") == "25.000 KWD"
    assert format_money(None, "USD") == "" and format_money(None, "USD", empty="–") == "–"
    assert (money_amount(123456, "USD"), money_amount(2500, "JPY")) == ("1234.56", "2500")


def test_the_stall_page_shows_and_takes_the_price_in_currency_units(market, organizer_admin):
    stall = StallFactory(market=market, price_per_day=2500)  # market.currency == "EUR"
    page = organizer_admin.get(admin_url("stall", "change", stall.pk))
    data = form_data(page)
    assert data["price_per_day"] == "25.00"
    assert "In EUR, e.g. 25.00." in page.content.decode()

    data["price_per_day"] = "€32.50"
    response = organizer_admin.post(admin_url("stall", "change", stall.pk), data)

    assert response.status_code == 302
    stall.refresh_from_db()
    assert stall.price_per_day == 3250


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-5", "Enter an amount of 0 or more."),
        ("25.001", "EUR amounts have at most 2 decimal places."),
        ("twenty", "Enter an amount in EUR, like 25.00."),
    ],
)
def test_a_bad_price_is_an_inline_error_and_changes_nothing(
    market, organizer_admin, typed, message
):
    stall = StallFactory(market=market, price_per_day=2500)
    data = form_data(organizer_admin.get(admin_url("stall", "change", stall.pk)))
    data["price_per_day"] = typed
    before = domain_snapshot()

    response = organizer_admin.post(admin_url("stall", "change", stall.pk), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["price_per_day"] == [message]
    assert domain_snapshot() == before


def test_a_new_stall_takes_the_chosen_markets_currency(organizer, organizer_admin):
    yen_market = MarketFactory(organizer=organizer, currency="JPY")
    data = {"market": yen_market.pk, "label": "J1", "size_category": "", "notes": ""}

    refused = organizer_admin.post(admin_url("stall", "add"), {**data, "price_per_day": "500.5"})
    saved = organizer_admin.post(admin_url("stall", "add"), {**data, "price_per_day": "500"})

    assert refused.context["adminform"].form.errors["price_per_day"] == [
        "JPY amounts have no decimal places."
    ]
    assert saved.status_code == 302
    assert Stall.objects.get(label="J1").price_per_day == 500


def test_stall_rows_on_the_market_page_take_units_of_the_currency_being_saved(
    market, organizer_admin
):
    page = organizer_admin.get(admin_url("market", "change", market.pk))
    data = form_data(page)
    data["currency"] = "JPY"  # changed on the same submit: the prices are yen
    inline_row(data, "stalls", label="Y1", price_per_day="1,200")
    response = organizer_admin.post(admin_url("market", "change", market.pk), data)
    assert response.status_code == 302
    assert Stall.objects.get(market=market, label="Y1").price_per_day == 1200

    data = form_data(organizer_admin.get(admin_url("market", "change", market.pk)))
    assert "1200" in data.values()
    row = inline_row(data, "stalls", label="Y2", price_per_day="-3")
    response = organizer_admin.post(admin_url("market", "change", market.pk), row)
    assert response.status_code == 200
    assert "Enter an amount of 0 or more." in response.content.decode()
    assert not Stall.objects.filter(label="Y2").exists()
