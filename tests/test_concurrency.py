"""Concurrency rules on the real PostgreSQL, with real transactions, threads and the HTTP stack.

Every test starts its requests together behind a ``threading.Barrier``; each thread has its own
API client (token auth) and its own database connection, which it closes when done. The tests
assert the exact mix of status codes and the rows left in the database.

The NEGATIVE CONTROLS (``test_control_*``) take the lock away (monkeypatching the locking
selector where the service looks it up, or ``select_for_update`` itself) and force every thread
past the service's check before any of them writes, with a second barrier placed right after the
check. They show that the race the main test is about really happens without the lock, and that
the main test's assertions would catch it. Where a database constraint is the final guard (one
booking per stall or vendor and day), the control shows the constraint holding on its own, and a
second control removes the constraint too, to show the assertion then fails. One open
application per vendor and market has the constraint as its only guard; its control removes it.
"""

import threading
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

import applications.services as application_services
import marketflow.services as core_services
import stalls.services as stall_services
from applications.models import TRANSITIONS, Application
from applications.selectors import application_get
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from conftest import token_client
from marketflow.models import Market
from marketflow.plans import FREE_PLAN_MAX_ACTIVE_VENDORS
from marketflow.selectors import market_day_get, market_get
from marketflow.tests.factories import OrganizerFactory, UserFactory
from stalls.models import Booking
from stalls.tests.factories import BookingFactory, StallFactory
from vendors.models import Vendor
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20
MARKET_CREATE_THREADS = 10
DECISION_ROUNDS = 5
# Not a timing assertion: a broken test fails with BrokenBarrierError instead of hanging.
BARRIER_TIMEOUT = 30

Status = Application.Status


def run_together(calls: list[Callable]) -> list:
    """Run each call in its own thread, released at once; return the results in call order.

    Each thread closes its database connection when it ends. An exception in a thread (a 500
    re-raised by the test client, a broken barrier) fails the test.
    """
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index: int, call: Callable) -> None:
        try:
            start.wait(timeout=BARRIER_TIMEOUT)
            results[index] = call()
        except BaseException as error:  # reported below, in the test's thread
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def outcome(response) -> tuple[int, str | None]:
    """(status, error code), the error code None for a success."""
    body = response.json()
    if response.status_code >= 400:
        assert set(body) == {"code", "detail", "extra"}
        return response.status_code, body["code"]
    return response.status_code, None


def outcomes(responses) -> Counter:
    return Counter(outcome(response) for response in responses)


def post(client: APIClient, url: str, data: dict | None = None) -> Callable:
    return lambda: client.post(url, data or {}, format="json")


def wait_after(function: Callable, barrier: threading.Barrier) -> Callable:
    """``function`` that, once it returned, waits until every thread has got this far."""

    def waiting(*args, **kwargs):
        result = function(*args, **kwargs)
        barrier.wait(timeout=BARRIER_TIMEOUT)
        return result

    return waiting


def wait_before(function: Callable, barrier: threading.Barrier) -> Callable:
    def waiting(*args, **kwargs):
        barrier.wait(timeout=BARRIER_TIMEOUT)
        return function(*args, **kwargs)

    return waiting


@contextmanager
def constraint_removed(model, name: str):
    """Drop one of ``model``'s constraints for the block; restored afterwards (the rows the
    block wrote are deleted first, as they may break it)."""
    constraint = next(c for c in model._meta.constraints if c.name == name)
    with connection.schema_editor() as editor:
        editor.remove_constraint(model, constraint)
    try:
        yield
    finally:
        model.objects.all().delete()
        with connection.schema_editor() as editor:
            editor.add_constraint(model, constraint)


def without_select_for_update(monkeypatch) -> None:
    """Every ``select_for_update`` in the process becomes a plain read."""
    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, *args, **kwargs: self)


# Bookings


def booking_url(market, market_day) -> str:
    return reverse(
        "api:booking-list", kwargs={"market_id": market.pk, "market_day_id": market_day.pk}
    )


def accepted_vendors(market, count: int) -> list[Vendor]:
    return [AcceptedApplicationFactory(market=market).vendor for _ in range(count)]


