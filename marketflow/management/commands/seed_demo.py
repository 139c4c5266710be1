"""``manage.py seed_demo``: a demo organizer, market, stalls, market days, vendors and bookings.

Everything is written through the domain services, so the demo obeys the same rules as the
API, except last season's history (its market days, bookings and sales reports), which the
services refuse to write in the past: it is written as rows, its sales fees computed by the
market's rule (``sales.services.sales_fee``). Loaded once: when the demo organizer exists,
a run writes nothing (`make run` runs it on every start, and what the person changed in the
demo stays changed) and only prints the logins.
"""

import datetime
import random
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from applications.models import Application
from applications.services import (
    application_accept,
    application_confirm,
    application_reject,
    application_submit,
    application_waitlist,
)
from applications.tokens import confirmation_token
from marketflow.models import Market, MarketDay, User
from marketflow.services import market_create, organizer_create
from marketflow.tokens import encode_id
from sales.models import SalesReport
from sales.services import sales_fee
from seasons.models import Season, SeasonDay
from seasons.services import season_create
from stalls.models import Booking, Stall
from stalls.services import (
    application_revoke,
    application_withdraw,
    booking_create,
    booking_update_payment,
    stall_create,
    stall_update,
)
from vendors.models import DocumentType, Vendor
from vendors.services import DocumentUpload, vendor_account_activate, vendor_directory_update
from vendors.tokens import vendor_activation_token

ORGANIZER_EMAIL = "organizer@example.com"
ORGANIZER_PASSWORD = "marketflow-demo"
VENDOR_PASSWORD = "vendor-demo-pass"
# The services' e-mails (application received, decisions, ...) are enqueued here and never
# sent: the demo addresses are made up, and sixty e-mails would bury the printed logins.
NO_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

MARKET = {
    "name": "Riverside Farmers Market",
    "slug": "riverside-farmers-market",
    "description": "Local produce, bread, crafts and street food every Saturday morning.",
    "location": "Riverside Park, 1 Water Street",
    "timezone": "America/New_York",
    "currency": "USD",
    # The higher of the stall's price and 6% of the day's gross sales.
    "sales_fee_rule": "higher",
    "sales_fee_percent": Decimal("6.00"),
}

# (label, size category, price per day in cents)
STALLS = [
    *[(f"A{n}", "small", 2500) for n in range(1, 7)],
    *[(f"B{n}", "standard", 4000) for n in range(1, 5)],
    ("C1", "corner", 6500),
    ("C2", "corner", 6500),
]

MARKET_WEEKDAY = 5  # Saturday
MARKET_DAY_COUNT = 8
MARKET_HOURS = (datetime.time(8, 0), datetime.time(13, 0))
BOOKED_VENDOR_COUNT = 10
# Last season: the Saturdays before today, each with BOOKED_VENDOR_COUNT vendors who reported
# their sales, but for the most recent one, which the demo vendor and one other have still to
# report (the portal's "days to report", the sales reminders).
PAST_DAY_COUNT = 6
UNREPORTED_ON_LAST_DAY = 2
# A day's sales in dollars, from and to, per currency: (cash, card, SNAP tokens, WIC/FMNP,
# market tokens, Double Up bucks).
SALES_RANGES = {
    "cash_cents": (120, 520),
    "card_cents": (80, 450),
    "snap_cents": (0, 90),
    "wic_cents": (0, 40),
    "market_tokens_cents": (0, 60),
    "incentive_cents": (0, 45),
}
# The second market day: six bookings (two paid), on other stalls than the regulars'.
SECOND_DAY_STALLS = ["A3", "A4", "A5", "A6", "B1", "B2"]
SECOND_DAY_PAID = 2
# Regular vendors (stall label: business name): on the second market day their stalls are free,
# so the stall board's "fill from regulars" books them.
REGULARS = {
    "A1": "Green Acre Farm",
    "A2": "Sunrise Bakery",
    "C1": "Cheese Cave",
    "C2": "Flower Patch",
}
# Documents sent with applications (business name: [(type, days until it expires)]): the
# admin and the portal show their expiry, some of them within weeks.
DOCUMENTS = {
    "Green Acre Farm": [(DocumentType.INSURANCE, 300), (DocumentType.HEALTH_PERMIT, 12)],
    "Sunrise Bakery": [(DocumentType.HEALTH_PERMIT, 20)],
    "Taco Rueda": [(DocumentType.INSURANCE, 9), (DocumentType.HEALTH_PERMIT, 180)],
    "Berry Good": [(DocumentType.INSURANCE, 25)],
}
# The smallest complete PDF: documents are judged by their content.
DEMO_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

