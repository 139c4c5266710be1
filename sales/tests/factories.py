import datetime

import factory

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.tests.factories import MarketDayFactory
from sales.models import SalesReport
from stalls.tests.factories import BookingFactory


def past_day(market, days_ago: int = 1, **fields):
    """A scheduled market day of ``market`` that took place ``days_ago`` days ago."""
    return MarketDayFactory(
        market=market, date=market.today() - datetime.timedelta(days=days_ago), **fields
    )


class SalesReportFactory(factory.django.DjangoModelFactory):
    """A report of a booking's day (by default a booking of a day that took place yesterday);
    ``gross_cents`` follows the amounts given."""

    class Meta:
        model = SalesReport

    booking = factory.SubFactory(
        BookingFactory,
        market_day=factory.LazyFunction(
            lambda: MarketDayFactory(date=datetime.date.today() - datetime.timedelta(days=1))
        ),
    )
    market = factory.SelfAttribute("booking.market_day.market")
    market_day = factory.SelfAttribute("booking.market_day")
    vendor = factory.SelfAttribute("booking.vendor")
    cash_cents = 10_000
    gross_cents = factory.LazyAttribute(
        lambda report: (
            report.cash_cents
            + report.card_cents
            + report.snap_cents
            + report.wic_cents
            + report.market_tokens_cents
            + report.incentive_cents
        )
    )
    card_cents = 0
    snap_cents = 0
    wic_cents = 0
    market_tokens_cents = 0
    incentive_cents = 0


def vendor_report(market_day, category="produce", name=None, **amounts):
    """A report of ``market_day`` by a new vendor accepted at its market, of one product
    category; amounts in cents by column (``cash_cents=...``), 0 where not given."""
    fields = {"vendor__product_categories": [category]}
    if name:
        fields["vendor__business_name"] = name
    vendor = AcceptedApplicationFactory(market=market_day.market, **fields).vendor
    booking = BookingFactory(market_day=market_day, vendor=vendor)
    return SalesReportFactory(booking=booking, **{"cash_cents": 0, **amounts})
