"""The stall board (``stalls.selectors.market_day_board``, two ``values()`` queries) says
exactly what ``StallBoardSerializer`` says of the same stalls and bookings as instances."""

from types import SimpleNamespace

import pytest
from django.utils import timezone

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.renderers import JSONRenderer
from marketflow.selectors import market_day_get
from marketflow.tests.factories import MarketDayFactory
from stalls.models import Booking, Stall
from stalls.selectors import market_day_board
from stalls.serializers import StallBoardSerializer
from stalls.tests.factories import BookingFactory, StallFactory
from vendors.selectors import vendor_readiness

pytestmark = pytest.mark.django_db


def serializer_board(market_day) -> dict:
    """The board through the serializer, from model instances."""
    stalls = list(Stall.objects.filter(market=market_day.market).order_by("label"))
    bookings = {
        booking.stall_id: booking
        for booking in Booking.objects.filter(market_day=market_day).select_related("vendor")
    }
    readiness = vendor_readiness(
        market=market_day.market,
        date=market_day.date,
        vendor_ids=[booking.vendor_id for booking in bookings.values()],
    )
    for stall in stalls:
        stall.booking = bookings.get(stall.pk)
        if stall.booking is not None:
            stall.booking.missing_documents = readiness[stall.booking.vendor_id]
            stall.booking.documents_ready = not stall.booking.missing_documents
    booked = [stall.booking for stall in stalls if stall.booking is not None]
    board = SimpleNamespace(
        market_day=market_day,
        stalls=stalls,
        booked_count=len(booked),
        free_count=len(stalls) - len(booked),
        fees_due_cents=sum(b.fee_cents for b in booked if b.payment_status == "unpaid"),
        fees_paid_cents=sum(b.fee_cents for b in booked if b.payment_status == "paid"),
    )
    return StallBoardSerializer(board).data


def assert_same_board(market_day):
    got = market_day_board(market_day)
    assert JSONRenderer().render(got) == JSONRenderer().render(serializer_board(market_day))
    return got


@pytest.fixture
def day(market, vendor, organizer):
    day = MarketDayFactory(market=market, note="Harvest")
    other_day = MarketDayFactory(market=market)
    stalls = [
        StallFactory(market=market, label="C3", price_per_day=None, size_category=""),
        StallFactory(market=market, label="A1", assigned_vendor=vendor),
        StallFactory(market=market, label="B2"),
        StallFactory(market=market, label="D4"),
    ]
    StallFactory()  # another market's
    vendors = [vendor] + [AcceptedApplicationFactory(market=market).vendor for _ in range(2)]
    BookingFactory(market_day=day, stall=stalls[1], vendor=vendors[0], fee_cents=2500,
                   payment_status="paid", paid_at=timezone.now(), booked_by=organizer)  # fmt: skip
    BookingFactory(market_day=day, stall=stalls[2], vendor=vendors[1], fee_cents=1800)
    BookingFactory(
        market_day=day, stall=stalls[0], vendor=vendors[2], fee_cents=0, payment_status="waived"
    )
    BookingFactory(market_day=other_day, stall=stalls[3], vendor=vendors[0], fee_cents=999)
    return market_day_get(market=market, market_day_id=day.pk)


def test_the_board_is_the_serializers_board(day):
    got = assert_same_board(day)
    assert [stall["label"] for stall in got["stalls"]] == ["A1", "B2", "C3", "D4"]
    assert (got["booked_count"], got["free_count"]) == (3, 1)
    assert (got["fees_due_cents"], got["fees_paid_cents"]) == (1800, 2500)


def test_paid_at_follows_the_current_time_zone(day):
    with timezone.override("Asia/Kolkata"):
        got = assert_same_board(day)
    assert got["stalls"][0]["booking"]["paid_at"].endswith("+05:30")


def test_an_empty_board(market):
    assert_same_board(
        market_day_get(market=market, market_day_id=MarketDayFactory(market=market).pk)
    )


def test_the_market_day_comes_with_its_market(market, django_assert_num_queries):
    day = MarketDayFactory(market=market)
    with django_assert_num_queries(1):
        market_day = market_day_get(market=market, market_day_id=day.pk)
        assert market_day.market is market
