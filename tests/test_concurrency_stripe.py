"""Races of money through Stripe, on PostgreSQL with real transactions and threads through the
HTTP stack (the webhook view, the API), Stripe's API played by the stub on loopback. Each
rule has a NEGATIVE CONTROL that removes the protection and shows the race then breaks the
rule, so the race test can fail.

The rules: an event delivered twice at the same moment is applied once; a payment and the
organizer's cancellation of the same booking end with the booking cancelled (kept, marked
``refunded``) and the money refunded exactly once; two cancellations of a booking paid by card
refund it once (the other is refused); a payment racing the cancellation of the booking's
market day is either credited by the day's cancellation or refunded, exactly once; two
Checkout sessions paying the same booking charge the vendor once (the later payment is
refunded).
"""

import itertools
import threading
import time

import pytest
from django.core import mail
from django.db import connection
from django.db.models import QuerySet
from django.test import Client

import stalls.services as stall_services
from applications.tests.factories import AcceptedApplicationFactory
from conftest import token_client
from marketflow import webhooks
from marketflow.models import StripeEvent
from marketflow.selectors import market_day_get
from marketflow.tests.factories import MarketDayFactory, OrganizerFactory
from stalls import payments
from stalls.models import Booking, VendorCredit
from stalls.tests.factories import BookingFactory, StallFactory
from tests.stripe_stub import post_event, stripe_event
from tests.test_concurrency import BARRIER_TIMEOUT, DECISION_ROUNDS, run_together

pytestmark = pytest.mark.django_db(transaction=True)

ACCOUNT_NUMBERS = itertools.count(1)


# -- the same event delivered twice at the same moment ---------------------------------------


def failed_invoice_event(customer) -> dict:
    invoice = {"id": "in_1", "object": "invoice", "customer": customer.stripe_customer_id}
    return stripe_event("invoice.payment_failed", invoice)


def deliver_twice(event) -> list[str]:
    responses = run_together([lambda: post_event(Client(), event) for _ in range(2)])
    assert [response.status_code for response in responses] == [200, 200]
    return sorted(response.json()["outcome"] for response in responses)


def test_an_event_delivered_twice_at_once_is_applied_once(stripe_stub):
    customer = OrganizerFactory(stripe_customer_id="cus_race")
    for _round in range(DECISION_ROUNDS):
        mail.outbox.clear()
        event = failed_invoice_event(customer)

        outcomes = deliver_twice(event)

        assert outcomes == ["duplicate", "handled"]
        assert StripeEvent.objects.filter(event_id=event["id"]).count() == 1
        assert len(mail.outbox) == 1


def test_control_without_the_event_claim_a_duplicate_is_applied_twice(monkeypatch, stripe_stub):
    """NEGATIVE CONTROL: no row per event id. Both deliveries are applied: two e-mails."""
    customer = OrganizerFactory(stripe_customer_id="cus_race")
    monkeypatch.setattr(webhooks, "stripe_event_claim", lambda event: True)

    outcomes = deliver_twice(failed_invoice_event(customer))

    assert outcomes == ["handled", "handled"]
    assert len(mail.outbox) == 2


# -- bookings paid by card -------------------------------------------------------------------


def card_payment_setup(*, sessions: int = 1):
    """A connected organizer, an accepted vendor's unpaid booking, and ``sessions`` completed
    Checkout sessions paying it (each with its own payment intent)."""
    account = f"acct_race_{next(ACCOUNT_NUMBERS)}"
    organizer = OrganizerFactory(stripe_account_id=account, stripe_charges_enabled=True)
    market_day = MarketDayFactory(market__organizer=organizer)
    booking = BookingFactory(
        market_day=market_day, stall=StallFactory(market=market_day.market, price_per_day=3000)
    )
    AcceptedApplicationFactory(market=market_day.market, vendor=booking.vendor)
    metadata = {
        "kind": payments.PAYMENT_KIND,
        "market_id": str(market_day.market_id),
        "vendor_id": str(booking.vendor_id),
        "bookings": f"{booking.pk}:3000",
    }
    events = [
        stripe_event(
            "checkout.session.completed",
            {
                "id": f"cs_race_{number}",
                "object": "checkout.session",
                "mode": "payment",
                "payment_status": "paid",
                "payment_intent": f"pi_race_{number}",
                "metadata": metadata,
            },
            account=account,
        )
        for number in range(sessions)
    ]
    return organizer, booking, events


