"""Concurrency of check-in, in the style of tests/test_concurrency_controls.py: real
PostgreSQL, real transactions, threads and the HTTP stack, and a NEGATIVE CONTROL that removes
the locks and shows the race then happens and would be caught.

The rule: a checked-in booking is the day's record (a no-show carries a fee). The organizer
cancelling the booking on one phone while another marks the vendor a no-show ends as one of the
two orders would: marked and the cancellation refused, or cancelled and the check-in finding
no booking; never "marked no-show" answered and the booking gone.
"""

import threading

import pytest

import stalls.services as stall_services
from applications.tests.factories import AcceptedApplicationFactory
from conftest import token_client
from marketflow.selectors import market_day_get
from marketflow.tests.factories import MarketDayFactory
from stalls.models import Booking
from stalls.tests.factories import BookingFactory, StallFactory
from tests.test_concurrency import BARRIER_TIMEOUT, DECISION_ROUNDS, outcome, run_together
from tests.test_concurrency_controls import booking_url, unlocked_booking_get

pytestmark = pytest.mark.django_db(transaction=True)

NO_SHOW = Booking.Attendance.NO_SHOW


def mark_and_cancel(organizer, market_day, started: threading.Event | None = None):
    """A booking of today; "no-show" and "cancel" as two calls from two phones (given
    ``started``, the no-show starts only once it is set)."""
    vendor = AcceptedApplicationFactory(market=market_day.market).vendor
    booking = BookingFactory(
        market_day=market_day, vendor=vendor, stall=StallFactory(market=market_day.market)
    )
    url = booking_url(booking)
    marker, canceller = token_client(organizer), token_client(organizer)

    def mark():
        if started is not None:
            assert started.wait(timeout=BARRIER_TIMEOUT)
        return marker.post(f"{url}attendance/", {"attendance": NO_SHOW}, format="json")

    return booking, [mark, lambda: canceller.delete(url)]


# Marked then the cancellation refused, or cancelled then the check-in finds no booking.
MARK_CANCEL_SERIAL = {
    ((200, None), (409, "booking_attendance_recorded"), NO_SHOW),
    ((404, "not_found"), (204, None), None),
}


def mark_cancel_outcome(booking, responses) -> tuple:
    mark, cancel = responses
    cancel_outcome = (204, None) if cancel.status_code == 204 else outcome(cancel)
    left = Booking.objects.filter(pk=booking.pk).values_list("attendance", flat=True).first()
    return outcome(mark), cancel_outcome, left


@pytest.fixture
def today(market):
    return MarketDayFactory(market=market, date=market.today())


def test_cancel_racing_a_no_show_ends_as_one_order_would(organizer, today):
    for _round in range(DECISION_ROUNDS):
        booking, requests = mark_and_cancel(organizer, today)

        result = mark_cancel_outcome(booking, run_together(requests))

        assert result in MARK_CANCEL_SERIAL


def test_control_cancel_without_locks_deletes_a_checked_in_booking(monkeypatch, organizer, today):
    """NEGATIVE CONTROL: the cancellation reads the booking (not checked in) without the market
    day and booking locks, and deletes it only after the no-show has committed. The phone says
    "no-show saved", and the booking (the day's record, with its fee) is gone: no serial order
    gives that."""
    read, marked = threading.Event(), threading.Event()
    booking, (mark, cancel) = mark_and_cancel(organizer, today, started=read)

    def unlocked_read_then_wait(**kwargs):
        found = unlocked_booking_get(**kwargs)
        if not read.is_set():  # the cancellation's read: the no-show starts only after it
            read.set()
            assert marked.wait(timeout=BARRIER_TIMEOUT)
        return found

    def mark_and_signal():
        response = mark()
        marked.set()
        return response

    monkeypatch.setattr(stall_services, "market_day_get_for_update", market_day_get)
    monkeypatch.setattr(stall_services, "booking_get_for_update", unlocked_read_then_wait)

    result = mark_cancel_outcome(booking, run_together([mark_and_signal, cancel]))

    assert result == ((200, None), (204, None), None)
    assert result not in MARK_CANCEL_SERIAL
