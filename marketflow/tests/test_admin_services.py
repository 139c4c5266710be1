"""Services added for the admin site: weekly market days."""

import datetime

import pytest

from marketflow.models import MarketDay
from marketflow.services import market_day_create_weekly
from marketflow.tests.factories import MarketDayFactory

pytestmark = pytest.mark.django_db

NINE, ONE = datetime.time(9, 0), datetime.time(13, 0)


def next_monday(market) -> datetime.date:
    today = market.today()
    return today + datetime.timedelta(days=7 - today.weekday())


def weekly(user, market, **overrides):
    start = next_monday(market)
    arguments = {
        "user": user,
        "market_id": market.pk,
        "start_date": start,
        "end_date": start + datetime.timedelta(days=27),
        "weekdays": [2, 5],  # Wednesdays and Saturdays
        "start_time": NINE,
        "end_time": ONE,
        **overrides,
    }
    return market_day_create_weekly(**arguments)


def test_weekly_days_fall_on_the_chosen_weekdays_within_the_range(organizer, market):
    schedule = weekly(organizer, market, note="Summer season")

    dates = sorted(day.date for day in MarketDay.objects.filter(market=market))
    assert len(dates) == 8
    assert {date.weekday() for date in dates} == {2, 5}
    assert dates[0] == next_monday(market) + datetime.timedelta(days=2)
    assert dates[-1] == next_monday(market) + datetime.timedelta(days=26)
    assert len(schedule.created) == 8 and schedule.skipped_dates == []
    assert set(MarketDay.objects.values_list("start_time", "end_time", "note").distinct()) == {
        (NINE, ONE, "Summer season")
    }


def test_dates_that_already_have_a_day_are_skipped_and_left_alone(organizer, market):
    first_wednesday = next_monday(market) + datetime.timedelta(days=2)
    existing = MarketDayFactory(
        market=market,
        date=first_wednesday,
        start_time=datetime.time(15),
        end_time=datetime.time(19),
    )

    schedule = weekly(organizer, market)

    assert schedule.skipped_dates == [first_wednesday]
    assert len(schedule.created) == 7
    existing.refresh_from_db()
    assert existing.start_time == datetime.time(15)
    assert MarketDay.objects.filter(market=market).count() == 8


def test_running_it_twice_adds_nothing_the_second_time(organizer, market):
    weekly(organizer, market)
    again = weekly(organizer, market)
    assert again.created == [] and len(again.skipped_dates) == 8
    assert MarketDay.objects.filter(market=market).count() == 8


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": [7]}, "weekdays"),
        ({"end_time": NINE}, "end_time"),
    ],
)
def test_invalid_schedules_are_refused(organizer, market, refused, overrides, field):
    with refused("invalid") as excinfo:
        weekly(organizer, market, **overrides)
    assert field in excinfo.value.extra["fields"]


def test_an_end_before_the_start_is_refused(organizer, market, refused):
    start = next_monday(market)
    with refused("invalid") as excinfo:
        weekly(organizer, market, start_date=start, end_date=start - datetime.timedelta(days=1))
    assert "end_date" in excinfo.value.extra["fields"]


def test_more_than_a_year_at_once_is_refused(organizer, market, refused):
    start = next_monday(market)
    with refused("invalid") as excinfo:
        weekly(organizer, market, end_date=start + datetime.timedelta(days=366))
    assert "end_date" in excinfo.value.extra["fields"]


def test_a_start_in_the_past_is_refused(organizer, market, refused):
    yesterday = market.today() - datetime.timedelta(days=1)
    with refused("market_day_in_past"):
        weekly(organizer, market, start_date=yesterday, weekdays=range(7))


def test_another_organizers_market_is_not_found(other_organizer, market, refused):
    with refused("not_found"):
        weekly(other_organizer, market)
