import datetime

import factory
from django.utils import timezone

from marketflow.tests.factories import MarketFactory
from seasons.models import Season
from seasons.services import season_create


def next_weekday(weekday: int, *, weeks_ahead: int = 1) -> datetime.date:
    """A date ``weeks_ahead`` weeks or so from now falling on ``weekday`` (0 = Monday)."""
    start = timezone.now().date() + datetime.timedelta(days=7 * weeks_ahead)
    return start + datetime.timedelta(days=(weekday - start.weekday()) % 7)


class SeasonFactory(factory.django.DjangoModelFactory):
    """A season row alone: its days are made by the services (seasons/services.py)."""

    class Meta:
        model = Season

    market = factory.SubFactory(MarketFactory)
    name = factory.Sequence(lambda n: f"Season {n}")
    start_date = factory.LazyFunction(lambda: next_weekday(5))
    end_date = factory.LazyAttribute(lambda s: s.start_date + datetime.timedelta(days=27))
    weekly_pattern = factory.LazyFunction(
        lambda: [{"weekday": 5, "start_time": "08:00", "end_time": "13:00"}]
    )


SATURDAYS = [{"weekday": 5, "start_time": "08:00", "end_time": "13:00"}]


def saturday_season(organizer, market, *, weeks: int = 4, **fields) -> Season:
    """A season of ``weeks`` Saturdays from next week's, made by the service (with its days)."""
    start = next_weekday(5)
    values = {
        "name": "Summer",
        "start_date": start,
        "end_date": start + datetime.timedelta(days=7 * (weeks - 1)),
        "weekly_pattern": SATURDAYS,
        **fields,
    }
    return season_create(user=organizer, market_id=market.pk, **values).season
