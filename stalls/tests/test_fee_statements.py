"""Fees owed per vendor across all days of a market: a statement per vendor in the admin
and in the vendor's portal (due, paid, waived), the market's list as CSV; a cancelled day's
unpaid fee is not due. An organizer sees only their markets, a vendor only their own fees."""

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from applications.tests.factories import AcceptedApplicationFactory
from conftest import token_client
from marketflow.admin_base import csv_cell
from marketflow.models import MarketDay
from marketflow.tests.factories import MarketDayFactory, MarketFactory, UserFactory
from stalls.models import Booking
from stalls.selectors import market_fee_statements, market_fee_totals, vendor_fee_statements
from stalls.serializers import (
    MarketFeesSerializer,
    MeFeesSerializer,
    market_fees_data,
    vendor_fees_data,
)
from stalls.tests.factories import BookingFactory, StallFactory
from tests.admin_support import count_queries
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

Status = Booking.PaymentStatus


def book(market, vendor, fee, status=Status.UNPAID, *, day_status=MarketDay.Status.SCHEDULED):
    if not vendor.applications.filter(market=market).exists():
        AcceptedApplicationFactory(market=market, vendor=vendor)
    day = MarketDayFactory(market=market, status=day_status)
    stall = StallFactory(market=market, price_per_day=fee)
    return BookingFactory(market_day=day, stall=stall, vendor=vendor, payment_status=status)


@pytest.fixture
def season(market):
    """Two vendors over five days of ``market`` (EUR), and a booking at another market."""
    bakery = VendorFactory(business_name="Hill Bakery", phone="+1 555 0100")
    no_show = book(market, bakery, 2500)  # and did not come: the market's no-show fee
    Booking.objects.filter(pk=no_show.pk).update(attendance="no_show", no_show_fee_cents=1500)
    book(market, bakery, 2500, Status.PAID)
    book(market, bakery, 2000, Status.WAIVED)
    book(market, bakery, 9900, day_status=MarketDay.Status.CANCELLED)  # not due
    farm = VendorFactory(business_name='=HYPERLINK("http://evil.example","Farm")', phone="")
    book(market, farm, 3000, Status.PAID)
    book(MarketFactory(currency="USD"), bakery, 7777)  # another market's fee
    return {"bakery": bakery, "farm": farm}


def test_each_vendor_owes_the_unpaid_fees_of_days_that_take_place(market, season):
    rows = {row["vendor_id"]: row for row in market_fee_statements(market=market)}

    bakery, farm = rows[season["bakery"].pk], rows[season["farm"].pk]
    assert (bakery["days_booked"], bakery["due_cents"], bakery["paid_cents"]) == (4, 2500, 2500)
    assert bakery["waived_cents"] == 2000
    assert (farm["due_cents"], farm["paid_cents"], farm["waived_cents"]) == (0, 3000, 0)
    assert market_fee_totals(market=market) == {
        "days_booked": 5,
        "due_cents": 2500,
        "paid_cents": 5500,
        "waived_cents": 2000,
        "sales_fees_cents": 0,
        "no_show_fees_cents": 1500,
    }


def test_a_vendors_statement_has_a_line_per_day_and_the_same_totals(market, season):
    (statement,) = vendor_fee_statements(vendor_id=season["bakery"].pk, market=market)
    assert (statement["market_id"], statement["currency"]) == (market.pk, "EUR")
    assert [line["fee_cents"] for line in statement["lines"]] == [2500, 2500, 2000, 9900]
    assert [line["day_cancelled"] for line in statement["lines"]] == [False] * 3 + [True]
    assert (statement["due_cents"], statement["paid_cents"], statement["waived_cents"]) == (
        2500,
        2500,
        2000,
    )
    every_market = vendor_fee_statements(vendor_id=season["bakery"].pk)
    assert sorted(s["currency"] for s in every_market) == ["EUR", "USD"]


def test_the_admin_lists_fees_by_vendor_and_links_each_statement(market, season, organizer_admin):
    response = organizer_admin.get(reverse("admin:marketflow_market_fees", args=[market.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="mf-number" id="total-due">25.00 EUR</span>' in html
    assert '<span class="mf-number" id="total-paid">55.00 EUR</span>' in html
    statement_url = reverse(
        "admin:marketflow_market_fee_statement", args=[market.pk, season["bakery"].pk]
    )
    assert f'href="{statement_url}"' in html
    change_page = organizer_admin.get(reverse("admin:marketflow_market_change", args=[market.pk]))
    assert reverse("admin:marketflow_market_fees", args=[market.pk]) in change_page.content.decode()

    statement = organizer_admin.get(statement_url)
    assert statement.status_code == 200
    page = statement.content.decode()
    assert page.count('<tr>\n        <th scope="row">') == 4
    assert "cancelled: not due" in page and "99.00 EUR" in page
    assert '<span class="mf-number" id="total-waived">20.00 EUR</span>' in page
    assert "77.77" not in page  # the other market's fee


def test_fees_of_another_organizers_market_or_an_unbooked_vendor_are_not_found(
    market, season, organizer_admin, other_organizer_admin
):
    urls = [
        reverse("admin:marketflow_market_fees", args=[market.pk]),
        reverse("admin:marketflow_market_fees_csv", args=[market.pk]),
        reverse("admin:marketflow_market_fee_statement", args=[market.pk, season["bakery"].pk]),
    ]
    for url in urls:
        assert other_organizer_admin.get(url).status_code == 404
    stranger = VendorFactory()
    url = reverse("admin:marketflow_market_fee_statement", args=[market.pk, stranger.pk])
    assert organizer_admin.get(url).status_code == 404


def test_the_csv_has_a_row_per_vendor_phones_as_typed_and_no_formulas(
    market, season, organizer_admin
):
    response = organizer_admin.get(reverse("admin:marketflow_market_fees_csv", args=[market.pk]))

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == [
        "business name",
        "contact name",
        "e-mail",
        "phone",
        "days booked",
        "due (EUR)",
        "paid (EUR)",
        "waived (EUR)",
        "sales fees (EUR)",
        "no-show fees (EUR)",
    ]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Hill Bakery"][3:] == [
        "+1 555 0100",
        "4",
        "25.00",
        "25.00",
        "20.00",
        "0.00",
        "15.00",
    ]
    assert '\'=HYPERLINK("http://evil.example","Farm")' in by_name


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("+1 555 0100", "+1 555 0100"),
        ("+44 (20) 7946-0958", "+44 (20) 7946-0958"),
        ("-12.50", "-12.50"),
        ("=1+1", "'=1+1"),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3+SUM(A1:A9)", "'-2+3+SUM(A1:A9)"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
    ],
)
def test_a_csv_cell_neutralises_formulas_but_not_phone_numbers(value, cell):
    assert csv_cell(value) == cell


