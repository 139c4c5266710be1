import datetime

import factory
from django.utils import timezone

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.tests.factories import MarketDayFactory, MarketFactory, UserFactory
from stalls.models import Booking, Stall, StallOffer, WaitlistEntry
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


def accepted_vendor_with_account(market):
    """A vendor accepted at ``market`` who has an account: (vendor, user)."""
    vendor = VendorFactory()
    vendor.user = UserFactory(email=vendor.email)
    vendor.save(update_fields=["user", "updated_at"])
    AcceptedApplicationFactory(market=market, vendor=vendor)
    return vendor, vendor.user


def open_offer_of(market_day, vendor, stall=None) -> StallOffer:
    """An open offer of ``stall`` (a new one by default) to ``vendor`` on ``market_day``, as
    the waitlist makes it, with the vendor's entry."""
    return StallOffer.objects.create(
        entry=WaitlistEntry.objects.create(
            market_day=market_day, vendor=vendor, state=WaitlistEntry.State.OFFERED
        ),
        market_day=market_day,
        stall=stall or StallFactory(market=market_day.market),
        vendor=vendor,
        position=1,
        expires_at=timezone.now() + datetime.timedelta(hours=24),
    )