Status = Application.Status


@dataclass(frozen=True)
class DemoVendor:
    business_name: str
    contact_name: str
    categories: tuple[str, ...]
    status: str

    @property
    def email(self) -> str:
        local = "".join(c if c.isalnum() else "-" for c in self.business_name.lower())
        return f"{'-'.join(filter(None, local.split('-')))}@example.com"


def _vendors(status: str, rows: list[tuple[str, str, tuple[str, ...]]]) -> list[DemoVendor]:
    return [DemoVendor(name, contact, categories, status) for name, contact, categories in rows]


# 30 vendors, every application status; 14 accepted keeps even a free plan under its limit of 20.
VENDORS = [
    *_vendors(
        Status.ACCEPTED,
        [
            ("Green Acre Farm", "Maria Lopez", ("produce",)),
            ("Sunrise Bakery", "Tom Becker", ("baked_goods",)),
            ("Hillside Orchard", "Ann Walsh", ("produce", "beverages")),
            ("Clay & Kiln", "Priya Shah", ("crafts",)),
            ("Bee Happy Honey", "Sam Ortiz", ("other", "produce")),
            ("Taco Rueda", "Luis Rueda", ("prepared_food",)),
            ("Cold Brew Co", "Jess Park", ("beverages",)),
            ("Wild Mushroom Guys", "Dan Frost", ("produce",)),
            ("Knit Wit", "Olga Ivanova", ("crafts",)),
            ("Pasta Nonna", "Giulia Rossi", ("prepared_food", "baked_goods")),
            ("Cheese Cave", "Henri Dubois", ("other",)),
            ("Flower Patch", "Lily Chen", ("other",)),
            ("Kombucha Corner", "Ravi Patel", ("beverages",)),
            ("Sourdough Society", "Eve Martin", ("baked_goods",)),
        ],
    ),
    *_vendors(
        Status.PENDING,
        [
            ("Berry Good", "Nora Quinn", ("produce",)),
            ("Soap Story", "Ivy Brooks", ("crafts",)),
            ("Dumpling House", "Wei Zhang", ("prepared_food",)),
            ("Maple Ridge Syrup", "Carl Jensen", ("other",)),
            ("Woodgrain Boards", "Ben Hale", ("crafts",)),
            ("Lemonade Stand", "Zoe Adams", ("beverages",)),
        ],
    ),
    *_vendors(
        Status.WAITLISTED,
        [
            ("Pie in the Sky", "Rosa Diaz", ("baked_goods",)),
            ("Herb Haven", "Ken Ito", ("produce",)),
            ("Candle Light", "Meg Ryan", ("crafts",)),
            ("Smokehouse BBQ", "Joe Turner", ("prepared_food",)),
        ],
    ),
    *_vendors(
        Status.REJECTED,
        [
            ("Plastic Trinkets Ltd", "Rick Vance", ("other",)),
            ("Energy Drink Depot", "Kyle Moss", ("beverages",)),
            ("Fast Fries", "Tina Lee", ("prepared_food",)),
        ],
    ),
    *_vendors(
        Status.WITHDRAWN,
        [
            ("Goat Milk Soaps", "Hana Novak", ("crafts",)),
            ("Microgreens Lab", "Omar Aziz", ("produce",)),
        ],
    ),
    *_vendors(Status.REVOKED, [("Tea Leaf", "Sara Kim", ("beverages",))]),
]
DEMO_VENDOR = VENDORS[0]  # an accepted vendor who has activated an account


def _login(user: User, demo_password: str) -> str:
    """E-mail and password, unless someone changed the password after the demo was loaded."""
    if user.check_password(demo_password):
        return f"{user.email} / {demo_password}"
    return f"{user.email} (password changed since the demo was loaded)"