def test_the_fees_page_costs_the_same_for_1_and_30_vendors(market, organizer_admin):
    url = reverse("admin:marketflow_market_fees", args=[market.pk])
    book(market, VendorFactory(), 1000)
    queries_for_one, response = count_queries(lambda: organizer_admin.get(url))
    assert len(response.context["vendors"]) == 1
    for _number in range(29):
        book(market, VendorFactory(), 1000, Status.PAID)

    queries_for_thirty, response = count_queries(lambda: organizer_admin.get(url))

    assert len(response.context["vendors"]) == 30
    assert queries_for_thirty == queries_for_one


def test_a_vendor_sees_their_own_fees_per_market_in_the_portal(market, season):
    bakery = season["bakery"]
    bakery.user = UserFactory(email=bakery.email)
    bakery.save(update_fields=["user", "updated_at"])
    portal = Client()
    portal.force_login(bakery.user)

    assert 'href="/vendor/fees/"' in portal.get("/vendor/").content.decode()
    response = portal.get("/vendor/fees/")

    assert response.status_code == 200
    html = " ".join(response.content.decode().split())
    assert f"<h2>{market.name}</h2>" in html
    assert "Due 25.00 EUR</strong> · paid 25.00 EUR · waived 20.00 EUR" in html
    assert "Due 77.77 USD" in html  # the other market, in its own currency
    assert "HYPERLINK" not in html  # another vendor's
    anonymous = Client().get("/vendor/fees/")
    assert anonymous.status_code == 302


def test_the_portal_statement_costs_the_same_for_1_and_20_days(vendor_user, vendor, market):
    portal = Client()
    portal.force_login(vendor_user)
    book(market, vendor, 1000)
    queries_for_one, response = count_queries(lambda: portal.get("/vendor/fees/"))
    for _number in range(19):
        book(market, vendor, 1000)
    queries_for_twenty, response = count_queries(lambda: portal.get("/vendor/fees/"))
    assert len(response.context["statements"][0]["lines"]) == 20
    assert queries_for_twenty == queries_for_one


def test_the_api_answers_fees_by_vendor_as_its_schema_says(market, season, organizer_client):
    response = organizer_client.get(f"/api/markets/{market.pk}/fees/")

    assert response.status_code == 200
    body = response.json()
    assert (body["currency"], body["due_cents"], body["paid_cents"]) == ("EUR", 2500, 5500)
    bakery = next(row for row in body["vendors"] if row["vendor"]["id"] == str(season["bakery"].pk))
    assert bakery["vendor"]["phone"] == "+1 555 0100"
    assert (bakery["days_booked"], bakery["due_cents"], bakery["waived_cents"]) == (4, 2500, 2000)
    # The fast path says exactly what the serializer says.
    expected = MarketFeesSerializer(
        market_fees_data(
            market=market,
            vendor_rows=market_fee_statements(market=market),
            totals=market_fee_totals(market=market),
        )
    ).data
    assert body == json.loads(json.dumps(expected, default=str))


def test_the_api_refuses_fees_to_vendors_and_strangers(market, vendor_client, client):
    assert vendor_client.get(f"/api/markets/{market.pk}/fees/").status_code == 403
    assert client.get(f"/api/markets/{market.pk}/fees/").status_code == 401


def test_a_vendor_reads_their_own_fees_per_market_from_the_api(market, season):
    bakery = season["bakery"]
    bakery.user = UserFactory(email=bakery.email)
    bakery.save(update_fields=["user", "updated_at"])

    body = token_client(bakery.user).get("/api/me/fees/").json()

    eur = next(row for row in body["markets"] if row["market_id"] == str(market.pk))
    assert (eur["currency"], eur["due_cents"], eur["paid_cents"], eur["waived_cents"]) == (
        "EUR",
        2500,
        2500,
        2000,
    )
    assert [line["day_status"] for line in eur["lines"]][-1] == "cancelled"
    assert {row["currency"] for row in body["markets"]} == {"EUR", "USD"}
    statements = vendor_fee_statements(vendor_id=bakery.pk)
    expected = MeFeesSerializer(vendor_fees_data(statements)).data
    for netted in body["markets"]:  # the sales app nets the tokens owed (sales/tests)
        del netted["tokens_owed_cents"], netted["net_cents"]
    assert body == json.loads(json.dumps(expected, default=str))


def test_the_fees_api_refuses_a_user_without_a_vendor_profile(organizer_client):
    response = organizer_client.get("/api/me/fees/")
    assert (response.status_code, response.json()["code"]) == (403, "not_a_vendor")
