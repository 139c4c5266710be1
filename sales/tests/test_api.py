"""The sales API: the vendor's days and reports (/api/me/...), the organizer's entry."""

import datetime

import pytest

from conftest import token_client
from marketflow.tests.factories import MarketDayFactory
from sales.models import SalesReport
from sales.services import sales_report_submit
from sales.tests.factories import past_day
from stalls.models import Booking
from stalls.tests.factories import BookingFactory, accepted_vendor_with_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller(market):
    """A vendor accepted at ``market`` with an API token: (vendor, user, client)."""
    vendor, user = accepted_vendor_with_account(market)
    return vendor, user, token_client(user)


def booked(market, vendor, days_ago=1, **fields) -> Booking:
    return BookingFactory(market_day=past_day(market, days_ago), vendor=vendor, **fields)


def report_url(booking) -> str:
    return f"/api/me/bookings/{booking.pk}/sales/"


def organizer_url(booking) -> str:
    day = booking.market_day
    return f"/api/markets/{day.market_id}/market-days/{day.pk}/bookings/{booking.pk}/sales/"


def test_the_vendor_lists_reportable_days_newest_first(market, seller):
    vendor, user, client = seller
    older = booked(market, vendor, 3)
    newer = booked(market, vendor, 1)
    sales_report_submit(user=user, booking_id=older.pk, amounts={"cash": 1_200, "snap": 300})
    BookingFactory(
        market_day=MarketDayFactory(market=market, date=market.today() + datetime.timedelta(1)),
        vendor=vendor,
    )
    booked(market, vendor, 2, attendance=Booking.Attendance.NO_SHOW)

    body = client.get("/api/me/sales/").json()

    assert [day["booking_id"] for day in body["results"]] == [str(newer.pk), str(older.pk)]
    first, second = body["results"]
    assert first["report"] is None
    assert first["market_id"] == str(market.pk) and first["currency"] == market.currency
    deadline = newer.market_day.date + datetime.timedelta(days=market.sales_report_days)
    assert first["deadline"] == deadline.isoformat()
    assert first["date"] == newer.market_day.date.isoformat()
    assert first["stall_label"] == newer.stall.label
    assert second["report"]["gross_cents"] == 1_500
    assert second["report"]["amounts"]["snap"] == 300 and second["report"]["late"] is False
    assert set(first) >= {"sales_fee_cents", "sales_fee_note", "sales_currencies", "market_name"}


def test_a_user_without_a_vendor_profile_gets_403(organizer_client):
    response = organizer_client.get("/api/me/sales/")
    assert (response.status_code, response.json()["code"]) == (403, "not_a_vendor")


def test_put_reports_then_revises(market, seller):
    vendor, _user, client = seller
    booking = booked(market, vendor)
    assert client.get(report_url(booking)).status_code == 404

    response = client.put(report_url(booking), {"amounts": {"cash": 5_000, "snap": 700}}, "json")
    assert response.status_code == 201, response.json()
    assert response.json()["gross_cents"] == 5_700 and response.json()["tokens_cents"] == 700

    again = client.put(report_url(booking), {"amounts": {"cash": 1}}, "json")
    assert (again.status_code, again.json()["code"]) == (409, "sales_report_exists")

    revised = client.put(
        report_url(booking), {"amounts": {"cash": 5_500}, "reason": "Recounted"}, "json"
    )
    assert revised.status_code == 200
    body = client.get(report_url(booking)).json()
    assert body["gross_cents"] == 5_500 and body["revised_at"]
    (revision,) = body["revisions"]
    assert revision["gross_cents"] == 5_700 and revision["amounts"]["snap"] == 700
    assert revision["reason"] == "Recounted" and revision["by_organizer"] is False


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"amounts": {"cash": -1}}, {"cash"}),
        ({"amounts": {"bitcoin": 1}}, {"bitcoin"}),
        ({"amounts": {"cash": 10**9}}, {"cash"}),
        ({"amounts": {"cash": "lots"}}, {"amounts"}),
        ({"amounts": []}, {"amounts"}),
        ({}, {"amounts"}),
        ({"amounts": {"cash": 1}, "reason": "x" * 301}, {"reason"}),
    ],
)
def test_bad_amounts_are_400_by_field(market, seller, body, fields):
    vendor, _user, client = seller
    booking = booked(market, vendor)

    response = client.put(report_url(booking), body, "json")

    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert set(response.json()["extra"]["fields"]) == fields
    assert not SalesReport.objects.exists()


def test_conflicts_carry_the_services_codes(market, seller):
    vendor, user, client = seller
    future = BookingFactory(
        market_day=MarketDayFactory(market=market, date=market.today() + datetime.timedelta(2)),
        vendor=vendor,
    )
    response = client.put(report_url(future), {"amounts": {"cash": 1}}, "json")
    assert (response.status_code, response.json()["code"]) == (409, "sales_day_not_reportable")

    closed = booked(market, vendor, market.sales_report_days + 1)
    late = client.put(report_url(closed), {"amounts": {"cash": 1}}, "json")
    assert late.status_code == 201 and late.json()["late"] is True
    response = client.put(report_url(closed), {"amounts": {"cash": 2}, "reason": "Oops"}, "json")
    assert (response.status_code, response.json()["code"]) == (409, "sales_report_closed")

    settled = booked(market, vendor, 1, sales_fee_status=Booking.PaymentStatus.WAIVED)
    response = client.put(report_url(settled), {"amounts": {"cash": 1}}, "json")
    assert (response.status_code, response.json()["code"]) == (409, "sales_report_settled")


def test_another_vendors_booking_is_not_found(market, seller):
    _vendor, _user, client = seller
    other, other_user = accepted_vendor_with_account(market)
    booking = booked(market, other)
    sales_report_submit(user=other_user, booking_id=booking.pk, amounts={"cash": 100})

    assert client.get(report_url(booking)).json()["code"] == "not_found"
    response = client.put(report_url(booking), {"amounts": {"cash": 1}, "reason": "x"}, "json")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert SalesReport.objects.get().cash_cents == 100


def test_the_organizer_enters_and_corrects_after_the_deadline(market, organizer_client):
    vendor, user = accepted_vendor_with_account(market)
    booking = booked(market, vendor, market.sales_report_days + 2)
    assert organizer_client.get(organizer_url(booking)).status_code == 404

    response = organizer_client.put(organizer_url(booking), {"amounts": {"card": 900}}, "json")
    assert response.status_code == 201 and response.json()["late"] is True

    response = organizer_client.put(
        organizer_url(booking), {"amounts": {"card": 950}, "reason": "Slip misread"}, "json"
    )
    assert response.status_code == 200
    body = organizer_client.get(organizer_url(booking)).json()
    assert body["gross_cents"] == 950 and body["revisions"][0]["by_organizer"] is True
    assert SalesReport.objects.get().reported_by == market.organizer


def test_another_organizers_booking_is_not_found(market, other_market, other_organizer_client):
    vendor, _user = accepted_vendor_with_account(market)
    booking = booked(market, vendor)
    other_day = past_day(other_market, 1)

    for url in (
        organizer_url(booking),
        f"/api/markets/{other_market.pk}/market-days/{other_day.pk}/bookings/{booking.pk}/sales/",
    ):
        assert other_organizer_client.get(url).status_code == 404
        response = other_organizer_client.put(url, {"amounts": {"cash": 1}}, "json")
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert not SalesReport.objects.exists()