def cancel_call(organizer, booking):
    client = token_client(organizer)
    url = (
        f"/api/markets/{booking.market_day.market_id}/market-days/{booking.market_day_id}"
        f"/bookings/{booking.pk}/"
    )
    return lambda: client.delete(url)


def booking_state(booking) -> tuple[str, bool]:
    booking = Booking.objects.get(pk=booking.pk)
    return booking.payment_status, booking.is_cancelled


def refunded_amounts(stripe_stub) -> list[tuple[str, str]]:
    return sorted((r.params["payment_intent"], r.params["amount"]) for r in stripe_stub.refunds())


def test_a_payment_racing_the_organizers_cancellation_is_refunded_exactly_once(stripe_stub):
    for _round in range(DECISION_ROUNDS):
        stripe_stub.reset()
        organizer, booking, (event,) = card_payment_setup()

        webhook, cancel = run_together(
            [lambda event=event: post_event(Client(), event), cancel_call(organizer, booking)]
        )

        assert (webhook.status_code, cancel.status_code) == (200, 204)
        assert booking_state(booking) == ("refunded", True)
        assert refunded_amounts(stripe_stub) == [("pi_race_0", "3000")]


def hold_first_reader(monkeypatch, go_on: threading.Event, done: threading.Event, read):
    """The first caller of ``payment_bookings_lock`` (the webhook) reads, sets ``go_on``, and
    waits for ``done`` before it writes."""

    def read_then_wait(booking_ids):
        found = read(booking_ids)
        if not go_on.is_set():
            go_on.set()
            assert done.wait(timeout=BARRIER_TIMEOUT)
        return found

    monkeypatch.setattr(payments, "payment_bookings_lock", read_then_wait)


def unlocked_read(booking_ids):
    return list(
        Booking.objects.filter(pk__in=booking_ids)
        .select_related("vendor__user", "stall", "market_day__market__organizer")
        .order_by("pk")
    )


def after(event: threading.Event, call, done: threading.Event | None = None):
    def run():
        assert event.wait(timeout=BARRIER_TIMEOUT)
        response = call()
        if done is not None:
            done.set()
        return response

    return run


def wait_for_a_lock_waiter() -> None:
    """Return once another session of the test database waits for a row lock."""
    deadline = time.monotonic() + BARRIER_TIMEOUT
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction the view is a snapshot, until cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("nobody waited for the lock")


def test_a_cancellation_during_a_payment_waits_then_refunds(monkeypatch, stripe_stub):
    """The webhook holds the booking locked (read, not yet paid) when the cancellation comes:
    the cancellation waits for it, then finds the booking paid by card and refunds it."""
    organizer, booking, (event,) = card_payment_setup()
    read = threading.Event()
    lock = payments.payment_bookings_lock

    def lock_then_hold(booking_ids):
        found = lock(booking_ids)
        read.set()
        wait_for_a_lock_waiter()  # the cancellation, blocked on our lock
        return found

    monkeypatch.setattr(payments, "payment_bookings_lock", lock_then_hold)

    webhook, cancelled = run_together(
        [lambda: post_event(Client(), event), after(read, cancel_call(organizer, booking))]
    )

    assert (webhook.status_code, cancelled.status_code) == (200, 204)
    assert booking_state(booking) == ("refunded", True)
    assert refunded_amounts(stripe_stub) == [("pi_race_0", "3000")]


