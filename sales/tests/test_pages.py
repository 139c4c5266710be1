"""The vendor's sales pages: the days to report, the report form, revising, the deadline."""

import datetime
import re

import pytest
from django.test import Client

from marketflow.tests.factories import MarketDayFactory
from sales.models import SalesReport
from sales.services import sales_report_submit
from sales.tests.factories import past_day
from stalls.models import Booking
from stalls.tests.factories import BookingFactory, StallFactory, accepted_vendor_with_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller(market):
    """A vendor accepted at ``market`` (in dollars), signed in: (vendor, user, client)."""
    market.currency = "USD"
    market.save()
    vendor, user = accepted_vendor_with_account(market)
    client = Client()
    client.force_login(user)
    return vendor, user, client


def booked(market, vendor, days_ago=1, **fields):
    stall = StallFactory(market=market)
    return BookingFactory(
        market_day=past_day(market, days_ago), stall=stall, vendor=vendor, **fields
    )


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_portal_counts_the_days_to_report_and_links_them(market, seller):
    vendor, _user, client = seller
    booked(market, vendor, 1)
    booked(market, vendor, 2)
    reported = booked(market, vendor, 3)
    sales_report_submit(user=vendor.user, booking_id=reported.pk, amounts={"cash": 100})
    booked(market, vendor, 10)  # past the 3 days' deadline: late, no longer "to report"
    MarketDayFactory(market=market, date=market.today() + datetime.timedelta(days=2))

    page = text(client.get("/vendor/"))

    assert "2 market days to report" in page
    assert 'href="/vendor/sales/"' in page


def test_the_days_not_reported_come_first_then_the_newest(market, seller):
    vendor, _user, client = seller
    reported = booked(market, vendor, 1)
    sales_report_submit(user=vendor.user, booking_id=reported.pk, amounts={"cash": 4_200})
    open_day = booked(market, vendor, 2)
    late_day = booked(market, vendor, 9)
    future = BookingFactory(
        market_day=MarketDayFactory(market=market, date=market.today() + datetime.timedelta(1)),
        vendor=vendor,
    )
    cancelled = booked(market, vendor, 4, cancelled_at=datetime.datetime.now(datetime.UTC))
    no_show = booked(market, vendor, 5, attendance=Booking.Attendance.NO_SHOW)

    response = client.get("/vendor/sales/")

    links = re.findall(r'href="/vendor/sales/([0-9a-f-]{36})/"', response.content.decode())
    assert links == [str(open_day.pk), str(late_day.pk), str(reported.pk)]
    page = text(response)
    assert "42.00 USD" in page and "To report" in page and "a report now is late" in page
    for hidden in (future, cancelled, no_show):
        assert str(hidden.pk) not in page
        assert client.get(f"/vendor/sales/{hidden.pk}/").status_code == 404


def test_a_vendor_reports_then_revises_with_a_reason(market, seller):
    market.sales_currencies = ["cash", "card", "snap"]
    market.gross_sales_definition = "Everything you sold, before fees."
    market.sales_fee_rule, market.sales_fee_percent = "percent", 5
    market.save()
    vendor, _user, client = seller
    booking = booked(market, vendor, fee_cents=0)
    url = f"/vendor/sales/{booking.pk}/"

    form = client.get(url).content.decode()
    assert "Everything you sold, before fees." in form
    assert 'name="cash"' in form and 'name="snap"' in form and 'name="wic"' not in form
    assert form.count('inputmode="decimal"') == 3 and 'name="reason"' not in form

    response = client.post(url, {"cash": "250.00", "card": "", "snap": "$40"})
    assert response.status_code == 302 and response["Location"] == url
    report = SalesReport.objects.get(booking=booking)
    assert (report.cash_cents, report.card_cents, report.snap_cents) == (25_000, 0, 4_000)
    page = text(client.get(url))
    assert "Sales of" in page and "reported: 290.00 USD in all" in page
    assert "Sales fee <strong>14.50 USD</strong>: 5% of 290.00 USD = 14.50 USD." in page
    assert 'name="reason"' in page

    refused = client.post(url, {"cash": "260", "snap": "40"})
    assert refused.status_code == 200 and "This field is required" in text(refused)

    client.post(url, {"cash": "260", "snap": "40", "reason": "Found a $10 bill"})
    page = text(client.get(url))
    assert "Your report: 300.00 USD" in page
    assert "Earlier figures" in page and "290.00 USD" in page and "Reason: Found a $10 bill" in page


def test_amounts_are_checked_on_the_form(market, seller):
    vendor, _user, client = seller
    booking = booked(market, vendor)

    response = client.post(f"/vendor/sales/{booking.pk}/", {"cash": "-5", "card": "12.345"})

    page = text(response)
    assert response.status_code == 200
    assert "Enter an amount of 0 or more." in page and "at most 2 decimal places" in page
    assert not SalesReport.objects.exists()


def test_after_the_deadline_the_figures_are_read_only(market, seller):
    vendor, user, client = seller
    booking = booked(market, vendor, 2)
    sales_report_submit(user=user, booking_id=booking.pk, amounts={"cash": 1_000})
    Booking.objects.filter(pk=booking.pk).update(
        market_day=past_day(market, market.sales_report_days + 1)
    )

    page = text(client.get(f"/vendor/sales/{booking.pk}/"))
    assert "ask the market" in page and '<form method="post" novalidate' not in page

    response = client.post(f"/vendor/sales/{booking.pk}/", {"cash": "20", "reason": "More"})
    assert "Ask the market to correct it." in text(response)
    assert SalesReport.objects.get().cash_cents == 1_000


def test_another_vendors_day_is_not_found(market, seller):
    _vendor, _user, client = seller
    other_vendor, _other_user = accepted_vendor_with_account(market)
    booking = booked(market, other_vendor)

    assert client.get(f"/vendor/sales/{booking.pk}/").status_code == 404
    assert client.post(f"/vendor/sales/{booking.pk}/", {"cash": "1"}).status_code == 404
    assert not SalesReport.objects.exists()


def test_the_form_needs_the_csrf_token(market, seller):
    vendor, user, _client = seller
    booking = booked(market, vendor)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.post(f"/vendor/sales/{booking.pk}/", {"cash": "1"}).status_code == 403


def test_a_correction_by_the_market_shows_in_the_history(market, seller):
    vendor, user, client = seller
    booking = booked(market, vendor)
    sales_report_submit(user=user, booking_id=booking.pk, amounts={"cash": 1_000})
    sales_report_submit(
        user=market.organizer,
        booking_id=booking.pk,
        amounts={"cash": 1_500},
        reason="Slip recounted",
        as_organizer=True,
    )

    page = text(client.get(f"/vendor/sales/{booking.pk}/"))

    assert "Your report: 15.00 USD" in page
    assert "by the market" in page and "Reason: Slip recounted" in page


def test_a_settled_day_is_read_only(market, seller):
    vendor, user, client = seller
    booking = booked(market, vendor, sales_fee_status=Booking.PaymentStatus.WAIVED)

    page = text(client.get(f"/vendor/sales/{booking.pk}/"))

    assert "settled with the market" in page and 'name="cash"' not in page
    response = client.post(f"/vendor/sales/{booking.pk}/", {"cash": "20"})
    assert "can no longer change" in text(response)
    assert not SalesReport.objects.exists()