def cancelled_booking(**fields) -> None:
    """A cancelled booking, kept: it must neither hold the stall nor the vendor's day."""
    BookingFactory(cancelled_at=timezone.now(), **fields)


def same_stall_requests(organizer, market, market_day) -> list[Callable]:
    """THREADS different accepted vendors, all asking for the same stall on the same day, which
    an earlier booking, cancelled since, had freed."""
    stall = StallFactory(market=market)
    cancelled_booking(market_day=market_day, stall=stall)
    url = booking_url(market, market_day)
    return [
        post(token_client(organizer), url, {"stall_id": str(stall.pk), "vendor_id": str(v.pk)})
        for v in accepted_vendors(market, THREADS)
    ]


def same_vendor_requests(organizer, market, market_day) -> list[Callable]:
    """One accepted vendor, booked onto THREADS different stalls on the same day (a booking of
    theirs that day was cancelled before)."""
    (vendor,) = accepted_vendors(market, 1)
    cancelled_booking(market_day=market_day, vendor=vendor, stall=StallFactory(market=market))
    url = booking_url(market, market_day)
    return [
        post(
            token_client(organizer),
            url,
            {"stall_id": str(StallFactory(market=market).pk), "vendor_id": str(vendor.pk)},
        )
        for _ in range(THREADS)
    ]


def accepted_application_get(*, market, vendor_id) -> Application | None:
    """``accepted_application_get_for_update`` without the lock."""
    return Application.objects.filter(
        market=market, vendor_id=vendor_id, status=Status.ACCEPTED
    ).first()


def booking_locks_removed(monkeypatch) -> None:
    """``booking_create`` without its locks: the market day and the vendor's application."""
    monkeypatch.setattr(stall_services, "market_day_get_for_update", market_day_get)
    monkeypatch.setattr(
        stall_services, "accepted_application_get_for_update", accepted_application_get
    )


BOOKING_RACES = {
    # conflict code: (requests, the constraint that is the final guard)
    "stall_already_booked": (same_stall_requests, "booking_unique_stall_per_day"),
    "vendor_already_booked": (same_vendor_requests, "booking_unique_vendor_per_day"),
}


def test_twenty_vendors_booking_one_stall_get_one_booking(organizer, market, market_day):
    requests = same_stall_requests(organizer, market, market_day)

    responses = run_together(requests)

    assert outcomes(responses) == {(201, None): 1, (409, "stall_already_booked"): THREADS - 1}
    booking = Booking.objects.active().get(market_day=market_day)
    assert next(r for r in responses if r.status_code == 201).json()["id"] == str(booking.pk)


def test_one_vendor_booked_onto_twenty_stalls_gets_one_booking(organizer, market, market_day):
    requests = same_vendor_requests(organizer, market, market_day)

    responses = run_together(requests)

    assert outcomes(responses) == {(201, None): 1, (409, "vendor_already_booked"): THREADS - 1}
    assert Booking.objects.active().filter(market_day=market_day).count() == 1


@pytest.mark.parametrize("conflict_code", BOOKING_RACES)
def test_control_booking_without_lock_is_still_guarded_by_the_constraint(
    monkeypatch, organizer, market, market_day, conflict_code
):
    """NEGATIVE CONTROL for the two booking races: the booking's locks are removed.

    Removing the lock alone cannot make the booking tests fail, because the unique constraints
    (market_day, stall) and (market_day, vendor) are the final guard and the service turns
    their IntegrityError into the same 409. So this control proves what can be proved: with
    the lock gone and every thread held at a barrier placed after the service's exists()
    checks (all twenty pass them before anyone inserts), the race reaches the database and
    the constraint alone still leaves one booking and nineteen clean 409s, never a 500. The
    next control removes the constraint as well and shows the tests' assertions then fail.
    """
    make_requests, _constraint = BOOKING_RACES[conflict_code]
    requests = make_requests(organizer, market, market_day)
    booking_locks_removed(monkeypatch)
    monkeypatch.setitem(
        Booking.objects.__dict__,
        "create",
        wait_before(Booking.objects.create, threading.Barrier(THREADS)),
    )

    responses = run_together(requests)

    assert outcomes(responses) == {(201, None): 1, (409, conflict_code): THREADS - 1}
    assert Booking.objects.active().filter(market_day=market_day).count() == 1


