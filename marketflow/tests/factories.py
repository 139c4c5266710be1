import datetime

import factory
from django.utils import timezone

from marketflow.models import Market, MarketDay, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizerFactory(UserFactory):
    email = factory.Sequence(lambda n: f"organizer{n}@example.com")
    is_organizer = True
    is_staff = True
    plan = User.Plan.FREE


class MarketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Market

    organizer = factory.SubFactory(OrganizerFactory)
    name = factory.Sequence(lambda n: f"Market {n}")
    slug = factory.Sequence(lambda n: f"market-{n}")
    description = "Fresh food every Saturday."
    location = "Town square"
    timezone = "Europe/Berlin"
    currency = "EUR"


class MarketDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MarketDay

    market = factory.SubFactory(MarketFactory)
    date = factory.Sequence(lambda n: timezone.now().date() + datetime.timedelta(days=7 + n))
    start_time = datetime.time(8, 0)
    end_time = datetime.time(13, 0)
