"""A world of two tenants for the security tests (authorization matrix, schemathesis, mass
assignment): organizer X owns market X, organizer Y owns market Y, and each market has a
vendor with an account (vendor A at X, vendor B at Y) who is accepted, booked on a stall for
a coming market day and has submitted a document; plus a pending application, a free stall,
a free accepted vendor, an API token of the organizer, a season (vendor A full-season on
the booked stall) and a past day the vendor booked and reported the sales of, so every path
parameter of the API can name a real row of either tenant. A platform superuser looks on.
"""

from dataclasses import dataclass

from django.core.files.base import ContentFile

from applications.models import Application
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow.models import ApiToken, Market, MarketDay, User
from marketflow.services import user_token_create
from marketflow.tests.factories import (
    MarketDayFactory,
    MarketFactory,
    OrganizerFactory,
    UserFactory,
)
from sales.models import SalesReport
from sales.tests.factories import SalesReportFactory, past_day
from seasons.models import Season, SeasonVendor
from seasons.tests.factories import SeasonFactory
from stalls.models import Booking, Stall, StallOffer, WaitlistEntry
from stalls.tests.factories import BookingFactory, StallFactory, open_offer_of
from vendors.models import Vendor, VendorDocument
from vendors.tests.factories import VendorFactory
from vendors.tests.uploads import PDF


@dataclass
class Tenant:
    organizer: User
    market: Market
    stall: Stall  # booked by ``vendor`` on ``day``
    free_stall: Stall
    day: MarketDay  # a coming, scheduled day
    vendor: Vendor  # has a user account (``vendor.user``)
    application: Application  # the vendor's, accepted
    booking: Booking
    document: VendorDocument  # the vendor's, submitted with ``application``
    pending_application: Application  # of a vendor without an account
    free_vendor: Vendor  # accepted, not booked on ``day``
    token: ApiToken  # the organizer's
    season: Season
    season_vendor: SeasonVendor  # ``vendor`` full-season on ``stall``
    waitlist_entry: WaitlistEntry  # ``free_vendor`` waiting on ``day``
    offer: StallOffer  # ``free_stall`` offered to ``vendor`` on another coming day
    sales_report: SalesReport  # ``vendor``'s, of a booking on yesterday's market day

    def path_ids(self) -> dict[str, str]:
        """This tenant's row for each path parameter name of the API."""
        return {
            "market_id": str(self.market.pk),
            "stall_id": str(self.stall.pk),
            "market_day_id": str(self.day.pk),
            "booking_id": str(self.booking.pk),
            "application_id": str(self.application.pk),
            "document_id": str(self.document.pk),
            "token_id": str(self.token.pk),
            "season_id": str(self.season.pk),
            "season_vendor_id": str(self.season_vendor.pk),
            "entry_id": str(self.waitlist_entry.pk),
            "offer_id": str(self.offer.pk),
            "vendor_id": str(self.vendor.pk),
        }

    def sales_path_ids(self) -> dict[str, str]:
        """``path_ids`` with the reported booking and its day, for the sales paths."""
        booking = self.sales_report.booking
        return self.path_ids() | {
            "market_day_id": str(booking.market_day_id),
            "booking_id": str(booking.pk),
        }

    def row_ids(self) -> set[str]:
        """The id of every row that belongs to this tenant (its vendors and users included),
        to spot it in another tenant's answer."""
        rows = [
            self.organizer,
            self.market,
            self.stall,
            self.free_stall,
            self.day,
            self.vendor,
            self.vendor.user,
            self.application,
            self.booking,
            self.document,
            self.pending_application,
            self.pending_application.vendor,
            self.free_vendor,
            self.season,
            self.season_vendor,
            self.waitlist_entry,
            self.offer,
            self.offer.market_day,
            self.sales_report,
            self.sales_report.booking,
            self.sales_report.market_day,
        ]
        return {str(row.pk) for row in rows}


@dataclass
class World:
    x: Tenant
    y: Tenant
    superuser: User


def tenant(name: str) -> Tenant:
    organizer = OrganizerFactory(email=f"organizer-{name}@example.com")
    market = MarketFactory(organizer=organizer, slug=f"market-{name}", name=f"Market {name}")
    vendor = VendorFactory(email=f"vendor-{name}@example.com", business_name=f"Vendor {name}")
    vendor.user = UserFactory(email=vendor.email)
    vendor.save(update_fields=["user", "updated_at"])
    application = AcceptedApplicationFactory(market=market, vendor=vendor)
    document = VendorDocument(
        vendor=vendor,
        document_type=VendorDocument.DocumentType.INSURANCE,
        original_filename="insurance.pdf",
        size=len(PDF),
        content_type="application/pdf",
    )
    document.file.save("insurance.pdf", ContentFile(PDF), save=True)
    application.documents.add(document)
    day = MarketDayFactory(market=market)
    stall = StallFactory(market=market)
    season = SeasonFactory(market=market, name=f"Season {name}")
    free_stall = StallFactory(market=market)
    free_vendor = AcceptedApplicationFactory(market=market).vendor
    offer_day = MarketDayFactory(market=market)
    return Tenant(
        organizer=organizer,
        market=market,
        stall=stall,
        free_stall=free_stall,
        day=day,
        vendor=vendor,
        application=application,
        booking=BookingFactory(market_day=day, stall=stall, vendor=vendor),
        document=document,
        pending_application=ApplicationFactory(market=market),
        free_vendor=free_vendor,
        token=user_token_create(user=organizer)[0],
        season=season,
        season_vendor=SeasonVendor.objects.create(season=season, vendor=vendor, stall=stall),
        waitlist_entry=WaitlistEntry.objects.create(market_day=day, vendor=free_vendor),
        offer=open_offer_of(offer_day, vendor, free_stall),
        sales_report=SalesReportFactory(
            booking=BookingFactory(market_day=past_day(market), stall=free_stall, vendor=vendor)
        ),
    )


def build_world() -> World:
    return World(
        x=tenant("x"),
        y=tenant("y"),
        superuser=UserFactory(email="root@example.com", is_staff=True, is_superuser=True),
    )
