"""Concurrency rules of waitlist offers (issue 15 §3), in the style of tests/test_concurrency.py:
real PostgreSQL, real transactions, threads, the HTTP stack for requests, and a NEGATIVE
CONTROL per rule that takes a lock (or the hold) away, forces the bad interleaving with events,
and shows the outcome then matches no serial order, so the main test would catch it.

Every offer write locks the market day's row (as bookings do), then the offer. The rules:
- an accept against the expiry of the same offer: the vendor is booked and nothing is offered
  on, or the offer expired and the stall went to the next vendor; never both;
- two vendors accepting offers of the same stall (the first's offer expiring into the second's
  as both click): one booking, the other told the offer expired;
- an organizer booking an offered stall by hand while the vendor accepts: the vendor's booking
  wins, the organizer is refused (``stall_on_offer``, or ``stall_already_booked`` once booked);
- two runs of ``manage.py expire_offers`` at once: each due offer expires once, and its stall
  is offered on once.
"""

import datetime
import threading

import pytest
from django.contrib.admin.models import LogEntry
from django.test import override_settings

import stalls.services as stall_services
from conftest import token_client
from marketflow.models import MarketDay
from marketflow.selectors import market_day_get
from marketflow.tests.factories import MarketFactory
from stalls.models import Booking, StallOffer
from stalls.selectors import stall_offer_get
from stalls.tests.factories import accepted_vendor_with_account
from stalls.tests.waitlist_support import cancel, full_day_of, join, open_offer
from tests.test_concurrency import BARRIER_TIMEOUT, DECISION_ROUNDS, outcome, run_together

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def long_offers(settings):
    # An offer made during the race (on expiry) is never due at an expiry's ``now``.
    settings.MARKETFLOW_OFFER_HOURS = 48


def offered_day(organizer):
    """A market of ``organizer`` with a full day, vendors A and B waiting, the stall freed
    and offered to A."""
    market = MarketFactory(organizer=organizer)
    market_day, stall, booking = full_day_of(market)
    first, second = join(market, market_day, 2)
    with override_settings(MARKETFLOW_OFFER_HOURS=1):  # due before any offer made later
        cancel(organizer, booking)
    return market_day, stall, first, second, open_offer(first)


def accept(user, offer_id):
    client = token_client(user)
    return lambda: client.post(f"/api/me/offers/{offer_id}/accept/")


def stall_state(market_day, stall) -> tuple:
    """(the booked vendor's user, the vendor holding an open offer) of the stall that day."""
    booking = Booking.objects.filter(market_day=market_day, stall=stall).first()
    offer = StallOffer.objects.filter(market_day=market_day, stall=stall, state="open").first()
    return (
        booking.vendor.user if booking else None,
        offer.vendor.user if offer else None,
    )


def unlocked_offer_waiting(read: threading.Event, go_on: threading.Event):
    """``stall_offer_get_for_update`` without the lock, pausing after its read until
    ``go_on`` is set."""

    def read_then_wait(*, offer_id):
        found = stall_offer_get(offer_id=offer_id)
        read.set()
        assert go_on.wait(timeout=BARRIER_TIMEOUT)
        return found

    return read_then_wait


def remove_the_day_lock(monkeypatch):
    monkeypatch.setattr(stall_services, "market_day_get_for_update", market_day_get)


# -- an accept against the expiry of the same offer -----------------------------------------


def accept_and_expire(organizer, *, started: threading.Event | None = None):
    market_day, stall, first, second, offer = offered_day(organizer)
    due = offer.expires_at + datetime.timedelta(seconds=1)

    def expire():
        if started is not None:
            assert started.wait(timeout=BARRIER_TIMEOUT)
        return stall_services.offers_expire(now=due)

    return (market_day, stall, first, second), [accept(first, offer.pk), expire]


def accept_expire_outcome(setup, results) -> tuple:
    market_day, stall, first, second = setup
    response, expired = results
    booked, offered = stall_state(market_day, stall)
    return (
        outcome(response),
        expired,
        "A" if booked == first else booked,
        "B" if offered == second else offered,
    )


# Accepted then nothing due; or expired, A refused, the stall offered to B.
ACCEPT_EXPIRE_SERIAL = {
    ((201, None), 0, "A", None),
    ((409, "offer_expired"), 1, None, "B"),
}


