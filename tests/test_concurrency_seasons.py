"""Concurrency rules of seasons, in the style of tests/test_concurrency.py: real PostgreSQL,
real transactions, threads, the HTTP stack, and a NEGATIVE CONTROL that removes the lock.

The rules:

- a full-season vendor is booked on every day of the season, including the days a change of
  the season adds while they are being made full-season. Making a vendor full-season locks the
  season row, and so does changing the season: one waits for the other, so either the change
  sees the new member (and books them on the days it adds) or the member's booking sees the
  days the change added;
- a change that drops a day racing a booking of that day ends as one order would: the booking
  first, then the day is cancelled with it; or the change first, the day deleted, then the
  booking finds no day. The change locks the season's days before counting their bookings, as
  a booking locks its day.
"""

import datetime
import threading

import pytest

import seasons.services as season_services
from applications.tests.factories import AcceptedApplicationFactory
from conftest import token_client
from marketflow.models import MarketDay
from seasons.selectors import season_get
from seasons.tests.factories import next_weekday
from stalls.models import Booking
from stalls.tests.factories import StallFactory
from tests.test_concurrency import (
    BARRIER_TIMEOUT,
    DECISION_ROUNDS,
    outcome,
    run_together,
    wait_after,
)

pytestmark = pytest.mark.django_db(transaction=True)

SAT = {"weekday": 5, "start_time": "08:00", "end_time": "13:00"}
WED = {"weekday": 2, "start_time": "15:00", "end_time": "19:00"}


def season_with_a_newcomer(organizer, market, round_number: int):
    """A Saturday season of four weeks, and an accepted vendor with a free stall; the two
    requests: make the vendor full-season, and add Wednesdays to the season."""
    client = token_client(organizer)
    start = next_weekday(5, weeks_ahead=1 + 5 * round_number)
    created = client.post(
        f"/api/markets/{market.pk}/seasons/",
        {
            "name": f"Season {round_number}",
            "start_date": start.isoformat(),
            "end_date": (start + datetime.timedelta(days=21)).isoformat(),
            "weekly_pattern": [SAT],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    season_id = created.json()["season"]["id"]
    vendor = AcceptedApplicationFactory(market=market).vendor
    stall = StallFactory(market=market)
    url = f"/api/markets/{market.pk}/seasons/{season_id}/"
    joiner, changer = token_client(organizer), token_client(organizer)
    requests = [
        lambda: joiner.post(
            url + "vendors/", {"vendor_id": vendor.pk, "stall_id": stall.pk}, format="json"
        ),
        lambda: changer.patch(url, {"weekly_pattern": [SAT, WED]}, format="json"),
    ]
    return season_id, vendor, requests


def days_without_the_vendor(season_id, vendor) -> list[datetime.date]:
    days = MarketDay.objects.filter(season_day__season_id=season_id, status="scheduled")
    booked = Booking.objects.filter(vendor=vendor).values_list("market_day_id", flat=True)
    return sorted(days.exclude(pk__in=booked).values_list("date", flat=True))


def statuses(responses) -> list[int]:
    for response in responses:
        assert not isinstance(response, BaseException), response
    return [response.status_code for response in responses]


def test_a_vendor_made_full_season_during_a_change_is_booked_on_every_day(organizer, market):
    for round_number in range(DECISION_ROUNDS):
        season_id, vendor, requests = season_with_a_newcomer(organizer, market, round_number)

        assert statuses(run_together(requests)) == [201, 200]

        assert MarketDay.objects.filter(season_day__season_id=season_id).count() == 7
        assert days_without_the_vendor(season_id, vendor) == []


def test_control_without_the_season_lock_a_new_day_misses_the_vendor(
    monkeypatch, organizer, market
):
    """NEGATIVE CONTROL: the season is read without its lock, and each request gets past its
    read (the member's: the season's days; the change's: the season's members) before either
    commits. The change adds Wednesdays without the new member, whose booking never saw them:
    three days of the season lack a full-season vendor, which the main test would catch."""
    season_id, vendor, requests = season_with_a_newcomer(organizer, market, 0)
    both_read = threading.Barrier(2, timeout=BARRIER_TIMEOUT)
    monkeypatch.setattr(season_services, "season_get_for_update", season_get)
    monkeypatch.setattr(
        season_services,
        "season_open_days",
        wait_after(season_services.season_open_days, both_read),
    )
    monkeypatch.setattr(
        season_services,
        "season_vendor_list",
        wait_after(season_services.season_vendor_list, both_read),
    )

    assert statuses(run_together(requests)) == [201, 200]

    missed = days_without_the_vendor(season_id, vendor)
    assert len(missed) == 3
    assert all(date.weekday() == 2 for date in missed)


# -- a change drops a day while someone books it ------------------------------------------------


def season_and_a_booking(organizer, market, round_number: int):
    """A Saturday season and its second day; the two requests: book a vendor on that day, and
    skip that day in the season."""
    season_id, _vendor, _requests = season_with_a_newcomer(organizer, market, round_number)
    day = MarketDay.objects.filter(season_day__season_id=season_id).order_by("date")[1]
    vendor = AcceptedApplicationFactory(market=market).vendor
    stall = StallFactory(market=market)
    booker, changer = token_client(organizer), token_client(organizer)
    booking_url = f"/api/markets/{market.pk}/market-days/{day.pk}/bookings/"
    season_url = f"/api/markets/{market.pk}/seasons/{season_id}/"
    requests = [
        lambda: booker.post(
            booking_url, {"vendor_id": vendor.pk, "stall_id": stall.pk}, format="json"
        ),
        lambda: changer.patch(
            season_url, {"exceptions": [{"date": day.date.isoformat()}]}, format="json"
        ),
    ]
    return day, requests


def drop_outcome(day, responses) -> tuple:
    booking, change = responses
    row = MarketDay.objects.filter(pk=day.pk).first()
    state = None if row is None else (row.status, row.bookings.count())
    return outcome(booking), outcome(change), state


DROP_SERIAL = {
    ((201, None), (200, None), ("cancelled", 1)),  # booked, then the day is cancelled with it
    ((404, "not_found"), (200, None), None),  # the day deleted, then nothing to book
}


def test_a_change_dropping_a_day_racing_its_booking_ends_as_one_order_would(organizer, market):
    for round_number in range(DECISION_ROUNDS):
        day, requests = season_and_a_booking(organizer, market, round_number)

        assert drop_outcome(day, run_together(requests)) in DROP_SERIAL


def test_control_without_the_day_locks_the_change_counts_a_booking_too_early(
    monkeypatch, organizer, market
):
    """NEGATIVE CONTROL: the change reads the season's days and their bookings without locking
    them, and goes on only once the booking has committed. It plans to delete a day that now
    has a booking; the database refuses (the booking protects its day), so the change fails
    with a conflict no serial order gives, which the main test would catch."""
    day, (book, change) = season_and_a_booking(organizer, market, 0)
    read, booked = threading.Event(), threading.Event()
    locking_read = season_services.season_days_lock

    def read_then_wait(**kwargs):
        days = locking_read(**{**kwargs, "lock": False})
        read.set()
        assert booked.wait(timeout=BARRIER_TIMEOUT)
        return days

    def book_after_the_read():
        assert read.wait(timeout=BARRIER_TIMEOUT)
        response = book()
        booked.set()
        return response

    monkeypatch.setattr(season_services, "season_days_lock", read_then_wait)

    result = drop_outcome(day, run_together([book_after_the_read, change]))

    assert result == ((201, None), (409, "market_day_has_bookings"), ("scheduled", 1))
    assert result not in DROP_SERIAL
