"""The hot lists' hand-written statements (marketflow/sql.py) answer the rows their ORM
reference querysets answer, in every scope and filter, and DRF's cursor pages them the same
way, forwards and back; a forged cursor position is refused as the ORM refuses it."""

import base64
import datetime

import pytest
from django.utils import timezone

from applications.models import Application
from applications.selectors import application_rows
from applications.tests.factories import ApplicationFactory
from conftest import token_client
from marketflow.errors import MarketDayNotFoundError
from marketflow.models import MarketDay
from marketflow.sql import SqlRows
from marketflow.tests.factories import MarketDayFactory, MarketFactory, UserFactory
from stalls.selectors import (
    market_day_board,
    market_day_board_for_user,
    stall_rows,
    vendor_booking_rows,
)
from stalls.tests.factories import BookingFactory, StallFactory
from tests.api_contract import assert_error
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def orm(monkeypatch):
    """Run the selectors' ORM reference path instead of their statements."""

    def reference(selector, **kwargs):
        with monkeypatch.context() as patch:
            patch.setattr(f"{selector.__module__}.use_sql", lambda: False)
            return selector(**kwargs)

    return reference


def both(orm, selector, ordering, **kwargs):
    statement = selector(**kwargs)
    assert isinstance(statement, SqlRows)  # PostgreSQL: the statement is what runs
    reference = orm(selector, **kwargs)
    return list(statement.order_by(*ordering)), list(reference.order_by(*ordering))


@pytest.fixture
def people(organizer, other_organizer, superuser, vendor_user):
    return {
        "owner": organizer,
        "other organizer": other_organizer,
        "superuser": superuser,
        "vendor": vendor_user,
        "inactive owner": UserFactory(is_organizer=True, is_active=False),
    }


@pytest.mark.parametrize("who", ["owner", "other organizer", "superuser", "vendor"])
def test_stall_rows_are_the_orm_s(orm, people, market, other_market, who):
    for label in ["B2", "A1", "a0", "C3"]:
        StallFactory(market=market, label=label)
    StallFactory(market=other_market, label="A1")

    sql, reference = both(orm, stall_rows, ["label"], user=people[who], market_id=market.pk)

    assert sql == reference
    assert len(sql) == (4 if who in ("owner", "superuser") else 0)


@pytest.mark.parametrize("who", ["owner", "other organizer", "superuser", "vendor"])
@pytest.mark.parametrize(
    "filters", [{}, {"status": "pending"}, {"category": "crafts"}, {"status": "unconfirmed"}]
)
def test_application_rows_are_the_orm_s(orm, people, market, other_market, who, filters):
    for status in Application.Status.values:
        ApplicationFactory(market=market, status=status)
    ApplicationFactory(market=market, status="pending", product_categories=["crafts", "produce"])
    ApplicationFactory(market=other_market, status="pending")

    sql, reference = both(
        orm, application_rows, ["-id"], user=people[who], market_id=market.pk, **filters
    )

    assert sql == reference
    assert all(row["status"] != "unconfirmed" for row in sql)
    if who in ("owner", "superuser") and filters.get("status") != "unconfirmed":
        assert sql  # the comparison is not between two empty lists
    assert all(isinstance(row["product_categories"], list) for row in sql)


def test_vendor_booking_rows_are_the_orm_s(orm, vendor_user, vendor, organizer):
    for _ in range(3):
        BookingFactory(vendor=vendor)
    BookingFactory(vendor=vendor, cancelled_at=timezone.now(), payment_status="refunded")
    BookingFactory()  # another vendor's
    for user in (vendor_user, organizer):
        sql, reference = both(orm, vendor_booking_rows, ["market_day__date", "id"], user=user)
        assert sql == reference
    assert (
        len(both(orm, vendor_booking_rows, ["id"], user=vendor_user)[0]) == 4
    )  # the cancelled one too


def walk(client, path):
    """Every page forwards by ``next``, then back by ``previous``: the ids seen each way."""
    forwards, url, pages = [], path, []
    while url:
        body = client.get(url).json()
        pages.append(body)
        forwards += [row["id"] for row in body["results"]]
        url = body["next"]
    backwards, url = [], pages[-1]["previous"]
    while url:
        body = client.get(url).json()
        backwards = [row["id"] for row in body["results"]] + backwards
        url = body["previous"]
    return forwards, backwards + [row["id"] for row in pages[-1]["results"]]