def test_an_accept_racing_the_expiry_ends_as_one_order_would(organizer):
    for _round in range(DECISION_ROUNDS):
        setup, calls = accept_and_expire(organizer)

        assert accept_expire_outcome(setup, run_together(calls)) in ACCEPT_EXPIRE_SERIAL


def test_control_an_accept_without_locks_books_a_stall_offered_to_the_next(monkeypatch, organizer):
    """NEGATIVE CONTROL: the accept reads the offer (open) without the day's and the offer's
    locks, and books only after the expiry has committed and offered the stall to B: A is
    booked and B holds an open offer of the same, booked stall. No serial order gives that."""
    read, expired = threading.Event(), threading.Event()
    setup, (accept_call, expire) = accept_and_expire(organizer, started=read)
    remove_the_day_lock(monkeypatch)
    monkeypatch.setattr(
        stall_services, "stall_offer_get_for_update", unlocked_offer_waiting(read, expired)
    )

    def expire_and_signal():
        result = expire()
        expired.set()
        return result

    result = accept_expire_outcome(setup, run_together([accept_call, expire_and_signal]))

    assert result == ((201, None), 1, "A", "B")
    assert result not in ACCEPT_EXPIRE_SERIAL


# -- two vendors accepting offers of the same stall -----------------------------------------


def two_vendors_accept(organizer, *, started: threading.Event | None = None):
    """A accepts their offer while the expiry hands the stall to B, who accepts at once."""
    market_day, stall, first, second, offer = offered_day(organizer)
    due = offer.expires_at + datetime.timedelta(seconds=1)
    second_client = token_client(second)

    def expire_then_b_accepts():
        if started is not None:
            assert started.wait(timeout=BARRIER_TIMEOUT)
        stall_services.offers_expire(now=due)
        mine = StallOffer.objects.filter(vendor__user=second, state="open").first()
        if mine is None:  # A was booked first: nothing was offered to B
            return None
        return second_client.post(f"/api/me/offers/{mine.pk}/accept/")

    return (market_day, stall, first, second), [accept(first, offer.pk), expire_then_b_accepts]


def two_vendors_outcome(setup, results) -> tuple:
    market_day, stall, first, second = setup
    a_response, b_response = results
    booked, offered = stall_state(market_day, stall)
    bookings = Booking.objects.filter(market_day=market_day).count()
    return (
        outcome(a_response),
        outcome(b_response) if b_response is not None else None,
        {first: "A", second: "B"}.get(booked),
        offered,
        bookings,
    )


TWO_VENDORS_SERIAL = {
    ((201, None), None, "A", None, 1),
    ((409, "offer_expired"), (201, None), "B", None, 1),
}


def test_two_vendors_accepting_the_same_stall_book_it_once(organizer):
    for _round in range(DECISION_ROUNDS):
        setup, calls = two_vendors_accept(organizer)

        assert two_vendors_outcome(setup, run_together(calls)) in TWO_VENDORS_SERIAL


def test_control_two_vendors_without_locks_race_for_the_stall(monkeypatch, organizer):
    """NEGATIVE CONTROL: A's accept reads its offer (open) unlocked and goes on only after B
    was offered the stall and booked it; A, who accepted in time as far as they saw, is then
    refused by the booking's own check with ``stall_already_booked``, an answer no serial
    order gives (there A is booked, or told the offer expired). The booking's unique
    constraint and check keep one booking; the outcome shows the race happened."""
    read, b_done = threading.Event(), threading.Event()
    setup, (a_call, b_call) = two_vendors_accept(organizer, started=read)
    remove_the_day_lock(monkeypatch)
    real_lock = stall_services.stall_offer_get_for_update
    unlocked = unlocked_offer_waiting(read, b_done)

    def a_reads_unlocked(*, offer_id):
        if threading.current_thread().name == a_thread_name[0]:
            return unlocked(offer_id=offer_id)
        return real_lock(offer_id=offer_id)

    a_thread_name: list[str] = []

    def a_call_named():
        a_thread_name.append(threading.current_thread().name)
        return a_call()

    def b_and_signal():
        result = b_call()
        b_done.set()
        return result

    monkeypatch.setattr(stall_services, "stall_offer_get_for_update", a_reads_unlocked)

    result = two_vendors_outcome(setup, run_together([a_call_named, b_and_signal]))

    assert result == ((409, "stall_already_booked"), (201, None), "B", None, 1)
    assert result not in TWO_VENDORS_SERIAL


# -- an organizer booking the offered stall by hand ------------------------------------------