def test_control_without_locks_a_cancelled_booking_keeps_the_money(monkeypatch, stripe_stub):
    """NEGATIVE CONTROL: no row locks; the webhook reads the booking unpaid and active, the
    organizer cancels it and commits, then the webhook marks it paid and refunds nothing: the
    vendor paid for a cancelled booking."""
    organizer, booking, (event,) = card_payment_setup()
    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, *args, **kwargs: self)
    read, cancelled = threading.Event(), threading.Event()
    hold_first_reader(monkeypatch, read, cancelled, unlocked_read)

    webhook, cancel = run_together(
        [
            lambda: post_event(Client(), event),
            after(read, cancel_call(organizer, booking), cancelled),
        ]
    )

    assert (webhook.status_code, cancel.status_code) == (200, 204)
    assert booking_state(booking) == ("paid", True)
    assert refunded_amounts(stripe_stub) == []  # the rule broken: caught by the race test


# -- the organizer cancels a booking paid by card twice at once ------------------------------


def paid_by_card(booking) -> None:
    Booking.objects.filter(pk=booking.pk).update(
        payment_status="paid", payment_method="card", payment_reference="pi_paid"
    )


def refund_requests(stripe_stub) -> int:
    """Refunds asked of Stripe (its idempotency key would make a repeated one a no-op: this
    counts what our code asked, not what Stripe made)."""
    return len(stripe_stub.calls("/v1/refunds"))


def test_two_cancellations_of_a_card_paid_booking_refund_once(stripe_stub):
    for _round in range(DECISION_ROUNDS):
        stripe_stub.reset()
        mail.outbox.clear()
        organizer, booking, _events = card_payment_setup()
        paid_by_card(booking)

        responses = run_together([cancel_call(organizer, booking), cancel_call(organizer, booking)])

        codes = sorted(
            (r.status_code, r.json()["code"] if r.status_code != 204 else None) for r in responses
        )
        assert codes == [(204, None), (409, "booking_already_cancelled")]
        assert booking_state(booking) == ("refunded", True)
        assert refund_requests(stripe_stub) == 1
        assert len(mail.outbox) == 1  # one refund e-mail


def test_control_two_cancellations_without_locks_refund_twice(monkeypatch, stripe_stub):
    """NEGATIVE CONTROL: the cancellations read the booking without the day's and the
    booking's locks, both before either writes (a barrier after the read): both see it paid
    by card and active, both refund it and answer 204, and the vendor gets two refund e-mails."""
    organizer, booking, _events = card_payment_setup()
    paid_by_card(booking)
    monkeypatch.setattr(stall_services, "market_day_get_for_update", market_day_get)
    both_read = threading.Barrier(2)

    def read_then_wait(*, market_day, booking_id):
        found = Booking.objects.get(pk=booking_id, market_day=market_day)
        both_read.wait(timeout=BARRIER_TIMEOUT)
        return found

    monkeypatch.setattr(stall_services, "booking_get_for_update", read_then_wait)

    responses = run_together([cancel_call(organizer, booking), cancel_call(organizer, booking)])

    assert [response.status_code for response in responses] == [204, 204]
    assert refund_requests(stripe_stub) == 2
    assert len(mail.outbox) == 2


# -- two Checkout sessions for the same booking ----------------------------------------------


def test_two_sessions_paying_the_same_booking_charge_once(stripe_stub):
    for _round in range(DECISION_ROUNDS):
        stripe_stub.reset()
        _organizer, booking, events = card_payment_setup(sessions=2)

        responses = run_together(
            [lambda event=event: post_event(Client(), event) for event in events]
        )

        assert [response.status_code for response in responses] == [200, 200]
        booking.refresh_from_db()
        assert (booking.payment_status, booking.payment_method) == ("paid", "card")
        (refund,) = refunded_amounts(stripe_stub)
        assert refund != (booking.payment_reference, "3000") and refund[1] == "3000"
        assert {refund[0], booking.payment_reference} == {"pi_race_0", "pi_race_1"}


