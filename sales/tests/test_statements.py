"""The sales fee on statements: counted as due while unpaid (on days that take place), shown
per line with how it was computed, to the organizer (admin, API, CSV) and to the vendor
(API, fees page, the portal's "what you owe")."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from conftest import token_client
from marketflow.models import MarketDay
from sales.tests.factories import past_day
from stalls.models import Booking
from stalls.selectors import market_fee_statements, market_fee_totals, vendor_fee_statements
from stalls.tests.factories import BookingFactory, accepted_vendor_with_account

pytestmark = pytest.mark.django_db

Status = Booking.PaymentStatus
NOTE = "6% of 100.00 EUR = 6.00 EUR."


@pytest.fixture
def percent_days(market):
    """A vendor under the percentage rule: a reported day (sales fee 6.00 unpaid), a paid
    one (4.00), and a cancelled day's (not due)."""
    market.sales_fee_rule, market.sales_fee_percent = "percent", 6
    market.save()
    vendor, user = accepted_vendor_with_account(market)

    def book(days_ago, sales_fee, fee_status=Status.UNPAID, **day):
        return BookingFactory(
            market_day=past_day(market, days_ago, **day),
            vendor=vendor,
            fee_cents=0,
            sales_fee_cents=sales_fee,
            sales_fee_note=NOTE,
            sales_fee_status=fee_status,
        )

    return {
        "vendor": vendor,
        "user": user,
        "due": book(1, 600),
        "paid": book(8, 400, Status.PAID),
        "cancelled": book(15, 900, status=MarketDay.Status.CANCELLED),
    }


def test_unpaid_sales_fees_are_due_and_totalled(market, percent_days):
    (row,) = market_fee_statements(market=market)
    totals = market_fee_totals(market=market)

    for sums in (row, totals):
        assert (sums["due_cents"], sums["paid_cents"], sums["sales_fees_cents"]) == (600, 400, 1000)


def test_each_line_shows_its_sales_fee_and_note(market, percent_days):
    (statement,) = vendor_fee_statements(vendor_id=percent_days["vendor"].pk, market=market)

    lines = {line["id"]: line for line in statement["lines"]}
    due = lines[percent_days["due"].pk]
    assert (due["sales_fee_cents"], due["sales_fee_note"], due["sales_fee_label"]) == (
        600,
        NOTE,
        "Unpaid",
    )
    assert lines[percent_days["paid"].pk]["sales_fee_status"] == Status.PAID


def test_the_organizer_sees_sales_fees_in_admin_api_and_csv(
    market, percent_days, organizer_admin, organizer_client
):
    statement_url = reverse(
        "admin:marketflow_market_fee_statement", args=[market.pk, percent_days["vendor"].pk]
    )
    page = organizer_admin.get(statement_url).content.decode()
    assert "+ sales fee 6.00 EUR" in page and NOTE in page
    assert '<span class="mf-number" id="total-sales-fees">10.00 EUR</span>' in page

    body = organizer_client.get(f"/api/markets/{market.pk}/fees/").json()
    assert (body["due_cents"], body["sales_fees_cents"]) == (600, 1000)
    assert body["vendors"][0]["sales_fees_cents"] == 1000

    response = organizer_admin.get(reverse("admin:marketflow_market_fees_csv", args=[market.pk]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text)))
    assert row[header.index("sales fees (EUR)")] == "10.00"
    assert row[header.index("due (EUR)")] == "6.00"


def test_the_vendor_sees_sales_fees_in_api_page_and_portal(market, percent_days):
    client = Client()
    client.force_login(percent_days["user"])

    (statement,) = token_client(percent_days["user"]).get("/api/me/fees/").json()["markets"]
    line = next(li for li in statement["lines"] if li["booking_id"] == str(percent_days["due"].pk))
    assert (line["sales_fee_cents"], line["sales_fee_note"], line["sales_fee_status"]) == (
        600,
        NOTE,
        "unpaid",
    )
    page = client.get("/vendor/fees/").content.decode()
    assert "+ sales fee 6.00 EUR" in page and NOTE in page
    portal = client.get("/vendor/").content.decode()
    assert 'id="owed"' in portal and "sales fee: 6.00 EUR" in portal
    assert "Pay by card" not in portal  # a sales fee is settled with the organizer
