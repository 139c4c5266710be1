"""A vendor's credit (a cancelled day's fee) is spent once, on PostgreSQL with real transactions
and threads through the API: two bookings of the same vendor at the same market made at the
same moment, on two days, with one credit that covers one fee. The booking service holds the
vendor's accepted application locked (and the credits), so the two serialize: the credit pays
exactly one of the fees. The NEGATIVE CONTROL removes the locks and holds both requests after
they booked, before either reads the credits: both spend the same credit.
"""

import threading

import pytest
from django.urls import reverse

import stalls.services as stall_services
from applications.tests.factories import AcceptedApplicationFactory
from conftest import token_client
from marketflow.tests.factories import MarketDayFactory
from stalls.models import Booking, VendorCredit
from stalls.tests.factories import BookingFactory, StallFactory
from tests.test_concurrency import (
    BARRIER_TIMEOUT,
    DECISION_ROUNDS,
    outcomes,
    post,
    run_together,
    without_select_for_update,
)

pytestmark = pytest.mark.django_db(transaction=True)

FEE = 2500


def two_bookings_with_one_credit(organizer, market):
    """A vendor with one credit of FEE at ``market``, and two requests booking them on two
    days at FEE each."""
    vendor = AcceptedApplicationFactory(market=market).vendor
    source = BookingFactory(
        market_day=MarketDayFactory(market=market, status="cancelled"),
        vendor=vendor,
        payment_status="paid",
    )
    VendorCredit.objects.create(
        market=market, vendor=vendor, amount_cents=FEE, reason="rain", source_booking=source
    )
    requests = []
    for _ in range(2):
        day = MarketDayFactory(market=market)
        stall = StallFactory(market=market, price_per_day=FEE)
        url = reverse("api:booking-list", kwargs={"market_id": market.pk, "market_day_id": day.pk})
        requests.append(
            post(
                token_client(organizer),
                url,
                {"stall_id": str(stall.pk), "vendor_id": str(vendor.pk)},
            )
        )
    return vendor, requests


def credit_spent(vendor) -> int:
    """The credit the vendor's new bookings were paid with, in cents."""
    return sum(Booking.objects.filter(vendor=vendor, credit_cents__gt=0).values_list(
        "credit_cents", flat=True
    ))  # fmt: skip


def test_two_bookings_at_once_spend_one_credit_once(organizer, market):
    for _round in range(DECISION_ROUNDS):
        vendor, requests = two_bookings_with_one_credit(organizer, market)

        responses = run_together(requests)

        assert outcomes(responses) == {(201, None): 2}
        assert credit_spent(vendor) == FEE
        assert not VendorCredit.objects.available().filter(vendor=vendor).exists()


def test_control_without_locks_one_credit_pays_two_fees(monkeypatch, organizer, market):
    """NEGATIVE CONTROL: no row locks, and both requests wait for each other after booking,
    before reading the vendor's credits: each finds the credit available and spends it."""
    vendor, requests = two_bookings_with_one_credit(organizer, market)
    without_select_for_update(monkeypatch)
    both_booked = threading.Barrier(2)
    record = stall_services.audit_record

    def record_then_wait(**kwargs):
        entry = record(**kwargs)
        if kwargs["message"].startswith("Booked"):
            both_booked.wait(timeout=BARRIER_TIMEOUT)
        return entry

    monkeypatch.setattr(stall_services, "audit_record", record_then_wait)

    responses = run_together(requests)

    assert outcomes(responses) == {(201, None): 2}
    assert credit_spent(vendor) == 2 * FEE  # the rule broken: caught by the test above
