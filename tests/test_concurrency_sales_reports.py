"""Sales reports sent at once (a vendor's double tap, two tabs, the vendor and the organizer
at the same moment), on the real PostgreSQL with real transactions and threads, through the
API, in the style of tests/test_concurrency.py.

``sales_report_submit`` locks the booking, then reads its report: the first report wins and
the others are told the day is reported (409 ``sales_report_exists``); revisions run one after
another, each keeping the figures the one before it left. The NEGATIVE CONTROLS take the locks
away (``select_for_update`` becomes a plain read) and hold every request after it read the
report, before any writes: then several first reports collide on the one-report-per-booking
constraint (server errors, not 409s), and every revision keeps the same, original figures (the
history loses the revisions in between), which the main tests' assertions catch.
"""

import threading
from collections import Counter

import pytest

import sales.services as sales_services
from conftest import token_client
from sales.models import SalesReport
from sales.tests.factories import past_day
from stalls.tests.factories import BookingFactory, accepted_vendor_with_account
from tests.test_concurrency import (
    outcome,
    outcomes,
    run_together,
    wait_after,
    without_select_for_update,
)

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
ORIGINAL_CENTS = 10_000


@pytest.fixture
def booked(market):
    """A vendor's booking of yesterday, and THREADS API clients of the vendor."""
    vendor, user = accepted_vendor_with_account(market)
    booking = BookingFactory(market_day=past_day(market, 1), vendor=vendor)
    clients = [token_client(user) for _ in range(THREADS)]
    for client in clients:
        client.raise_request_exception = False  # a server error is an outcome here
    return booking, user, clients


def url(booking) -> str:
    return f"/api/me/bookings/{booking.pk}/sales/"


def put(client, booking, body):
    return lambda: client.put(url(booking), body, format="json")


def held_after_reading_the_report(monkeypatch) -> None:
    """No locks, and every request waits, once it has read the report, for all the others."""
    without_select_for_update(monkeypatch)
    read = threading.Barrier(THREADS)
    settled = wait_after(sales_services.sales_day_settled, read)
    monkeypatch.setattr(sales_services, "sales_day_settled", settled)


def first_reports(booking, clients) -> list:
    return run_together(
        [
            put(client, booking, {"amounts": {"cash": 1_000 * (index + 1)}})
            for index, client in enumerate(clients)
        ]
    )


def status_outcomes(responses) -> Counter:
    """``outcomes``, a server error (no error body of ours) counted by its status alone."""
    return Counter(
        response.status_code if response.status_code >= 500 else outcome(response)
        for response in responses
    )


def test_first_reports_at_once_make_one_report(booked):
    booking, _user, clients = booked

    responses = first_reports(booking, clients)

    assert outcomes(responses) == {(201, None): 1, (409, "sales_report_exists"): THREADS - 1}
    report = SalesReport.objects.get(booking=booking)
    winner = next(response for response in responses if response.status_code == 201)
    assert winner.json()["gross_cents"] == report.gross_cents
    assert not report.revisions.exists()


def test_control_first_reports_without_the_lock_collide(booked, monkeypatch):
    """NEGATIVE CONTROL: every request saw no report; one insert wins, the others break on
    the constraint: server errors instead of the 409s the main test asserts."""
    booking, _user, clients = booked
    held_after_reading_the_report(monkeypatch)

    responses = first_reports(booking, clients)

    assert status_outcomes(responses) == {(201, None): 1, 500: THREADS - 1}
    assert SalesReport.objects.filter(booking=booking).count() == 1


def report_original(booking, user) -> None:
    sales_services.sales_report_submit(
        user=user, booking_id=booking.pk, amounts={"cash": ORIGINAL_CENTS}
    )


def revisions(booking, clients) -> list[int]:
    """THREADS revisions of the day's report sent at once; the amounts they set."""
    amounts = [ORIGINAL_CENTS + 100 * (index + 1) for index in range(THREADS)]
    responses = run_together(
        [
            put(client, booking, {"amounts": {"cash": cents}, "reason": f"Recount {cents}"})
            for client, cents in zip(clients, amounts, strict=True)
        ]
    )
    assert outcomes(responses) == {(200, None): THREADS}
    return amounts


def test_revisions_at_once_each_keep_the_figures_before_them(booked):
    booking, user, clients = booked
    report_original(booking, user)

    amounts = revisions(booking, clients)

    report = SalesReport.objects.get(booking=booking)
    earlier = [revision.gross_cents for revision in report.revisions.order_by("created_at")]
    # A chain: the original, then each revision's figures, the last one's in the report.
    assert sorted([*earlier, report.gross_cents]) == sorted([ORIGINAL_CENTS, *amounts])
    assert earlier[0] == ORIGINAL_CENTS


def test_control_revisions_without_the_lock_lose_the_history(booked, monkeypatch):
    """NEGATIVE CONTROL: every revision read the original report: the history records the
    original figures each time, and the revisions in between are lost."""
    booking, user, clients = booked
    report_original(booking, user)
    held_after_reading_the_report(monkeypatch)

    revisions(booking, clients)

    report = SalesReport.objects.get(booking=booking)
    earlier = [revision.gross_cents for revision in report.revisions.all()]
    assert earlier == [ORIGINAL_CENTS] * THREADS
