"""Concurrency rules of sales money, in the style of tests/test_concurrency_controls.py: real
PostgreSQL, real transactions, threads, and a NEGATIVE CONTROL per rule that removes the lock
and shows the race then happens and would be caught.

- The flat fallback (``apply_sales_fallbacks``) sets each unreported day's fee once, however
  many runs overlap; a report racing it wins, whichever commits first.
- Settling with a vendor pays their tokens and fees once, however many settle at once; a
  revision racing a settlement either lands first (and the settlement counts it, or refuses
  the organizer's stale figures), or finds the day settled.
"""

import threading
from collections.abc import Callable

import pytest
from django.contrib.admin.models import LogEntry
from django.db.models import QuerySet

import sales.services as sales_services
import sales.settlements as settlements
from marketflow.errors import DomainError
from marketflow.tests.factories import MarketFactory
from sales.models import SalesReport, Settlement
from sales.tests.factories import SalesReportFactory, past_day
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


# -- settling up ---------------------------------------------------------------------------------


def without_any_row_lock(monkeypatch) -> None:
    """Every ``select_for_update`` of the test's process locks nothing."""
    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, **kwargs: self)


def vendor_with_tokens(market, days_ago: int = 1):
    """A vendor owed 40.00 in tokens, owing a 25.00 fee: net 15.00 to the vendor."""
    vendor, user = accepted_vendor_with_account(market)
    booking = BookingFactory(market_day=past_day(market, days_ago), vendor=vendor, fee_cents=2_500)
    SalesReportFactory(booking=booking, cash_cents=0, snap_cents=4_000)
    return vendor, user, booking


def settle(market, vendor, expected_net_cents: int = 1_500) -> Callable:
    def call():
        try:
            settlement = settlements.settlement_create(
                user=market.organizer,
                market_id=market.pk,
                vendor_id=vendor.pk,
                method="cash",
                expected_net_cents=expected_net_cents,
            )
        except DomainError as error:
            return error.code
        return settlement.net_cents

    return call


def settled_tokens_hold(vendor) -> bool:
    """Every settlement paid exactly the tokens of the reports it settled."""
    return all(
        settlement.tokens_cents == sum(report.tokens_cents for report in settlement.reports.all())
        for settlement in Settlement.objects.filter(vendor=vendor)
    )


def test_two_settlements_at_once_pay_once(percent_market):
    for round_number in range(DECISION_ROUNDS):
        vendor, _, _ = vendor_with_tokens(percent_market, 1 + round_number)

        results = run_together([settle(percent_market, vendor)] * 2)

        assert sorted(results, key=str) == [1_500, "nothing_to_settle"]
        assert Settlement.objects.filter(vendor=vendor).count() == 1


def test_control_settlements_without_locks_pay_twice(monkeypatch, percent_market):
    """NEGATIVE CONTROL: without the locks both settlements read the tokens unsettled and the
    fee unpaid, and both pay them: the vendor is paid twice."""
    vendor, _, _ = vendor_with_tokens(percent_market)
    both_read = threading.Barrier(2)
    clean = settlements.full_clean

    def read_then_wait(*args, **kwargs):
        both_read.wait(timeout=BARRIER_TIMEOUT)
        return clean(*args, **kwargs)

    without_any_row_lock(monkeypatch)
    monkeypatch.setattr(settlements, "full_clean", read_then_wait)

    results = run_together([settle(percent_market, vendor)] * 2)

    assert results == [1_500, 1_500]
    assert Settlement.objects.filter(vendor=vendor).count() == 2


def revise(user, booking) -> Callable:
    def call():
        try:
            sales_services.sales_report_submit(
                user=user, booking_id=booking.pk, amounts={"snap": 5_000}, reason="Recounted"
            )
        except DomainError as error:
            return error.code
        return "revised"

    return call


# Revised first, then the settlement refuses the stale figures (the net went up by 10.00);
# or settled first, then the revision finds the day settled.
REVISE_SETTLE_SERIAL = {
    ("settlement_changed", "revised", 5_000),
    (1_500, "sales_report_settled", 4_000),
}


def revise_settle_outcome(results, booking) -> tuple:
    return (*results, SalesReport.objects.get(booking=booking).tokens_cents)


def test_a_revision_racing_a_settlement_ends_as_one_order_would(db):
    for _round in range(DECISION_ROUNDS):
        market = MarketFactory(currency="EUR")  # a day each round, within the deadline
        vendor, user, booking = vendor_with_tokens(market)

        results = run_together([settle(market, vendor), revise(user, booking)])

        assert revise_settle_outcome(results, booking) in REVISE_SETTLE_SERIAL
        assert settled_tokens_hold(vendor)


def test_control_a_revision_inside_an_unlocked_settlement_is_lost(monkeypatch, percent_market):
    """NEGATIVE CONTROL: without the locks the revision commits between the settlement's
    reads and its writes: the settlement pays 40.00 of tokens for a report that says 50.00,
    and the report is settled; no serial order gives that."""
    vendor, user, booking = vendor_with_tokens(percent_market)
    computed, revised = threading.Event(), threading.Event()
    clean = settlements.full_clean

    def let_the_revision_in(*args, **kwargs):
        computed.set()
        assert revised.wait(timeout=BARRIER_TIMEOUT)
        return clean(*args, **kwargs)

    def revise_in_between():
        assert computed.wait(timeout=BARRIER_TIMEOUT)
        result = revise(user, booking)()
        revised.set()
        return result

    without_any_row_lock(monkeypatch)
    monkeypatch.setattr(settlements, "full_clean", let_the_revision_in)

    results = run_together([settle(percent_market, vendor), revise_in_between])

    outcome = revise_settle_outcome(results, booking)
    assert outcome == (1_500, "revised", 5_000)
    assert outcome not in REVISE_SETTLE_SERIAL
    assert not settled_tokens_hold(vendor)