@pytest.mark.parametrize("conflict_code", BOOKING_RACES)
def test_control_booking_without_lock_or_constraint_double_books(
    monkeypatch, organizer, market, market_day, conflict_code
):
    """NEGATIVE CONTROL: lock and constraint both removed, threads held after the checks.

    Every request succeeds and the day gets twenty bookings: the booking tests' "one 201,
    nineteen 409, one row" assertions catch this race.
    """
    make_requests, constraint = BOOKING_RACES[conflict_code]
    requests = make_requests(organizer, market, market_day)
    booking_locks_removed(monkeypatch)
    monkeypatch.setitem(
        Booking.objects.__dict__,
        "create",
        wait_before(Booking.objects.create, threading.Barrier(THREADS)),
    )

    with constraint_removed(Booking, constraint):
        responses = run_together(requests)
        booked = Booking.objects.active().filter(market_day=market_day).count()

    assert outcomes(responses) == {(201, None): THREADS}
    assert booked == THREADS


# The free plan's 20 active vendors per market


def accept_requests(organizer, market) -> list[Callable]:
    """A free market with 19 active vendors, and THREADS pending applications accepted at once."""
    assert not organizer.has_paid_plan
    AcceptedApplicationFactory.create_batch(FREE_PLAN_MAX_ACTIVE_VENDORS - 1, market=market)
    pending = ApplicationFactory.create_batch(THREADS, market=market)
    return [
        post(
            token_client(organizer),
            reverse(
                "api:application-accept",
                kwargs={"market_id": market.pk, "application_id": application.pk},
            ),
        )
        for application in pending
    ]


def accepted_count(market) -> int:
    return Application.objects.filter(market=market, status=Status.ACCEPTED).count()


def test_twenty_acceptances_at_nineteen_active_vendors_let_one_through(organizer, market):
    requests = accept_requests(organizer, market)

    responses = run_together(requests)

    assert outcomes(responses) == {(200, None): 1, (402, "plan_limit_reached"): THREADS - 1}
    assert accepted_count(market) == FREE_PLAN_MAX_ACTIVE_VENDORS
    assert Application.objects.filter(market=market, status=Status.PENDING).count() == THREADS - 1


def test_control_acceptances_without_market_lock_exceed_the_plan(monkeypatch, organizer, market):
    """NEGATIVE CONTROL: the market lock of ``application_accept`` is removed.

    ``market_get_for_update`` is replaced, where the service looks it up, by the non-locking
    ``market_get``, and ``accepted_vendor_count`` waits after counting until all twenty threads
    have counted, so each of them sees 19 active vendors. Every acceptance then goes through
    and the market ends far above the free plan's limit: the test above catches this race.
    """
    requests = accept_requests(organizer, market)
    counted = threading.Barrier(THREADS)
    monkeypatch.setattr(application_services, "market_get_for_update", market_get)
    monkeypatch.setattr(
        application_services,
        "accepted_vendor_count",
        wait_after(application_services.accepted_vendor_count, counted),
    )

    responses = run_together(requests)

    assert outcomes(responses) == {(200, None): THREADS}
    assert accepted_count(market) == FREE_PLAN_MAX_ACTIVE_VENDORS - 1 + THREADS


# Public applications


APPLICANT = {
    "email": "Stand.Owner@Example.com",
    "business_name": "Hillside Honey",
    "contact_name": "Ada Hill",
    "phone": "+49 30 7654321",
    "product_categories": ["produce", "other"],
    "description": "Honey and beeswax candles.",
    "message": "First season with you, hopefully.",
}


