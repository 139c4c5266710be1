"""The flat fallback (``manage.py apply_sales_fallbacks``): a booked day whose report
deadline passed without a report pays the stall's daily price by the market's rule; once."""

import io

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command

from marketflow.models import MarketDay
from sales.services import sales_fallbacks_apply, sales_report_submit
from sales.tests.factories import SalesReportFactory, past_day
from stalls.tests.factories import BookingFactory, StallFactory, accepted_vendor_with_account

pytestmark = pytest.mark.django_db

NOT_REPORTED = "Stall fee 25.00 EUR (not reported in time)."


@pytest.fixture
def percent_market(market):
    market.sales_fee_rule, market.sales_fee_percent, market.sales_report_days = "percent", 6, 3
    market.currency = "EUR"
    market.save()
    return market


def unreported(market, days_ago=4, **fields):
    """A booking under the percentage rule (nothing charged) of a day ``days_ago`` ago."""
    vendor, _ = accepted_vendor_with_account(market)
    return BookingFactory(
        market_day=past_day(market, days_ago),
        stall=StallFactory(market=market, price_per_day=2_500),
        vendor=vendor,
        fee_cents=0,
        **fields,
    )


def test_a_day_not_reported_by_the_deadline_pays_the_stall_price(percent_market):
    booking = unreported(percent_market)

    assert sales_fallbacks_apply() == 1

    booking.refresh_from_db()
    assert (booking.sales_fee_cents, booking.sales_fee_note) == (2_500, NOT_REPORTED)
    (entry,) = LogEntry.objects.filter(object_id=str(booking.pk))
    assert "the flat fallback" in entry.change_message
    assert entry.user_id == percent_market.organizer_id


def test_running_again_changes_nothing(percent_market):
    booking = unreported(percent_market)
    sales_fallbacks_apply()

    assert sales_fallbacks_apply() == 0

    booking.refresh_from_db()
    assert booking.sales_fee_cents == 2_500
    assert LogEntry.objects.filter(object_id=str(booking.pk)).count() == 1


def test_days_still_open_reported_cancelled_or_waived_are_left_alone(percent_market):
    on_deadline = unreported(percent_market, days_ago=3)  # the deadline is today: still open
    reported = SalesReportFactory(booking=unreported(percent_market, 4)).booking
    cancelled_booking = unreported(percent_market, 5)
    cancelled_booking.cancelled_at = cancelled_booking.created_at
    cancelled_booking.save()
    cancelled_day = unreported(percent_market, 6)
    MarketDay.objects.filter(pk=cancelled_day.market_day_id).update(status="cancelled")
    waived = unreported(percent_market, 7, sales_fee_status="waived")

    assert sales_fallbacks_apply() == 0

    for booking in (on_deadline, reported, cancelled_booking, cancelled_day, waived):
        booking.refresh_from_db()
        assert (booking.sales_fee_cents, booking.sales_fee_note) == (0, "")


@pytest.mark.parametrize(("rule", "fee_cents", "owed"), [("flat", 0, 0), ("higher", 2_500, 0)])
def test_a_fee_charged_at_booking_is_the_fallback(percent_market, rule, fee_cents, owed):
    percent_market.sales_fee_rule = rule
    percent_market.save()
    booking = unreported(percent_market)
    booking.fee_cents = fee_cents
    booking.save()

    assert sales_fallbacks_apply() == 0

    booking.refresh_from_db()
    assert booking.sales_fee_cents == owed


def test_a_late_report_replaces_the_fallback_with_the_same_fee(percent_market):
    booking = unreported(percent_market)
    sales_fallbacks_apply()

    sales_report_submit(user=booking.vendor.user, booking_id=booking.pk, amounts={"cash": 90_000})

    booking.refresh_from_db()
    assert (booking.sales_fee_cents, booking.sales_fee_note) == (
        2_500,
        "Stall fee 25.00 EUR (reported late).",
    )


def test_the_command_says_how_many(percent_market):
    unreported(percent_market)
    out = io.StringIO()

    call_command("apply_sales_fallbacks", stdout=out)

    assert out.getvalue().strip() == "Charged the flat fallback to 1 booking(s)."
