"""Concurrency rules about money on a booking, beside those of tests/test_concurrency.py
(bookings, plan limits, duplicate applications, decisions racing withdrawals), in the same
style: real PostgreSQL, real transactions, threads, the HTTP stack, and a NEGATIVE CONTROL per
rule that removes the lock and shows the race then happens and would be caught.

The rule: a paid booking is a record of money received, and a recorded payment is never lost.
The organizer's cancellation keeps the row (a fee paid in cash stays paid, to be settled by
hand), so a cancellation racing "mark paid" either sees the payment and keeps it, or comes first
and the payment is refused (the booking is cancelled); the vendor's withdrawal releases only
unpaid bookings. A payment is never reported recorded and then overwritten.
"""

import threading
from collections.abc import Callable

import pytest
from django.db.models import QuerySet
from django.urls import reverse

import stalls.services as stall_services
from applications.tests.factories import AcceptedApplicationFactory
from conftest import token_client
from marketflow.selectors import market_day_get
from marketflow.tests.factories import UserFactory
from stalls.models import Booking
from stalls.tests.factories import BookingFactory
from tests.test_concurrency import BARRIER_TIMEOUT, DECISION_ROUNDS, outcome, run_together
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db(transaction=True)

PAID, UNPAID = Booking.PaymentStatus.PAID, Booking.PaymentStatus.UNPAID


def booking_url(booking) -> str:
    return reverse(
        "api:booking-detail",
        kwargs={
            "market_id": booking.market_day.market_id,
            "market_day_id": booking.market_day_id,
            "booking_id": booking.pk,
        },
    )


def unlocked_booking_get(*, market_day, booking_id) -> Booking:
    """``booking_get_for_update`` without the lock."""
    return Booking.objects.get(pk=booking_id, market_day=market_day)


def booking_state(booking_id) -> tuple[str, bool]:
    """The booking's payment status, and whether it is cancelled."""
    booking = Booking.objects.get(pk=booking_id)
    return booking.payment_status, booking.is_cancelled


# -- the organizer cancels while someone marks the booking paid ------------------------------


def pay_and_cancel(organizer, market_day, started: threading.Event | None = None):
    """An unpaid booking; "mark paid" and "cancel" as two calls (given ``started``, the payment
    starts only once it is set)."""
    booking = BookingFactory(market_day=market_day)
    url = booking_url(booking)
    payer, canceller = token_client(organizer), token_client(organizer)

    def pay():
        if started is not None:
            assert started.wait(timeout=BARRIER_TIMEOUT)
        return payer.patch(url, {"payment_status": "paid"}, format="json")

    return booking, [pay, lambda: canceller.delete(url)]


# Paid then cancelled (still paid: settled by hand), or cancelled then the payment refused.
PAY_CANCEL_SERIAL = {
    ((200, None), (204, None), (PAID, True)),
    ((409, "booking_already_cancelled"), (204, None), (UNPAID, True)),
}


def pay_cancel_outcome(booking, responses) -> tuple:
    pay, cancel = responses
    cancel_outcome = (204, None) if cancel.status_code == 204 else outcome(cancel)
    return outcome(pay), cancel_outcome, booking_state(booking.pk)


def test_cancel_racing_mark_paid_ends_as_one_order_would(organizer, market_day):
    for _round in range(DECISION_ROUNDS):
        booking, requests = pay_and_cancel(organizer, market_day)

        result = pay_cancel_outcome(booking, run_together(requests))

        assert result in PAY_CANCEL_SERIAL


def test_control_cancel_without_locks_loses_a_recorded_payment(monkeypatch, organizer, market_day):
    """NEGATIVE CONTROL: the cancellation reads the booking (unpaid) without the market day
    and booking locks, and writes it only after "mark paid" has committed. The organizer is
    told the payment was recorded, and the cancelled booking says unpaid: no serial order
    gives that."""
    read, paid = threading.Event(), threading.Event()
    booking, (pay, cancel) = pay_and_cancel(organizer, market_day, started=read)

    def read_then_wait(**kwargs):
        found = unlocked_booking_get(**kwargs)
        if not read.is_set():  # the cancellation's read: the payment starts only after it
            read.set()
            assert paid.wait(timeout=BARRIER_TIMEOUT)
        return found

    def pay_and_signal():
        response = pay()
        paid.set()
        return response

    monkeypatch.setattr(stall_services, "market_day_get_for_update", market_day_get)
    monkeypatch.setattr(stall_services, "booking_get_for_update", read_then_wait)

    result = pay_cancel_outcome(booking, run_together([pay_and_signal, cancel]))

    assert result == ((200, None), (204, None), (UNPAID, True))
    assert result not in PAY_CANCEL_SERIAL