def apply_requests(market) -> list[Callable]:
    """The vendor of APPLICANT's e-mail, signed in: their applications are pending at once
    (anonymous ones wait unconfirmed, and count for nothing until confirmed)."""
    vendor = VendorFactory(email=APPLICANT["email"].lower())
    vendor.user = UserFactory(email=vendor.email)
    vendor.save(update_fields=["user", "updated_at"])
    url = reverse("api:public-apply", kwargs={"market_id": market.pk})
    return [post(token_client(vendor.user), url, APPLICANT) for _ in range(THREADS)]


def open_applications(market) -> int:
    return Application.objects.filter(market=market, status__in=Application.OPEN_STATUSES).count()


def test_twenty_identical_public_applications_open_one(market):
    requests = apply_requests(market)

    responses = run_together(requests)

    assert outcomes(responses) == {(201, None): 1, (409, "application_already_open"): THREADS - 1}
    assert open_applications(market) == 1
    assert Application.objects.count() == 1
    vendor = Vendor.objects.get()
    assert vendor.email == APPLICANT["email"].lower()
    assert vendor.applications.get().market_id == market.pk


def test_control_public_applications_without_the_constraint_open_many(market):
    """NEGATIVE CONTROL: the partial unique constraint is the only guard (no lock, no check
    before the insert). Without it, twenty open applications, which the public application
    test catches."""
    requests = apply_requests(market)

    with constraint_removed(Application, "application_one_open_per_vendor_market"):
        responses = run_together(requests)
        opened = open_applications(market)

    assert outcomes(responses) == {(201, None): THREADS}
    assert opened == THREADS


# The free plan's one market per organizer


def market_create_requests(organizer) -> list[Callable]:
    url = reverse("api:market-list")
    return [
        post(token_client(organizer), url, {"name": f"Market {n}", "slug": f"race-market-{n}"})
        for n in range(MARKET_CREATE_THREADS)
    ]


def test_free_organizer_creating_markets_at_once_gets_one():
    organizer = OrganizerFactory()
    requests = market_create_requests(organizer)

    responses = run_together(requests)

    assert outcomes(responses) == {
        (201, None): 1,
        (402, "plan_limit_reached"): MARKET_CREATE_THREADS - 1,
    }
    assert Market.objects.filter(organizer=organizer).count() == 1


def test_control_market_creation_without_lock_exceeds_the_plan(monkeypatch):
    """NEGATIVE CONTROL: ``market_create`` locks the organizer's row inline, so here every
    ``select_for_update`` becomes a plain read, and ``full_clean`` (the step after counting the
    organizer's markets) waits until all threads have counted. Every creation succeeds."""
    organizer = OrganizerFactory()
    requests = market_create_requests(organizer)
    without_select_for_update(monkeypatch)
    monkeypatch.setattr(
        core_services,
        "full_clean",
        wait_before(core_services.full_clean, threading.Barrier(MARKET_CREATE_THREADS)),
    )

    responses = run_together(requests)

    assert outcomes(responses) == {(201, None): MARKET_CREATE_THREADS}
    assert Market.objects.filter(organizer=organizer).count() == MARKET_CREATE_THREADS


# A decision racing the vendor's withdrawal


DECISIONS = {"accept": Status.ACCEPTED, "reject": Status.REJECTED}


def serial_outcomes(decision: str) -> set[tuple[int, int, str]]:
    """Every (decision status, withdrawal status, final status) that running the two requests
    one after the other, in either order, can produce from a pending application.

    Accepted -> withdrawn is a legal step, so when the acceptance comes first both succeed and
    the application ends withdrawn; when the withdrawal comes first the acceptance gets 409.
    A rejection and a withdrawal exclude each other: exactly one of them wins.
    """
    allowed = set()
    for order in (("decision", "withdraw"), ("withdraw", "decision")):
        state, statuses = Status.PENDING, {}
        for step in order:
            target = DECISIONS[decision] if step == "decision" else Status.WITHDRAWN
            if target in TRANSITIONS[state]:
                state, statuses[step] = target, 200
            else:
                statuses[step] = 409
        allowed.add((statuses["decision"], statuses["withdraw"], str(state)))
    return allowed


