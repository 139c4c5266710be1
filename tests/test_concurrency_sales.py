"""Concurrency rules of sales money, in the style of tests/test_concurrency_controls.py: real
PostgreSQL, real transactions, threads, and a NEGATIVE CONTROL per rule that removes the lock
and shows the race then happens and would be caught.

- The flat fallback (``apply_sales_fallbacks``) sets each unreported day's fee once, however
  many runs overlap; a report racing it wins, whichever commits first.
"""

import threading
from collections.abc import Callable

import pytest
from django.contrib.admin.models import LogEntry
from django.db.models import QuerySet

import sales.services as sales_services
from marketflow.tests.factories import MarketFactory
from sales.tests.factories import past_day
from stalls.models import Booking
from stalls.tests.factories import BookingFactory, StallFactory, accepted_vendor_with_account
from tests.test_concurrency import BARRIER_TIMEOUT, DECISION_ROUNDS, run_together

pytestmark = pytest.mark.django_db(transaction=True)

NOT_REPORTED = "Stall fee 25.00 EUR (not reported in time)."
REPORTED_LATE = "Stall fee 25.00 EUR (reported late)."


class UnlockedQuerySet(QuerySet):
    """A queryset whose ``select_for_update`` locks nothing: the negative controls' tool."""

    def select_for_update(self, **kwargs):
        return self


def without_the_fallbacks_lock(monkeypatch) -> None:
    candidates = sales_services._fallback_candidates
    monkeypatch.setattr(
        sales_services,
        "_fallback_candidates",
        lambda: UnlockedQuerySet(model=Booking, query=candidates().query),
    )


@pytest.fixture
def percent_market(db):
    return MarketFactory(
        currency="EUR", sales_fee_rule="percent", sales_fee_percent=6, sales_report_days=3
    )


def unreported(market, days_ago: int) -> Booking:
    vendor, _ = accepted_vendor_with_account(market)
    return BookingFactory(
        market_day=past_day(market, days_ago),
        stall=StallFactory(market=market, price_per_day=2_500),
        vendor=vendor,
        fee_cents=0,
    )


def audit_count(booking) -> int:
    return LogEntry.objects.filter(object_id=str(booking.pk)).count()


# -- two fallback runs at once -----------------------------------------------------------------


def test_two_fallback_runs_at_once_set_each_fee_once(percent_market):
    for round_number in range(DECISION_ROUNDS):
        bookings = [unreported(percent_market, 10 + 3 * round_number + i) for i in range(3)]

        results = run_together([sales_services.sales_fallbacks_apply] * 2)

        assert sum(results) == 3
        for booking in bookings:
            booking.refresh_from_db()
            assert (booking.sales_fee_cents, audit_count(booking)) == (2_500, 1)


def test_control_fallback_runs_without_the_lock_charge_twice(monkeypatch, percent_market):
    """NEGATIVE CONTROL: without the lock both runs read the day unreported and unset, and
    both set its fee: two audit records, and both runs report the booking charged."""
    booking = unreported(percent_market, 10)
    both_read = threading.Barrier(2)
    fee = sales_services.sales_fee

    def read_then_wait(*args, **kwargs):
        both_read.wait(timeout=BARRIER_TIMEOUT)
        return fee(*args, **kwargs)

    without_the_fallbacks_lock(monkeypatch)
    monkeypatch.setattr(sales_services, "sales_fee", read_then_wait)

    results = run_together([sales_services.sales_fallbacks_apply] * 2)

    assert results == [1, 1]
    assert audit_count(booking) == 2


# -- a late report racing the fallback -----------------------------------------------------------


def report(booking) -> Callable:
    return lambda: sales_services.sales_report_submit(
        user=booking.vendor.user, booking_id=booking.pk, amounts={"cash": 50_000}
    )


def test_a_report_racing_the_fallback_wins_either_way(percent_market):
    for round_number in range(DECISION_ROUNDS):
        booking = unreported(percent_market, 10 + round_number)

        run_together([sales_services.sales_fallbacks_apply, report(booking)])

        booking.refresh_from_db()
        assert (booking.sales_fee_cents, booking.sales_fee_note) == (2_500, REPORTED_LATE)


def test_control_a_fallback_without_the_lock_overwrites_a_report(monkeypatch, percent_market):
    """NEGATIVE CONTROL: without the lock the report commits between the fallback's reads
    and its write; the booking then says "not reported in time" beside its report."""
    booking = unreported(percent_market, 10)
    computing, reported = threading.Event(), threading.Event()
    fee = sales_services.sales_fee

    def let_the_report_in(target, gross_cents, *, on_time):
        if gross_cents is None:  # the fallback's computation: after its reads
            computing.set()
            assert reported.wait(timeout=BARRIER_TIMEOUT)
        return fee(target, gross_cents, on_time=on_time)

    def report_in_between():
        assert computing.wait(timeout=BARRIER_TIMEOUT)
        result = report(booking)()
        reported.set()
        return result

    without_the_fallbacks_lock(monkeypatch)
    monkeypatch.setattr(sales_services, "sales_fee", let_the_report_in)

    run_together([sales_services.sales_fallbacks_apply, report_in_between])

    booking.refresh_from_db()
    assert booking.sales_report is not None
    assert booking.sales_fee_note == NOT_REPORTED  # the report lost
