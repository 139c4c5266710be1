import datetime

import factory
from django.utils import timezone

from marketflow.tests.factories import MarketFactory
from seasons.models import Season


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