def decision_and_withdrawal(organizer, market, decision: str, withdrawn: threading.Event):
    """A pending application of a vendor with an account; the organizer's decision and the
    vendor's withdrawal of it, as two calls (the withdrawal sets ``withdrawn`` when answered)."""
    vendor_user = UserFactory()
    vendor = VendorFactory(email=vendor_user.email, user=vendor_user)
    application = ApplicationFactory(market=market, vendor=vendor)
    decide = post(
        token_client(organizer),
        reverse(
            f"api:application-{decision}",
            kwargs={"market_id": market.pk, "application_id": application.pk},
        ),
    )
    withdraw_request = post(
        token_client(vendor_user),
        reverse("api:me-application-withdraw", kwargs={"application_id": application.pk}),
    )

    def withdraw():
        response = withdraw_request()
        withdrawn.set()
        return response

    return application, [decide, withdraw]


def race_outcome(application, responses) -> tuple[int, int, str]:
    for response in responses:
        if response.status_code == 409:
            assert outcome(response) == (409, "invalid_transition")
    application.refresh_from_db()
    decision_response, withdraw_response = responses
    return decision_response.status_code, withdraw_response.status_code, application.status


@pytest.mark.parametrize("decision", DECISIONS)
def test_decision_racing_withdrawal_ends_as_one_order_would(organizer, market, decision):
    allowed = serial_outcomes(decision)
    for _round in range(DECISION_ROUNDS):
        application, requests = decision_and_withdrawal(
            organizer, market, decision, threading.Event()
        )

        result = race_outcome(application, run_together(requests))

        assert result in allowed
        if application.status == Status.WITHDRAWN:
            assert application.withdrawn_at is not None
        decided = result[0] == 200
        assert (application.reviewed_by_id == organizer.pk) is decided


def test_control_acceptance_racing_withdrawal_without_locks_loses_the_withdrawal(
    monkeypatch, organizer, market
):
    """NEGATIVE CONTROL: the market and application locks of the decision and the withdrawal
    are removed; both requests check the pending status before either writes, and the
    acceptance writes only after the withdrawal has committed. Both answer 200 and the
    application ends accepted although the vendor was told it was withdrawn: no serial order
    gives that, so the race test catches it."""
    withdrawn = threading.Event()
    application, requests = decision_and_withdrawal(organizer, market, "accept", withdrawn)
    checked = threading.Barrier(2)
    transition = application_services._transition

    def transition_then_wait(application, target):
        transition(application, target)
        checked.wait(timeout=BARRIER_TIMEOUT)
        if target == Status.ACCEPTED:
            assert withdrawn.wait(timeout=BARRIER_TIMEOUT)

    monkeypatch.setattr(application_services, "_transition", transition_then_wait)
    monkeypatch.setattr(application_services, "market_get_for_update", market_get)
    monkeypatch.setattr(
        application_services, "market_lock", lambda *, market_id: Market.objects.get(pk=market_id)
    )
    monkeypatch.setattr(application_services, "application_get_for_update", application_get)

    result = race_outcome(application, run_together(requests))

    assert result == (200, 200, Status.ACCEPTED)
    assert result not in serial_outcomes("accept")


# A booking racing the vendor's withdrawal


def booking_and_withdrawal(
    organizer, market, market_day, withdrawn: threading.Event, read: threading.Event | None = None
):
    """An accepted vendor with an account; the organizer books them onto a stall while they
    withdraw their application (the withdrawal sets ``withdrawn`` when answered; given
    ``read``, it starts only once the booking has read the acceptance)."""
    vendor_user = UserFactory()
    vendor = VendorFactory(email=vendor_user.email, user=vendor_user)
    application = AcceptedApplicationFactory(market=market, vendor=vendor)
    book = post(
        token_client(organizer),
        booking_url(market, market_day),
        {"stall_id": str(StallFactory(market=market).pk), "vendor_id": str(vendor.pk)},
    )
    withdraw_request = post(
        token_client(vendor_user),
        reverse("api:me-application-withdraw", kwargs={"application_id": application.pk}),
    )

    def withdraw():
        if read is not None:
            assert read.wait(timeout=BARRIER_TIMEOUT)
        response = withdraw_request()
        withdrawn.set()
        return response

    return application, [book, withdraw]


