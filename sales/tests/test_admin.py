"""Sales reports in the admin: the organizer's list, and entering or revising a report."""

import datetime
import re

import pytest
from django.urls import reverse

from marketflow.tests.factories import MarketDayFactory
from sales.models import SalesReport
from sales.services import sales_report_submit
from sales.tests.factories import SalesReportFactory, past_day
from stalls.tests.factories import BookingFactory, accepted_vendor_with_account

pytestmark = pytest.mark.django_db


def booked(market, days_ago=1):
    vendor, user = accepted_vendor_with_account(market)
    return BookingFactory(market_day=past_day(market, days_ago), vendor=vendor), user


def enter_url(booking) -> str:
    return reverse("admin:sales_salesreport_enter", args=[booking.pk])


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_list_shows_only_the_organizers_markets(organizer_admin, market, other_market):
    market.currency = "USD"
    market.save()
    mine = SalesReportFactory(booking=booked(market)[0], cash_cents=12_345)
    theirs = SalesReportFactory(booking=booked(other_market)[0])
    changelist = reverse("admin:sales_salesreport_changelist")

    page = text(organizer_admin.get(changelist))

    assert mine.vendor.business_name in page and "123.45 USD" in page
    assert theirs.vendor.business_name not in page
    filtered = text(organizer_admin.get(changelist, {"market_day": str(mine.market_day_id)}))
    assert mine.vendor.business_name in filtered
    other_day = text(organizer_admin.get(changelist, {"market_day": str(theirs.market_day_id)}))
    assert mine.vendor.business_name not in other_day
    assert theirs.vendor.business_name not in other_day
    change = reverse("admin:sales_salesreport_change", args=[theirs.pk])
    assert organizer_admin.get(change).status_code == 404
    assert (
        organizer_admin.get(reverse("admin:sales_salesreport_change", args=[mine.pk])).status_code
        == 200
    )
    assert organizer_admin.get(reverse("admin:sales_salesreport_add")).status_code == 403


def test_the_organizer_enters_then_revises_from_the_board(organizer_admin, market):
    booking, _user = booked(market, market.sales_report_days + 3)
    board = reverse("admin:stalls_booking_board", args=[booking.market_day_id])
    assert enter_url(booking) in organizer_admin.get(board).content.decode()
    assert 'name="cash"' in organizer_admin.get(enter_url(booking)).content.decode()

    response = organizer_admin.post(enter_url(booking), {"cash": "80.00", "snap": "12"})

    assert response.status_code == 302 and response["Location"] == board
    report = SalesReport.objects.get(booking=booking)
    assert (report.gross_cents, report.late, report.reported_by) == (9_200, True, market.organizer)

    refused = organizer_admin.post(enter_url(booking), {"cash": "90"})
    assert refused.status_code == 200 and "This field is required" in text(refused)
    organizer_admin.post(enter_url(booking), {"cash": "90", "reason": "Slip misread"})
    report.refresh_from_db()
    assert report.gross_cents == 9_000
    assert report.revisions.get().reason == "Slip misread"
    change = text(organizer_admin.get(reverse("admin:sales_salesreport_change", args=[report.pk])))
    assert "Slip misread" in change


def test_a_refusal_is_a_message_and_changes_nothing(organizer_admin, market):
    vendor, _user = accepted_vendor_with_account(market)
    coming = BookingFactory(
        market_day=MarketDayFactory(market=market, date=market.today() + datetime.timedelta(3)),
        vendor=vendor,
    )

    response = organizer_admin.post(enter_url(coming), {"cash": "10"}, follow=True)

    assert "once it has started" in text(response)
    assert not SalesReport.objects.exists()


def test_another_organizers_booking_is_not_found(other_organizer_admin, market):
    booking, user = booked(market)
    sales_report_submit(user=user, booking_id=booking.pk, amounts={"cash": 100})

    assert other_organizer_admin.get(enter_url(booking)).status_code == 404
    assert (
        other_organizer_admin.post(enter_url(booking), {"cash": "1", "reason": "x"}).status_code
        == 404
    )
    assert SalesReport.objects.get().cash_cents == 100