class Command(BaseCommand):
    help = "Load the demo market (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DJANGO_DEBUG off (the demo accounts have published passwords).",
        )

    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts whose passwords are printed; it runs only with "
                "DJANGO_DEBUG=1. Pass --force to load it anyway."
            )
        organizer = User.objects.filter(email=ORGANIZER_EMAIL).first()
        if organizer is not None:
            if not organizer.is_organizer:
                raise CommandError(f"{ORGANIZER_EMAIL} exists and is not an organizer.")
            self.stdout.write("The demo was loaded before: left as it is.")
            self._report(organizer)
            return
        with override_settings(TASKS=NO_TASKS), transaction.atomic():
            organizer = self._organizer()
            market = self._market(organizer)
            self._stalls(organizer, market)
            days = self._market_days(organizer, market)
            self._applications(organizer, market)
            self._listings(self._vendor_account(DEMO_VENDOR, VENDOR_PASSWORD))
            self._regulars(organizer, market)
            self._bookings(organizer, market, days[0])
            self._second_day_bookings(organizer, market, days[1])
            self._last_season(organizer, market)
        self._report(organizer)

    def _organizer(self) -> User:
        # The paid plan: the demo should not stop at the free plan's limits when explored.
        return organizer_create(
            email=ORGANIZER_EMAIL,
            password=ORGANIZER_PASSWORD,
            plan=User.Plan.PAID,
            full_name="Demo Organizer",
        )

    def _market(self, organizer: User) -> Market:
        if Market.objects.filter(slug=MARKET["slug"]).exists():
            raise CommandError(f"The market “{MARKET['slug']}” belongs to another organizer.")
        return market_create(organizer=organizer, **MARKET)

    def _stalls(self, organizer: User, market: Market) -> None:
        for label, size_category, price in STALLS:
            stall_create(
                user=organizer,
                market_id=market.pk,
                label=label,
                size_category=size_category,
                price_per_day=price,
            )

    def _market_days(self, organizer: User, market: Market) -> list[MarketDay]:
        """The next eight Saturdays, counted from today at the market (today included): the
        days of the season "Saturdays"."""
        today = market.today()
        first = today + datetime.timedelta(days=(MARKET_WEEKDAY - today.weekday()) % 7)
        start_time, end_time = MARKET_HOURS
        season = season_create(
            user=organizer,
            market_id=market.pk,
            name="Saturdays",
            start_date=first,
            end_date=first + datetime.timedelta(weeks=MARKET_DAY_COUNT - 1),
            weekly_pattern=[
                {"weekday": MARKET_WEEKDAY, "start_time": start_time, "end_time": end_time}
            ],
        ).season
        return list(MarketDay.objects.filter(season_day__season=season).order_by("date"))

    def _applications(self, organizer: User, market: Market) -> None:
        for demo in VENDORS:
            submitted = application_submit(
                market=market,
                email=demo.email,
                business_name=demo.business_name,
                contact_name=demo.contact_name,
                product_categories=list(demo.categories),
                message=f"{demo.business_name} would love a stall this season.",
                documents=self._documents(market, demo),
            )
            # Confirmed at once, as the e-mailed link would.
            application = application_confirm(token=confirmation_token(submitted.pk))
            self._decide(organizer, market, application, demo)

    def _decide(
        self, organizer: User, market: Market, application: Application, demo: DemoVendor
    ) -> None:
        decision = {"user": organizer, "market_id": market.pk, "application_id": application.pk}
        if demo.status == Status.ACCEPTED:
            application_accept(**decision)
        elif demo.status == Status.WAITLISTED:
            application_waitlist(**decision, reason="All stalls in this category are taken.")
        elif demo.status == Status.REJECTED:
            application_reject(**decision, reason="Only locally made goods are sold here.")
        elif demo.status == Status.WITHDRAWN:
            # Accepted, then withdrawn by the vendor through their account.
            application_accept(**decision)
            user = self._vendor_account(demo, password=secrets.token_urlsafe(16))
            application_withdraw(user=user, application_id=application.pk)
        elif demo.status == Status.REVOKED:
            # Accepted, then the acceptance revoked by the organizer.
            application_accept(**decision)
            application_revoke(**decision, reason="Sold energy drinks, not loose-leaf tea.")

    def _documents(self, market: Market, demo: DemoVendor) -> list[DocumentUpload]:
        return [
            DocumentUpload(
                document_type=document_type,
                file=ContentFile(DEMO_PDF, name=f"{document_type}.pdf"),
                expires_on=market.today() + datetime.timedelta(days=days),
            )
            for document_type, days in DOCUMENTS.get(demo.business_name, [])
        ]

    def _regulars(self, organizer: User, market: Market) -> None:
        vendors = dict(
            Vendor.objects.filter(
                business_name__in=REGULARS.values(), applications__market=market
            ).values_list("business_name", "pk")
        )
        for stall in Stall.objects.filter(market=market, label__in=REGULARS):
            stall_update(
                user=organizer,
                market_id=market.pk,
                stall_id=stall.pk,
                assigned_vendor_id=vendors[REGULARS[stall.label]],
            )

    def _second_day_bookings(self, organizer: User, market: Market, market_day: MarketDay):
        regulars = set(REGULARS.values())
        vendors = [
            application.vendor_id
            for application in Application.objects.filter(market=market, status=Status.ACCEPTED)
            .exclude(vendor__business_name__in=regulars)
            .order_by("vendor__business_name")
        ]
        stalls = Stall.objects.filter(market=market, label__in=SECOND_DAY_STALLS).order_by("label")
        for index, (stall, vendor_id) in enumerate(zip(stalls, vendors, strict=False)):
            payment = Booking.PaymentStatus.PAID if index < SECOND_DAY_PAID else None
            self._book(organizer, market_day, stall, vendor_id, payment)

    def _last_season(self, organizer: User, market: Market) -> None:
        """The Saturdays before today as the season "Last season", each with ten accepted
        vendors booked and paid and their sales reported (on time), amounts drawn from
        ``SALES_RANGES`` with a fixed seed; the most recent day has two days to report."""
        today = market.today()
        last = today - datetime.timedelta(days=(today.weekday() - MARKET_WEEKDAY) % 7 or 7)
        dates = [last - datetime.timedelta(weeks=week) for week in range(PAST_DAY_COUNT)][::-1]
        start_time, end_time = MARKET_HOURS
        season = Season.objects.create(
            market=market,
            name="Last season",
            start_date=dates[0],
            end_date=dates[-1],
            weekly_pattern=[
                {
                    "weekday": MARKET_WEEKDAY,
                    "start_time": start_time.isoformat("minutes"),
                    "end_time": end_time.isoformat("minutes"),
                }
            ],
        )
        vendors = list(
            Application.objects.filter(market=market, status=Status.ACCEPTED)
            .order_by("vendor__business_name")
            .values_list("vendor_id", flat=True)
        )
        stalls = list(Stall.objects.filter(market=market).order_by("label"))
        demo_vendor = Vendor.objects.get(email=DEMO_VENDOR.email).pk
        draw = random.Random(2026)
        for index, date in enumerate(dates):
            day = MarketDay.objects.create(
                market=market, date=date, start_time=start_time, end_time=end_time
            )
            SeasonDay.objects.create(season=season, market_day=day)
            # A different ten each week (the demo vendor always), on the stalls in turn.
            others = [vendor for vendor in vendors if vendor != demo_vendor]
            booked = [demo_vendor, *(others[index:] + others[:index])[: BOOKED_VENDOR_COUNT - 1]]
            for position, (vendor_id, stall) in enumerate(zip(booked, stalls, strict=False)):
                booking = Booking.objects.create(
                    market_day=day,
                    stall=stall,
                    vendor_id=vendor_id,
                    fee_cents=stall.price_per_day,
                    payment_status=Booking.PaymentStatus.PAID,
                    payment_method=Booking.PaymentMethod.CASH,
                    paid_at=market.at(date, start_time),
                    booked_by=organizer,
                )
                booking.market_day = day
                if date == last and position < UNREPORTED_ON_LAST_DAY:
                    continue
                amounts = {
                    field: draw.randint(low, high) * 100
                    for field, (low, high) in SALES_RANGES.items()
                }
                report = SalesReport.objects.create(
                    booking=booking,
                    market=market,
                    market_day=day,
                    vendor_id=vendor_id,
                    gross_cents=sum(amounts.values()),
                    reported_by=organizer,
                    **amounts,
                )
                booking.sales_fee_cents, booking.sales_fee_note = sales_fee(
                    booking, report.gross_cents, on_time=True
                )
                booking.save(update_fields=["sales_fee_cents", "sales_fee_note"])

    def _vendor_account(self, demo: DemoVendor, password: str) -> User:
        """The vendor's sign-in account, activated the way the e-mailed link does it."""
        vendor = Vendor.objects.get(email=demo.email)
        return vendor_account_activate(
            uidb64=encode_id(vendor.pk),
            token=vendor_activation_token.make_token(vendor),
            password=password,
        )

    def _listings(self, demo_vendor_user: User) -> None:
        """Every other vendor in the public directory, the demo vendor through the service
        (the portal's way); the others have no account to opt in with, so they are set."""
        vendor_directory_update(
            user=demo_vendor_user,
            directory_listed=True,
            public_description="Organic vegetables and herbs, picked the morning of market.",
        )
        listed = Vendor.objects.exclude(user=demo_vendor_user).order_by("business_name")[::2]
        Vendor.objects.filter(pk__in=[vendor.pk for vendor in listed]).update(
            directory_listed=True, public_description="Find us at the market every Saturday."
        )

    def _bookings(self, organizer: User, market: Market, market_day: MarketDay) -> None:
        """The first ten accepted vendors on the first ten stalls of the next market day;
        three of them have paid and one fee is waived."""
        vendors = {
            application.vendor.email: application.vendor_id
            for application in Application.objects.filter(
                market=market, status=Status.ACCEPTED
            ).select_related("vendor")
        }
        stalls = list(Stall.objects.filter(market=market).order_by("label"))
        accepted = [demo for demo in VENDORS if demo.email in vendors]
        payments = [Booking.PaymentStatus.PAID] * 3 + [Booking.PaymentStatus.WAIVED]
        pairs = zip(accepted[:BOOKED_VENDOR_COUNT], stalls, strict=False)  # 14 vendors, 12 stalls
        for index, (demo, stall) in enumerate(pairs):
            payment = payments[index] if index < len(payments) else None
            self._book(organizer, market_day, stall, vendors[demo.email], payment)

    def _book(self, organizer: User, market_day: MarketDay, stall: Stall, vendor_id, payment):
        """Book the vendor on the stall that day; record the payment status, if given."""
        where = {"user": organizer, "market_id": market_day.market_id}
        booking = booking_create(
            **where, market_day_id=market_day.pk, stall_id=stall.pk, vendor_id=vendor_id
        )
        if payment is not None:
            booking_update_payment(
                **where, market_day_id=market_day.pk, booking_id=booking.pk, payment_status=payment
            )

    def _report(self, organizer: User) -> None:
        lines = ["Demo data is ready."]
        market = Market.objects.filter(slug=MARKET["slug"], organizer=organizer).first()
        if market is not None:  # unless the person deleted it
            applications = Application.objects.filter(market=market)
            by_status = ", ".join(
                f"{status} {applications.filter(status=status).count()}" for status in Status.values
            )
            upcoming = MarketDay.objects.filter(market=market, date__gte=market.today())
            reports = SalesReport.objects.filter(market=market)
            next_day = upcoming.order_by("date").first()
            lines += [
                f"  Market:       {market.name} (id {market.pk})",
                f"  Stalls:       {Stall.objects.filter(market=market).count()}",
                f"  Market days:  {upcoming.count()} upcoming"
                + (f", the next on {next_day.date:%Y-%m-%d}" if next_day else ""),
                f"  Vendors:      {applications.values('vendor').distinct().count()}",
                f"  Applications: {by_status}",
                f"  Bookings:     {Booking.objects.filter(market_day=next_day).count()} "
                "on the next market day",
                f"  Sales:        {reports.count()} reports over "
                f"{reports.values('market_day').distinct().count()} past market days",
            ]
        lines.append(f"  Organizer login: {_login(organizer, ORGANIZER_PASSWORD)}")
        vendor_user = User.objects.filter(email=DEMO_VENDOR.email).first()
        if vendor_user is not None:
            lines.append(f"  Vendor login:    {_login(vendor_user, VENDOR_PASSWORD)}")
        self.stdout.write("\n".join(lines))