def booking_race_outcome(application, responses) -> tuple:
    application.refresh_from_db()
    return (
        *(outcome(response) for response in responses),
        application.status,
        Booking.objects.active().filter(vendor_id=application.vendor_id).count(),
    )


# Booked then withdrawn (the withdrawal releases the booking), or withdrawn then refused.
BOOKING_WITHDRAWAL_SERIAL = {
    ((201, None), (200, None), Status.WITHDRAWN, 0),
    ((409, "vendor_not_accepted"), (200, None), Status.WITHDRAWN, 0),
}


def test_booking_racing_withdrawal_ends_as_one_order_would(organizer, market, market_day):
    for _round in range(DECISION_ROUNDS):
        application, requests = booking_and_withdrawal(
            organizer, market, market_day, threading.Event()
        )

        assert booking_race_outcome(application, run_together(requests)) in (
            BOOKING_WITHDRAWAL_SERIAL
        )


def run_with_the_acceptance_held(monkeypatch, requests: list[Callable]) -> list:
    """Run ``[book, undo]`` (the undo: a withdrawal or a revocation) so that the undo locks
    the vendor's application only after the booking has checked (and, with the lock,
    holds) the acceptance, and the booking goes on only once the undo is about to lock."""
    booking_checked, undo_locking = threading.Event(), threading.Event()
    check = stall_services.accepted_application_get_for_update
    lock = application_services.application_get_for_update

    def checked_then_wait(**kwargs):
        result = check(**kwargs)
        booking_checked.set()
        assert undo_locking.wait(timeout=BARRIER_TIMEOUT)
        return result

    def lock_once_booking_checked(**kwargs):
        assert booking_checked.wait(timeout=BARRIER_TIMEOUT)
        undo_locking.set()
        return lock(**kwargs)

    monkeypatch.setattr(stall_services, "accepted_application_get_for_update", checked_then_wait)
    monkeypatch.setattr(
        application_services, "application_get_for_update", lock_once_booking_checked
    )
    return run_together(requests)


def run_with_the_acceptance_read_unlocked(
    monkeypatch, requests: list[Callable], read: threading.Event, undone: threading.Event
) -> list:
    """Run ``[book, undo]`` with ``booking_create`` reading the acceptance without locking
    it, and inserting only once the undo (which starts on ``read``) has answered."""

    def read_then_wait(**kwargs):
        result = accepted_application_get(**kwargs)
        read.set()  # the undo runs now, between our read and our insert
        assert undone.wait(timeout=BARRIER_TIMEOUT)
        return result

    monkeypatch.setattr(stall_services, "accepted_application_get_for_update", read_then_wait)
    return run_together(requests)


def test_withdrawal_during_a_booking_releases_the_booking(
    monkeypatch, organizer, market, market_day
):
    """The withdrawal must wait for the booking that holds the acceptance, and release it."""
    application, requests = booking_and_withdrawal(organizer, market, market_day, threading.Event())

    result = booking_race_outcome(application, run_with_the_acceptance_held(monkeypatch, requests))

    assert result == ((201, None), (200, None), Status.WITHDRAWN, 0)


def test_control_booking_without_application_lock_keeps_a_withdrawn_vendor_booked(
    monkeypatch, organizer, market, market_day
):
    """NEGATIVE CONTROL: ``booking_create`` reads the vendor's acceptance without locking it,
    and inserts only after the withdrawal (which releases the vendor's bookings) has
    committed. The withdrawn vendor keeps a booking, an outcome no serial order gives, which
    the race test above catches. (This was the behaviour before the application lock.)"""
    withdrawn, read = threading.Event(), threading.Event()
    application, requests = booking_and_withdrawal(organizer, market, market_day, withdrawn, read)

    responses = run_with_the_acceptance_read_unlocked(monkeypatch, requests, read, withdrawn)
    result = booking_race_outcome(application, responses)

    assert result == ((201, None), (200, None), Status.WITHDRAWN, 1)
    assert result not in BOOKING_WITHDRAWAL_SERIAL