def test_control_without_locks_two_sessions_charge_twice(monkeypatch, stripe_stub):
    """NEGATIVE CONTROL: the bookings read without a lock; the first payment reads the booking
    unpaid and waits while the second pays it; then the first pays it again. Nothing is
    refunded: the vendor is charged twice."""
    _organizer, booking, events = card_payment_setup(sessions=2)
    read, second_paid = threading.Event(), threading.Event()
    hold_first_reader(monkeypatch, read, second_paid, unlocked_read)

    first, second = run_together(
        [
            lambda: post_event(Client(), events[0]),
            after(read, lambda: post_event(Client(), events[1]), second_paid),
        ]
    )

    assert (first.status_code, second.status_code) == (200, 200)
    booking.refresh_from_db()
    assert booking.payment_reference == "pi_race_0"
    assert refunded_amounts(stripe_stub) == []  # two charges, no refund: the rule broken


# -- the organizer cancels the market day while the vendor's payment arrives ------------------


def cancel_day_call(organizer, booking):
    client = token_client(organizer)
    url = f"/api/markets/{booking.market_day.market_id}/market-days/{booking.market_day_id}/"
    return lambda: client.patch(url, {"status": "cancelled"}, format="json")


def credited_and_refunded(stripe_stub, booking) -> tuple[int, int]:
    """The payment's money: credits given for the booking, refunds made of it."""
    credits = VendorCredit.objects.filter(source_booking_id=booking.pk).count()
    return credits, len(stripe_stub.refunds())


def test_a_payment_racing_the_day_s_cancellation_is_credited_or_refunded_once(stripe_stub):
    """Paid first, then the cancelled day credits it (the market's default policy); or the
    day cancelled first, then the payment is refunded: never both, never neither."""
    for _round in range(DECISION_ROUNDS):
        stripe_stub.reset()
        organizer, booking, (event,) = card_payment_setup()

        webhook, cancel = run_together(
            [lambda event=event: post_event(Client(), event), cancel_day_call(organizer, booking)]
        )

        assert (webhook.status_code, cancel.status_code) == (200, 200)
        assert credited_and_refunded(stripe_stub, booking) in {(1, 0), (0, 1)}


def test_control_without_locks_a_payment_on_a_cancelled_day_is_kept(monkeypatch, stripe_stub):
    """NEGATIVE CONTROL: no row locks; the webhook reads the booking unpaid on a scheduled
    day, the organizer cancels the day and commits (nothing paid: no credit), then the
    webhook marks the booking paid: the vendor paid for a day that does not take place, with
    neither credit nor refund. The race test's assertion catches it."""
    organizer, booking, (event,) = card_payment_setup()
    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, *args, **kwargs: self)
    read, cancelled = threading.Event(), threading.Event()
    hold_first_reader(monkeypatch, read, cancelled, unlocked_read)

    webhook, cancel = run_together(
        [
            lambda: post_event(Client(), event),
            after(read, cancel_day_call(organizer, booking), cancelled),
        ]
    )

    assert (webhook.status_code, cancel.status_code) == (200, 200)
    assert booking_state(booking) == ("paid", False)
    assert credited_and_refunded(stripe_stub, booking) == (0, 0)


def test_a_payment_waiting_on_the_day_s_cancellation_sees_the_day_cancelled(
    monkeypatch, stripe_stub
):
    """The cancellation holds the day's bookings locked (nothing paid: it writes none of
    them) when the payment comes: the payment waits, then must see the day cancelled, though
    the day row it joined was read before the cancellation committed, and refund."""
    organizer, booking, (event,) = card_payment_setup()
    settled = threading.Event()
    settle = stall_services._settle_cancelled_day

    def settle_then_hold(user, market_day):
        settle(user, market_day)
        settled.set()
        wait_for_a_lock_waiter()  # the payment, blocked on the booking's lock

    monkeypatch.setattr(stall_services, "_settle_cancelled_day", settle_then_hold)

    cancel, webhook = run_together(
        [cancel_day_call(organizer, booking), after(settled, lambda: post_event(Client(), event))]
    )

    assert (webhook.status_code, cancel.status_code) == (200, 200)
    assert booking_state(booking) == ("unpaid", False)
    assert credited_and_refunded(stripe_stub, booking) == (0, 1)
