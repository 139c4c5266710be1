import factory

from marketflow.tests.factories import MarketDayFactory, MarketFactory
from stalls.models import Booking, Stall
from vendors.tests.factories import VendorFactory


class StallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stall

    market = factory.SubFactory(MarketFactory)
    label = factory.Sequence(lambda n: f"A{n:03d}")
    size_category = "3x3"
    price_per_day = 2500


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    market_day = factory.SubFactory(MarketDayFactory)
    stall = factory.SubFactory(StallFactory, market=factory.SelfAttribute("..market_day.market"))
    vendor = factory.SubFactory(VendorFactory)
    fee_cents = factory.SelfAttribute("stall.price_per_day")
