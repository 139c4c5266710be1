"""Concurrency rules of seasons, in the style of tests/test_concurrency.py: real PostgreSQL,
real transactions, threads, the HTTP stack, and a NEGATIVE CONTROL that removes the lock.

The rule: a full-season vendor is booked on every day of the season, including the days a
change of the season adds while they are being made full-season. Making a vendor full-season
locks the season row, and so does changing the season: one waits for the other, so either the
change sees the new member (and books them on the days it adds) or the member's booking sees
the days the change added.
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
from tests.test_concurrency import BARRIER_TIMEOUT, DECISION_ROUNDS, run_together, wait_after

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
