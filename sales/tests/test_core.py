"""The core of sales reporting: a vendor's report, its revision, and the fee rule."""

from decimal import Decimal

import pytest

from marketflow.errors import ValidationFailedError
from sales.errors import (
    SalesBookingNotFoundError,
    SalesDayNotReportableError,
    SalesReportExistsError,
)
from sales.services import sales_fee, sales_report_submit
from sales.tests.factories import past_day
from stalls.tests.factories import BookingFactory, accepted_vendor_with_account

pytestmark = pytest.mark.django_db


def _booking(market, **fields):
    vendor, user = accepted_vendor_with_account(market)
    booking = BookingFactory(market_day=past_day(market), vendor=vendor, **fields)
    return booking, user


def test_a_vendor_reports_and_revises_with_a_reason(market):
    booking, user = _booking(market)
    report = sales_report_submit(
        user=user, booking_id=booking.pk, amounts={"cash": 30_000, "snap": 4_000}
    )
    assert (report.gross_cents, report.tokens_cents, report.late) == (34_000, 4_000, False)
    with pytest.raises(SalesReportExistsError):
        sales_report_submit(user=user, booking_id=booking.pk, amounts={"cash": 1})
    report = sales_report_submit(
        user=user, booking_id=booking.pk, amounts={"cash": 31_000}, reason="Miscounted"
    )
    assert report.gross_cents == 31_000
    (revision,) = report.revisions.all()
    assert (revision.gross_cents, revision.amounts["snap"], revision.reason) == (
        34_000,
        4_000,
        "Miscounted",
    )


def test_amounts_are_checked_against_the_market(market):
    market.sales_currencies = ["cash", "card"]
    market.save()
    booking, user = _booking(market)
    with pytest.raises(ValidationFailedError) as refused:
        sales_report_submit(user=user, booking_id=booking.pk, amounts={"snap": 100, "cash": -1})
    assert set(refused.value.extra["fields"]) == {"snap", "cash"}


def test_only_the_vendor_or_the_organizer_reports(market, other_organizer):
    booking, _user = _booking(market)
    with pytest.raises(SalesBookingNotFoundError):
        sales_report_submit(user=other_organizer, booking_id=booking.pk, amounts={})
    with pytest.raises(SalesBookingNotFoundError):
        sales_report_submit(
            user=other_organizer, booking_id=booking.pk, amounts={}, as_organizer=True
        )
    report = sales_report_submit(
        user=market.organizer, booking_id=booking.pk, amounts={"cash": 5}, as_organizer=True
    )
    assert report.reported_by == market.organizer


def test_a_day_to_come_cannot_be_reported(market, market_day):
    vendor, user = accepted_vendor_with_account(market)
    booking = BookingFactory(market_day=market_day, vendor=vendor)
    with pytest.raises(SalesDayNotReportableError):
        sales_report_submit(user=user, booking_id=booking.pk, amounts={"cash": 5})


@pytest.mark.parametrize(
    ("rule", "fee_cents", "gross", "cap", "expected"),
    [
        ("flat", 2500, 100_000, None, 0),
        ("percent", 0, 100_000, None, 6000),
        ("percent", 0, 100_000, 4000, 4000),
        ("higher", 2500, 100_000, None, 3500),  # 6% = 60.00, 25.00 charged: 35.00 more
        ("higher", 2500, 10_000, None, 0),  # 6% = 6.00 < 25.00
    ],
)
def test_the_fee_rule(market, rule, fee_cents, gross, cap, expected):
    market.sales_fee_rule, market.sales_fee_percent = rule, Decimal("6.00")
    market.sales_fee_cap_cents = cap
    market.save()
    booking, _user = _booking(market, fee_cents=fee_cents)
    extra, note = sales_fee(booking, gross, on_time=True)
    assert extra == expected
    assert bool(note) == bool(expected)


def test_late_or_missing_falls_back_to_the_stall_fee(market):
    market.sales_fee_rule, market.sales_fee_percent = "percent", Decimal("6.00")
    market.save()
    booking, _user = _booking(market, fee_cents=0)
    assert sales_fee(booking, 100_000, on_time=False)[0] == booking.stall.price_per_day
    assert sales_fee(booking, None, on_time=False)[0] == booking.stall.price_per_day
