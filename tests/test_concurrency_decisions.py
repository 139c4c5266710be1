"""Revoking an acceptance racing a booking of the same vendor, on the real PostgreSQL with
real transactions and threads (the helpers and the pattern of tests/test_concurrency.py).

The revocation locks the market, then the vendor's application, then releases the vendor's
coming unpaid bookings; a booking locks the market day, then the vendor's accepted
application. So either the booking commits first and the revocation releases it, or the
revocation commits first and the booking finds no acceptance. The NEGATIVE CONTROL takes
the booking's application lock away and lets the revocation run between its check and its
insert: the revoked vendor keeps a stall, which no serial order gives.
"""

import threading
from collections.abc import Callable

import pytest
from django.urls import reverse

import applications.services as application_services
import stalls.services as stall_services
from applications.models import Application
from applications.services import ImportedVendor
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from conftest import token_client
from marketflow.errors import DomainError
from marketflow.plans import FREE_PLAN_MAX_ACTIVE_VENDORS
from marketflow.selectors import market_get
from stalls.tests.factories import StallFactory
from tests.test_concurrency import (
    BARRIER_TIMEOUT,
    DECISION_ROUNDS,
    booking_race_outcome,
    booking_url,
    post,
    run_together,
    run_with_the_acceptance_held,
    run_with_the_acceptance_read_unlocked,
    wait_after,
)

pytestmark = pytest.mark.django_db(transaction=True)

Status = Application.Status

# Booked then revoked (the revocation releases the booking), or revoked then refused.
BOOKING_REVOCATION_SERIAL = {
    ((201, None), (200, None), Status.REVOKED, 0),
    ((409, "vendor_not_accepted"), (200, None), Status.REVOKED, 0),
}


def booking_and_revocation(
    organizer, market, market_day, revoked: threading.Event, read: threading.Event | None = None
):
    """An accepted vendor; the organizer books them onto a stall and, at the same time,
    revokes their acceptance (``revoked`` is set when the revocation is answered; given
    ``read``, the revocation starts only once the booking has read the acceptance)."""
    application = AcceptedApplicationFactory(market=market)
    client = token_client(organizer)
    book = post(
        client,
        booking_url(market, market_day),
        {"stall_id": str(StallFactory(market=market).pk), "vendor_id": str(application.vendor_id)},
    )
    revoke_request = post(
        token_client(organizer),
        reverse(
            "api:application-revoke",
            kwargs={"market_id": market.pk, "application_id": application.pk},
        ),
        {"reason": "Sold goods outside the categories accepted."},
    )

    def revoke():
        if read is not None:
            assert read.wait(timeout=BARRIER_TIMEOUT)
        response = revoke_request()
        revoked.set()
        return response

    return application, [book, revoke]


def test_booking_racing_revocation_ends_as_one_order_would(organizer, market, market_day):
    for _round in range(DECISION_ROUNDS):
        application, requests = booking_and_revocation(
            organizer, market, market_day, threading.Event()
        )

        assert booking_race_outcome(application, run_together(requests)) in (
            BOOKING_REVOCATION_SERIAL
        )


def test_revocation_during_a_booking_waits_and_releases_it(
    monkeypatch, organizer, market, market_day
):
    """The revocation must wait for the booking that holds the acceptance, and release it."""
    application, requests = booking_and_revocation(organizer, market, market_day, threading.Event())

    result = booking_race_outcome(application, run_with_the_acceptance_held(monkeypatch, requests))

    assert result == ((201, None), (200, None), Status.REVOKED, 0)


def test_control_booking_without_application_lock_keeps_a_revoked_vendor_booked(
    monkeypatch, organizer, market, market_day
):
    """NEGATIVE CONTROL: ``booking_create`` reads the acceptance without locking it and
    inserts only after the revocation (which releases the vendor's bookings) has committed.
    The revoked vendor keeps a booking, an outcome no serial order gives, which the race
    test above would catch."""
    revoked, read = threading.Event(), threading.Event()
    application, requests = booking_and_revocation(organizer, market, market_day, revoked, read)

    responses = run_with_the_acceptance_read_unlocked(monkeypatch, requests, read, revoked)
    result = booking_race_outcome(application, responses)

    assert result == ((201, None), (200, None), Status.REVOKED, 1)
    assert result not in BOOKING_REVOCATION_SERIAL


# Importing a vendor list racing an acceptance, on the free plan's limit


def service_outcome(call) -> Callable:
    """``call`` as a thread's work: "ok", or the code of the DomainError it raised."""

    def run():
        try:
            call()
        except DomainError as error:
            return error.code
        return "ok"

    return run


def import_and_accept(organizer, market) -> list[Callable]:
    """A free market two vendors short of its limit of active vendors, a pending application,
    and a vendor list of two: importing it and accepting the application at once."""
    for _ in range(FREE_PLAN_MAX_ACTIVE_VENDORS - 2):
        AcceptedApplicationFactory(market=market)
    pending = ApplicationFactory(market=market)
    rows = [
        ImportedVendor(
            line=line,
            business_name=f"Imported {line}",
            contact_name="Ida",
            email=f"imported{line}@example.com",
            product_categories=("produce",),
        )
        for line in (2, 3)
    ]
    return [
        service_outcome(
            lambda: stall_services.vendor_list_import(
                user=organizer, market_id=market.pk, rows=rows
            )
        ),
        service_outcome(
            lambda: application_services.application_accept(
                user=organizer, market_id=market.pk, application_id=pending.pk
            )
        ),
    ]


def accepted_count(market) -> int:
    return Application.objects.filter(market=market, status=Status.ACCEPTED).count()


# Import first (the limit reached, the acceptance refused) or the acceptance first (the list of
# two no longer fits): one of the two, never both.
IMPORT_ACCEPT_SERIAL = {
    (("ok", "plan_limit_reached"), FREE_PLAN_MAX_ACTIVE_VENDORS),
    (("plan_limit_reached", "ok"), FREE_PLAN_MAX_ACTIVE_VENDORS - 1),
}


def test_import_racing_an_acceptance_keeps_the_plan_limit(organizer, market):
    for _round in range(DECISION_ROUNDS):
        Application.objects.filter(market=market).delete()
        requests = import_and_accept(organizer, market)

        result = tuple(run_together(requests)), accepted_count(market)

        assert result in IMPORT_ACCEPT_SERIAL


def test_control_import_and_acceptance_without_market_lock_exceed_the_plan(
    monkeypatch, organizer, market
):
    """NEGATIVE CONTROL: neither the import nor the acceptance locks the market, and each
    waits after its count of active vendors until the other has counted too: both see room,
    both write, and the market ends above the free plan's limit."""
    requests = import_and_accept(organizer, market)
    counted = threading.Barrier(2)
    count_then_wait = wait_after(application_services.accepted_vendor_count, counted)
    monkeypatch.setattr(stall_services, "market_get_for_update", market_get)
    monkeypatch.setattr(application_services, "market_get_for_update", market_get)
    monkeypatch.setattr(application_services, "accepted_vendor_count", count_then_wait)

    result = tuple(run_together(requests)), accepted_count(market)

    assert result == (("ok", "ok"), FREE_PLAN_MAX_ACTIVE_VENDORS + 1)
    assert result not in IMPORT_ACCEPT_SERIAL