def hand_booking_and_accept(organizer, *, started: threading.Event | None = None):
    market_day, stall, first, _second, offer = offered_day(organizer)
    walk_in, _user = accepted_vendor_with_account(market_day.market)
    organizer_client = token_client(organizer)
    url = f"/api/markets/{market_day.market_id}/market-days/{market_day.pk}/bookings/"
    accept_call = accept(first, offer.pk)

    def vendor_accepts():
        if started is not None:
            assert started.wait(timeout=BARRIER_TIMEOUT)
        return accept_call()

    def book_by_hand():
        return organizer_client.post(
            url, {"stall_id": str(stall.pk), "vendor_id": str(walk_in.pk)}, format="json"
        )

    return (market_day, stall, first), [book_by_hand, vendor_accepts]


def hand_booking_outcome(setup, results) -> tuple:
    market_day, stall, first = setup
    booked, offered = stall_state(market_day, stall)
    count = Booking.objects.filter(market_day=market_day).count()
    return (
        *(outcome(response) for response in results),
        "A" if booked == first else "other",
        "A" if offered == first else offered,
        count,
    )


# The hold refuses the organizer while the offer is open; once accepted, the stall is booked.
HAND_BOOKING_SERIAL = {
    ((409, "stall_on_offer"), (201, None), "A", None, 1),
    ((409, "stall_already_booked"), (201, None), "A", None, 1),
}


def test_a_booking_by_hand_racing_the_accept_leaves_the_stall_to_the_vendor(organizer):
    for _round in range(DECISION_ROUNDS):
        setup, calls = hand_booking_and_accept(organizer)

        assert hand_booking_outcome(setup, run_together(calls)) in HAND_BOOKING_SERIAL


def test_control_without_the_hold_the_organizer_takes_the_offered_stall(monkeypatch, organizer):
    """NEGATIVE CONTROL: without the hold (an open offer refusing a booking of its stall),
    the organizer's booking commits first and the vendor, accepting in time, is refused:
    two people were promised one stall."""
    booked_by_hand = threading.Event()
    setup, (book_by_hand, vendor_accepts) = hand_booking_and_accept(
        organizer, started=booked_by_hand
    )
    monkeypatch.setattr(stall_services, "_check_stall_not_on_offer", lambda *args: None)

    def book_and_signal():
        response = book_by_hand()
        booked_by_hand.set()
        return response

    result = hand_booking_outcome(setup, run_together([book_and_signal, vendor_accepts]))

    assert result == ((201, None), (409, "stall_already_booked"), "other", "A", 1)
    assert result not in HAND_BOOKING_SERIAL


# -- two runs of expire_offers at once ------------------------------------------------------


def expiry_runs(organizer):
    market_day, stall, first, second, offer = offered_day(organizer)
    due = offer.expires_at + datetime.timedelta(seconds=1)
    return (market_day, stall, second), [lambda: stall_services.offers_expire(now=due)] * 2


def expiry_runs_outcome(setup, results) -> tuple:
    market_day, stall, second = setup
    _booked, offered = stall_state(market_day, stall)
    expiries = LogEntry.objects.filter(
        object_id=str(market_day.pk), change_message__contains="let the offer"
    ).count()
    return sum(results), expiries, "B" if offered == second else offered


def test_two_expiry_runs_at_once_expire_the_offer_once(organizer):
    for _round in range(DECISION_ROUNDS):
        setup, calls = expiry_runs(organizer)

        assert expiry_runs_outcome(setup, run_together(calls)) == (1, 1, "B")


def test_control_expiry_runs_without_the_day_lock_expire_it_twice(monkeypatch, organizer):
    """NEGATIVE CONTROL: without the day's lock both runs read the offer as due before either
    writes: both expire it, both record it, and the command reports two expiries of one
    offer."""
    both_read = threading.Barrier(2)
    answer = stall_services._offer_answer

    def unlocked_days(day_ids, *, skip_locked=False):
        return list(MarketDay.objects.select_related("market").filter(pk__in=day_ids))

    def answer_after_both_read(offer, state):
        both_read.wait(timeout=BARRIER_TIMEOUT)
        return answer(offer, state)

    setup, calls = expiry_runs(organizer)
    monkeypatch.setattr(stall_services, "_days_lock", unlocked_days)
    monkeypatch.setattr(stall_services, "_offer_answer", answer_after_both_read)

    result = expiry_runs_outcome(setup, run_together(calls))

    assert result == (2, 2, "B")