# -- the vendor withdraws while the organizer marks the booking paid -------------------------


def withdraw_and_pay(organizer, market_day, started: threading.Event):
    """An accepted vendor with an account and an unpaid booking; their withdrawal and the
    organizer's "mark paid", which starts once ``started`` is set."""
    vendor_user = UserFactory()
    vendor = VendorFactory(email=vendor_user.email, user=vendor_user)
    application = AcceptedApplicationFactory(market=market_day.market, vendor=vendor)
    booking = BookingFactory(market_day=market_day, vendor=vendor)
    withdrawer, payer = token_client(vendor_user), token_client(organizer)

    def withdraw():
        return withdrawer.post(
            reverse("api:me-application-withdraw", kwargs={"application_id": application.pk})
        )

    def pay():
        assert started.wait(timeout=BARRIER_TIMEOUT)
        return payer.patch(booking_url(booking), {"payment_status": "paid"}, format="json")

    return booking, [withdraw, pay]


def hold_withdrawal_after_reading_bookings(monkeypatch, go_on: Callable[[], None]) -> None:
    """Call ``go_on`` in the withdrawal once it has selected the bookings it releases (and,
    with the lock, holds them), before it cancels them."""
    cancel = stall_services._cancel

    def wait_then_cancel(*args):
        go_on()
        return cancel(*args)

    monkeypatch.setattr(stall_services, "_cancel", wait_then_cancel)


# Released then the payment refused, or paid first and kept by the withdrawal.
WITHDRAW_PAY_SERIAL = {
    ((200, None), (409, "booking_already_cancelled"), (UNPAID, True)),
    ((200, None), (200, None), (PAID, False)),
}


def withdraw_pay_outcome(booking, responses) -> tuple:
    return (*(outcome(response) for response in responses), booking_state(booking.pk))


def test_withdrawal_racing_mark_paid_ends_as_one_order_would(organizer, market_day):
    for _round in range(DECISION_ROUNDS):
        started = threading.Event()
        started.set()  # no ordering imposed: a free race
        booking, requests = withdraw_and_pay(organizer, market_day, started)

        assert withdraw_pay_outcome(booking, run_together(requests)) in WITHDRAW_PAY_SERIAL


def test_a_payment_during_a_withdrawal_waits_and_finds_the_booking_released(
    monkeypatch, organizer, market_day
):
    """The payment reaches the booking after the withdrawal has selected it for release; with
    the lock it must wait for the withdrawal, then find the booking cancelled."""
    read, locking = threading.Event(), threading.Event()
    booking, requests = withdraw_and_pay(organizer, market_day, started=read)
    lock = stall_services.booking_get_for_update

    def wait_for_the_payment():
        read.set()
        assert locking.wait(timeout=BARRIER_TIMEOUT)

    def signal_then_lock(**kwargs):
        locking.set()
        return lock(**kwargs)

    hold_withdrawal_after_reading_bookings(monkeypatch, wait_for_the_payment)
    monkeypatch.setattr(stall_services, "booking_get_for_update", signal_then_lock)

    result = withdraw_pay_outcome(booking, run_together(requests))

    assert result == ((200, None), (409, "booking_already_cancelled"), (UNPAID, True))


def test_control_withdrawal_without_the_booking_lock_releases_a_paid_booking(
    monkeypatch, organizer, market_day
):
    """NEGATIVE CONTROL: no row locks anywhere (``select_for_update`` is a plain read), and
    the withdrawal cancels the bookings it selected only after the payment has committed. The
    organizer was told the fee is recorded, and the released booking says unpaid: the race
    test catches it."""
    read, paid = threading.Event(), threading.Event()
    booking, (withdraw, pay) = withdraw_and_pay(organizer, market_day, started=read)
    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, *args, **kwargs: self)

    def wait_until_paid():
        read.set()
        assert paid.wait(timeout=BARRIER_TIMEOUT)

    def pay_and_signal():
        response = pay()
        paid.set()
        return response

    hold_withdrawal_after_reading_bookings(monkeypatch, wait_until_paid)

    result = withdraw_pay_outcome(booking, run_together([withdraw, pay_and_signal]))

    assert result == ((200, None), (200, None), (UNPAID, True))
    assert result not in WITHDRAW_PAY_SERIAL
