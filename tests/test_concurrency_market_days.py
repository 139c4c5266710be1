"""A market day cancelled while a booking is being made on it, on the real PostgreSQL with real
transactions (helpers and conventions of tests/test_concurrency.py).

Both write under the market day's row lock, so they serialize: either the booking commits
first and the cancelled day keeps it, or the cancellation commits first and the booking is
refused. The invariant: no booking is made on a day after its cancellation. The NEGATIVE
CONTROL takes the booking's lock away and shows that the invariant's check catches the race.
"""

import threading

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

import marketflow.services as core_services
import stalls.services as stall_services
from applications.tests.factories import AcceptedApplicationFactory
from conftest import token_client
from marketflow.selectors import market_day_get
from stalls.models import Booking
from stalls.tests.factories import StallFactory
from tests.test_concurrency import BARRIER_TIMEOUT, booking_url, outcome, post, run_together

pytestmark = pytest.mark.django_db(transaction=True)


def booking_and_cancellation(organizer, market, market_day):
    vendor = AcceptedApplicationFactory(market=market).vendor
    book = post(
        token_client(organizer),
        booking_url(market, market_day),
        {"stall_id": str(StallFactory(market=market).pk), "vendor_id": str(vendor.pk)},
    )
    client = token_client(organizer)
    url = reverse(
        "api:market-day-detail", kwargs={"market_id": market.pk, "market_day_id": market_day.pk}
    )
    return [book, lambda: client.patch(url, {"status": "cancelled"}, format="json")]


def race_outcome(market_day, responses) -> tuple:
    """Both answers, and whether a booking was made after the day's cancellation."""
    cancelled_at = LogEntry.objects.get(
        object_id=str(market_day.pk), change_message__startswith="Cancelled"
    ).action_time
    booked_after = Booking.objects.filter(market_day=market_day, created_at__gt=cancelled_at)
    return (*(outcome(response) for response in responses), booked_after.exists())


def test_cancelling_while_a_booking_is_made_ends_as_one_order_would(
    monkeypatch, organizer, market, market_day
):
    """The booking has checked that the day is open (and holds its lock) when the cancellation
    tries to lock the day: the cancellation waits, and the cancelled day keeps the booking."""
    booking_checked, cancel_locking = threading.Event(), threading.Event()
    check, lock = stall_services._check_day_open, core_services.market_day_get_for_update

    def checked_then_wait(market_day):
        check(market_day)
        booking_checked.set()
        assert cancel_locking.wait(timeout=BARRIER_TIMEOUT)

    def lock_once_booking_checked(**kwargs):
        assert booking_checked.wait(timeout=BARRIER_TIMEOUT)
        cancel_locking.set()
        return lock(**kwargs)

    monkeypatch.setattr(stall_services, "_check_day_open", checked_then_wait)
    monkeypatch.setattr(core_services, "market_day_get_for_update", lock_once_booking_checked)

    result = race_outcome(
        market_day, run_together(booking_and_cancellation(organizer, market, market_day))
    )

    assert result == ((201, None), (200, None), False)
    assert Booking.objects.filter(market_day=market_day).count() == 1


def test_control_booking_without_the_day_lock_books_a_cancelled_day(
    monkeypatch, organizer, market, market_day
):
    """NEGATIVE CONTROL: the booking reads the day without locking it and inserts only after
    the cancellation has committed: a booking made on a cancelled day, which the race test's
    check catches."""
    booking_checked, cancelled = threading.Event(), threading.Event()
    check = stall_services._check_day_open
    requests = booking_and_cancellation(organizer, market, market_day)
    cancel_request = requests[1]

    def checked_then_wait(market_day):
        check(market_day)
        booking_checked.set()
        assert cancelled.wait(timeout=BARRIER_TIMEOUT)

    def cancel():
        assert booking_checked.wait(timeout=BARRIER_TIMEOUT)
        response = cancel_request()
        cancelled.set()
        return response

    monkeypatch.setattr(stall_services, "market_day_get_for_update", market_day_get)
    monkeypatch.setattr(stall_services, "_check_day_open", checked_then_wait)

    result = race_outcome(market_day, run_together([requests[0], cancel]))

    assert result == ((201, None), (200, None), True)
