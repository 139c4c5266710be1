"""The API's stall board (stalls/board.py, prepared values queries) answers exactly what
``StallBoardSerializer`` answers for the selector's board of model instances."""

import pytest
from django.utils import timezone

from marketflow.selectors import market_day_get
from marketflow.tests.factories import MarketDayFactory
from stalls.board import board_data
from stalls.selectors import stall_board
from stalls.serializers import StallBoardSerializer
from stalls.tests.factories import BookingFactory, StallFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(market, vendor, organizer):
    from applications.tests.factories import AcceptedApplicationFactory

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
    BookingFactory(
        market_day=day,
        stall=stalls[1],
        vendor=vendors[0],
        fee_cents=2500,
        payment_status="paid",
        paid_at=timezone.now(),
        booked_by=organizer,
    )
    BookingFactory(market_day=day, stall=stalls[2], vendor=vendors[1], fee_cents=1800)
    BookingFactory(
        market_day=day, stall=stalls[0], vendor=vendors[2], fee_cents=0, payment_status="waived"
    )
    BookingFactory(market_day=other_day, stall=stalls[3], vendor=vendors[0], fee_cents=999)
    return day  # fmt: skip


def test_the_board_is_the_serializers_board(day, market):
    market_day = market_day_get(market=market, market_day_id=day.pk)
    expected = StallBoardSerializer(stall_board(market_day=market_day)).data
    got = board_data(market_day)
    assert got == expected
    assert list(got) == list(expected)
    assert [list(stall) for stall in got["stalls"]] == [list(s) for s in expected["stalls"]]
    assert (got["booked_count"], got["free_count"]) == (3, 1)
    assert (got["fees_due_cents"], got["fees_paid_cents"]) == (1800, 2500)


def test_an_empty_board(market):
    day = MarketDayFactory(market=market)
    market_day = market_day_get(market=market, market_day_id=day.pk)
    assert board_data(market_day) == StallBoardSerializer(stall_board(market_day=market_day)).data


def test_the_market_day_comes_with_its_market(market, django_assert_num_queries):
    day = MarketDayFactory(market=market)
    with django_assert_num_queries(1):
        market_day = market_day_get(market=market, market_day_id=day.pk)
        assert market_day.market is market