@pytest.mark.parametrize("kind", ["stalls", "applications", "bookings"])
def test_cursor_pages_walk_the_same_rows_both_ways(orm, monkeypatch, organizer, market, kind):
    if kind == "stalls":
        for label in ["E", "A", "C", "B", "D", "F", "G"]:
            StallFactory(market=market, label=label)
        client, path = token_client(organizer), f"/api/markets/{market.pk}/stalls/"
    elif kind == "applications":
        ApplicationFactory.create_batch(7, market=market, status="pending")
        client, path = token_client(organizer), f"/api/markets/{market.pk}/applications/"
    else:
        # Days of two markets on the same dates: ties on the first sort key.
        user, start = UserFactory(), datetime.date.today() + datetime.timedelta(days=7)
        vendor = VendorFactory(user=user)
        for place, days in [(market, 4), (MarketFactory(), 3)]:
            for n in range(days):
                day = MarketDayFactory(market=place, date=start + datetime.timedelta(days=n))
                BookingFactory(market_day=day, vendor=vendor, stall__market=place)
        client, path = token_client(user), "/api/me/bookings/"
    path += "?page_size=2"

    forwards, backwards = walk(client, path)
    for module in ("stalls.selectors", "applications.selectors"):
        monkeypatch.setattr(f"{module}.use_sql", lambda: False)
    reference = walk(client, path)

    assert (forwards, backwards) == reference
    assert len(forwards) == 7 and len(set(forwards)) == 7 and backwards == forwards


def forged(position: str) -> str:
    return base64.b64encode(f"o=0&r=0&p={position}".encode()).decode()


def test_a_forged_position_is_a_400_as_with_the_orm(organizer_client, market):
    path = f"/api/markets/{market.pk}/applications/"

    assert_error(organizer_client.get(path, {"cursor": forged("not-a-uuid")}), 400, "invalid")


@pytest.mark.parametrize("who", ["owner", "other organizer", "superuser", "vendor"])
def test_the_board_statement_is_the_orm_board(people, market, who):
    day = MarketDayFactory(market=market)
    other_day = MarketDayFactory(market=market)
    stalls = [StallFactory(market=market, label=label) for label in ["B", "A", "C"]]
    StallFactory()  # another market's
    BookingFactory(market_day=day, stall=stalls[0], payment_status="paid")
    BookingFactory(market_day=day, stall=stalls[1])
    BookingFactory(market_day=other_day, stall=stalls[2])
    # Cancelled, kept: neither holds its stall on the board (C stays free).
    BookingFactory(market_day=day, stall=stalls[0], cancelled_at=timezone.now())
    BookingFactory(market_day=day, stall=stalls[2], cancelled_at=timezone.now())
    user = people[who]

    if who in ("owner", "superuser"):
        board = market_day_board_for_user(user=user, market_id=market.pk, market_day_id=day.pk)
        assert board == market_day_board(MarketDay.objects.get(pk=day.pk))
        assert [stall["label"] for stall in board["stalls"]] == ["A", "B", "C"]
        assert (board["booked_count"], board["free_count"]) == (2, 1)
    else:
        with pytest.raises(MarketDayNotFoundError):
            market_day_board_for_user(user=user, market_id=market.pk, market_day_id=day.pk)


def test_the_board_of_a_market_without_stalls_or_of_another_market_s_day(organizer, market):
    day = MarketDayFactory(market=market)
    board = market_day_board_for_user(user=organizer, market_id=market.pk, market_day_id=day.pk)
    assert (board["stalls"], board["booked_count"], board["free_count"]) == ([], 0, 0)
    assert board == market_day_board(MarketDay.objects.get(pk=day.pk))

    elsewhere = MarketDayFactory(market=MarketFactory(organizer=organizer))
    with pytest.raises(MarketDayNotFoundError):
        market_day_board_for_user(user=organizer, market_id=market.pk, market_day_id=elsewhere.pk)
