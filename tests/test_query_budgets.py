"""Query budgets: every list endpoint runs the same, fixed number of queries for 1 row and 50.

Each row is built with every relation the response shows (vendor, stall, market, market day),
so a serializer that reaches through a relation without a join or prefetch shows up here as a
count that grows with the rows.
"""

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from conftest import token_client
from marketflow.models import MarketDay
from marketflow.services import user_token_create
from marketflow.tests.factories import MarketDayFactory, MarketFactory
from sales.tests.factories import SalesReportFactory, past_day
from seasons.models import SeasonDay, SeasonVendor
from seasons.tests.factories import SeasonFactory
from stalls.models import WaitlistEntry
from stalls.tests.factories import BookingFactory, StallFactory, open_offer_of
from tests.api_contract import api_routes
from vendors.models import DocumentReview, VendorDocument
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

ROWS = 50  # one full page


@dataclass
class Setting:
    organizer: object
    market: object
    market_day: object
    vendor: object
    application: object
    season: object = None


def add_markets(s: Setting, n: int):
    MarketFactory.create_batch(n, organizer=s.organizer)


def add_market_days(s: Setting, n: int):
    MarketDayFactory.create_batch(n, market=s.market)


def add_stalls(s: Setting, n: int):
    for _ in range(n):
        StallFactory(
            market=s.market, assigned_vendor=AcceptedApplicationFactory(market=s.market).vendor
        )


def add_booked_stalls(s: Setting, n: int):
    for _ in range(n):
        vendor = AcceptedApplicationFactory(market=s.market).vendor
        BookingFactory(market_day=s.market_day, vendor=vendor)
        StallFactory(market=s.market)  # and a free one, shown with booking null


def require_documents(market) -> None:
    market.required_document_types = market.expiring_document_types = ["insurance"]
    market.save(update_fields=["required_document_types", "expiring_document_types"])


def add_booked_stalls_requiring_documents(s: Setting, n: int):
    """Booked stalls of a market that requires a document that expires: half the vendors
    ready (approved, valid), half not (never reviewed)."""
    require_documents(s.market)
    for index in range(n):
        vendor = AcceptedApplicationFactory(market=s.market).vendor
        BookingFactory(market_day=s.market_day, vendor=vendor)
        document = make_document(vendor, expires_on=s.market_day.date)
        if index % 2:
            DocumentReview.objects.create(market=s.market, document=document, status="approved")


def add_not_ready_vendors(s: Setting, n: int):
    """Accepted vendors whose insurance expires before the next market day (each in the
    readiness view twice: not ready, and its document expiring), some booked."""
    require_documents(s.market)
    for index in range(n):
        application = AcceptedApplicationFactory(market=s.market)
        document = make_document(application.vendor, expires_on=s.market.today())
        application.documents.add(document)
        DocumentReview.objects.create(market=s.market, document=document, status="approved")
        if index % 2:
            BookingFactory(market_day=s.market_day, vendor=application.vendor)


def add_sales_reports(s: Setting, n: int):
    """Reports of one past market day, each by another vendor."""
    day = MarketDay.objects.filter(market=s.market, date__lt=s.market.today()).first()
    day = day or past_day(s.market, 7)
    for _ in range(n):
        vendor = AcceptedApplicationFactory(market=s.market).vendor
        SalesReportFactory(booking=BookingFactory(market_day=day, vendor=vendor))


def add_sales_days(s: Setting, n: int):
    """Past market days, each with reports of three vendors in their own categories."""
    start = MarketDay.objects.filter(market=s.market, date__lt=s.market.today()).count()
    for index in range(start, start + n):
        day = past_day(s.market, 7 * (index + 1))
        for category in ("produce", "crafts", "baked_goods"):
            vendor = AcceptedApplicationFactory(
                market=s.market, vendor__product_categories=[category]
            ).vendor
            SalesReportFactory(booking=BookingFactory(market_day=day, vendor=vendor))


def sales_day_rows(body) -> int:
    return len(body["days"])


def not_ready_rows(body) -> int:
    assert len(body["expiring"]) == len(body["not_ready"])
    return len(body["not_ready"])


def add_my_documents(s: Setting, n: int):
    for _ in range(n):
        document = make_document(s.vendor)
        DocumentReview.objects.create(
            market=MarketFactory(), document=document, status="refused", reason="Blurred."
        )


def add_applications(s: Setting, n: int):
    for _ in range(n):
        ApplicationFactory(market=s.market, reviewed_by=s.organizer, product_categories=["produce"])


def add_active_vendors(s: Setting, n: int):
    AcceptedApplicationFactory.create_batch(n, market=s.market)


def add_my_applications(s: Setting, n: int):
    for _ in range(n):
        ApplicationFactory(vendor=s.vendor, market=MarketFactory())


def add_my_bookings(s: Setting, n: int):
    for _ in range(n):
        BookingFactory(vendor=s.vendor, market_day=MarketDayFactory(market=MarketFactory()))


def add_my_sales_days(s: Setting, n: int):
    """Past booked days of the vendor at as many markets, every other one reported (its
    report joined, not read row by row)."""
    for index in range(n):
        booking = BookingFactory(vendor=s.vendor, market_day=past_day(MarketFactory(), 1))
        if index % 2:
            SalesReportFactory(booking=booking)


def add_submitted_documents(s: Setting, n: int):
    for _ in range(n):
        s.application.documents.add(make_document(s.vendor))


def make_document(vendor, expires_on=None) -> VendorDocument:
    return VendorDocument.objects.create(
        vendor=vendor,
        expires_on=expires_on,
        document_type="insurance",
        file="documents/certificate.pdf",
        original_filename="certificate.pdf",
        size=1234,
        content_type="application/pdf",
    )


def page_rows(body) -> int:
    return len(body["results"])


def board_rows(body) -> int:
    return body["booked_count"]


def add_fee_vendors(s: Setting, n: int):
    for _ in range(n):
        vendor = AcceptedApplicationFactory(market=s.market).vendor
        BookingFactory(market_day=s.market_day, vendor=vendor)
        BookingFactory(market_day=MarketDayFactory(market=s.market), vendor=vendor)


def add_payout_vendors(s: Setting, n: int):
    """Vendors with a fee owed and a reported day's tokens."""
    for _ in range(n):
        vendor = AcceptedApplicationFactory(market=s.market).vendor
        booking = BookingFactory(market_day=MarketDayFactory(market=s.market), vendor=vendor)
        SalesReportFactory(booking=booking, snap_cents=4_000)


def fee_vendor_rows(body) -> int:
    return len(body["vendors"])


def my_fee_lines(body) -> int:
    return sum(len(market["lines"]) for market in body["markets"])


def add_listed_vendors(s: Setting, n: int):
    for _ in range(n):
        AcceptedApplicationFactory(
            market=s.market,
            vendor=VendorFactory(directory_listed=True, photo=f"vendor-photos/{'a' * 32}.jpg"),
        )
    cache.clear()  # the public market and the directory are cached: measure a first visit


def add_seasons(s: Setting, n: int):
    for _ in range(n):
        season = SeasonFactory(market=s.market)
        SeasonDay.objects.create(season=season, market_day=MarketDayFactory(market=s.market))
        SeasonVendor.objects.create(
            season=season, vendor=VendorFactory(), stall=StallFactory(market=s.market)
        )


def add_season_vendors(s: Setting, n: int):
    for _ in range(n):
        SeasonVendor.objects.create(
            season=s.season, vendor=VendorFactory(), stall=StallFactory(market=s.market)
        )


def add_my_tokens(s: Setting, n: int):
    for _ in range(n):
        user_token_create(user=s.organizer)


def add_waitlist(s: Setting, n: int):
    for _ in range(n):
        vendor = AcceptedApplicationFactory(market=s.market).vendor
        WaitlistEntry.objects.create(market_day=s.market_day, vendor=vendor)


def add_offers(s: Setting, n: int):
    for _ in range(n):
        open_offer_of(s.market_day, AcceptedApplicationFactory(market=s.market).vendor)


def add_my_waitlist(s: Setting, n: int):
    for _ in range(n):
        market_day = MarketDayFactory(market=MarketFactory())
        WaitlistEntry.objects.create(market_day=market_day, vendor=s.vendor)


def add_my_offers(s: Setting, n: int):
    for _ in range(n):
        open_offer_of(MarketDayFactory(market=MarketFactory()), s.vendor)


@dataclass
class Budget:
    path: str
    add_rows: Callable[[Setting, int], None]
    expected_queries: int
    as_vendor: bool = False
    params: dict | None = None
    rows_in: Callable[[dict], int] = page_rows
    fixture_rows: int = 0  # rows the fixtures already put in the list


MARKET = "/api/markets/{market}/"
DAY = MARKET + "market-days/{day}/"

# Queries: 1 for the token (with its user), then the scoping rows (the market; a market day
# with its market, in one query; or the vendor), then the list itself (one query; the board's
# joins each stall to its booking of the day; the documents list first reads its application;
# the fees add the market's totals to their one row per vendor).
# The hot lists (stalls, applications, the vendor's bookings) scope in the list's own query and
# read the market or vendor only when the page is empty
# (test_an_empty_hot_list_still_tells_a_foreign_market_apart below).
BUDGETS = {
    "markets": Budget("/api/markets/", add_markets, 2, fixture_rows=1),
    "market-days": Budget(MARKET + "market-days/", add_market_days, 3, fixture_rows=1),
    "stalls": Budget(MARKET + "stalls/", add_stalls, 2),
    "board": Budget(DAY + "board/", add_booked_stalls, 2, rows_in=board_rows),
    # The documents of the booked vendors, when the market requires some: read by the board's
    # own statement (a lateral join), no query more.
    "board, documents required": Budget(
        DAY + "board/", add_booked_stalls_requiring_documents, 2, rows_in=board_rows
    ),
    # The market, its next day, its accepted vendors (with their stall that day), their
    # required documents, and the documents expiring soon.
    "readiness": Budget(MARKET + "readiness/", add_not_ready_vendors, 6, rows_in=not_ready_rows),
    "bookings": Budget(DAY + "bookings/", add_booked_stalls, 3),
    # The market, then the page of reports with their days and vendors.
    "sales/reports": Budget(MARKET + "sales/reports/", add_sales_reports, 3),
    # The market; the days; the seasons; the categories, which sum to the total (who
    # reported on the days of 1 or 2 vendors only when there are such days: none here).
    "sales/summary": Budget(MARKET + "sales/summary/", add_sales_days, 5, rows_in=sales_day_rows),
    "fees": Budget(MARKET + "fees/", add_fee_vendors, 4, rows_in=fee_vendor_rows),
    # The market, then tokens owed, fees owed and the vendors' names.
    "payouts": Budget(MARKET + "payouts/", add_payout_vendors, 5, rows_in=fee_vendor_rows),
    "applications": Budget(MARKET + "applications/", add_applications, 2),
    "applications?status": Budget(
        MARKET + "applications/", add_applications, 2, params={"status": "pending"}
    ),
    "applications?category": Budget(
        MARKET + "applications/", add_applications, 2, params={"category": "produce"}
    ),
    "applications?status&category": Budget(
        MARKET + "applications/",
        add_applications,
        2,
        params={"status": "pending", "category": "produce"},
    ),
    "market-vendors": Budget(MARKET + "vendors/", add_active_vendors, 3),
    "application-documents": Budget(
        MARKET + "applications/{application}/documents/", add_submitted_documents, 4
    ),
    "me/applications": Budget("/api/me/applications/", add_my_applications, 3, as_vendor=True),
    "me/bookings": Budget("/api/me/bookings/", add_my_bookings, 2, as_vendor=True),
    # token, vendor, the days of the last two (have they started, by their market's time
    # zone?), the page of days with their market, stall and report.
    "me/sales": Budget("/api/me/sales/", add_my_sales_days, 4, as_vendor=True),
    # token, vendor, tokens owed per market, totals per market, lines, credits per market
    "me/fees": Budget("/api/me/fees/", add_my_bookings, 6, as_vendor=True, rows_in=my_fee_lines),
    # The vendor, the page of documents, the markets' reviews of them.
    "me/documents": Budget("/api/me/documents/", add_my_documents, 4, as_vendor=True),
    "auth/tokens": Budget("/api/auth/tokens/", add_my_tokens, 2, fixture_rows=1),
    # Public, no token: the market and its days (public_market), then the page of vendors.
    "public/vendors": Budget("/api/public/markets/{market}/vendors/", add_listed_vendors, 3),
    "seasons": Budget(MARKET + "seasons/", add_seasons, 2),
    "season-vendors": Budget(MARKET + "seasons/{season}/vendors/", add_season_vendors, 4),
    "waitlist": Budget(DAY + "waitlist/", add_waitlist, 3),
    "offers": Budget(DAY + "offers/", add_offers, 3),
    "me/waitlist": Budget("/api/me/waitlist/", add_my_waitlist, 3, as_vendor=True),
    "me/offers": Budget("/api/me/offers/", add_my_offers, 3, as_vendor=True),
}


def measure(client, url: str, params: dict | None) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return len(queries), response.json()


@pytest.mark.parametrize("name", list(BUDGETS))
def test_list_endpoint_queries_do_not_grow_with_rows(
    name, organizer, market, market_day, vendor, vendor_user
):
    budget = BUDGETS[name]
    needs_application = "{application}" in budget.path
    application = ApplicationFactory(market=market, vendor=vendor) if needs_application else None
    season = SeasonFactory(market=market) if "{season}" in budget.path else None
    setting = Setting(
        organizer=organizer,
        market=market,
        market_day=market_day,
        vendor=vendor,
        application=application,
        season=season,
    )
    client = token_client(vendor_user if budget.as_vendor else organizer)
    url = budget.path.format(
        market=market.id,
        day=market_day.id,
        application=getattr(application, "id", None),
        season=getattr(season, "id", None),
    )

    budget.add_rows(setting, 1 - budget.fixture_rows)
    queries_for_one, body = measure(client, url, budget.params)
    assert budget.rows_in(body) == 1

    budget.add_rows(setting, ROWS - 1)
    queries_for_fifty, body = measure(client, url, budget.params)
    assert budget.rows_in(body) == ROWS

    assert queries_for_one == queries_for_fifty == budget.expected_queries


def test_every_list_endpoint_has_a_budget():
    list_paths = {
        template
        for template, view in api_routes()
        if getattr(view, "cursor_ordering", None)
        or template.endswith(("/board/", "/fees/", "/readiness/", "/payouts/", "/sales/summary/"))
    }
    budgeted = {
        budget.path.replace("{market}", "{market_id}")
        .replace("{day}", "{market_day_id}")
        .replace("{application}", "{application_id}")
        .replace("{season}", "{season_id}")
        for budget in BUDGETS.values()
    }
    assert list_paths == budgeted


@pytest.mark.parametrize("path", ["stalls/", "applications/", "applications/?status=pending"])
def test_an_empty_hot_list_still_tells_a_foreign_market_apart(path, organizer, market):
    """The hot lists read the market only for an empty page: own market, 200 and no rows;
    another organizer's market (with rows) or none at all, 404."""
    other_market = MarketFactory()
    StallFactory(market=other_market)
    ApplicationFactory(market=other_market, vendor=VendorFactory())
    client = token_client(organizer)

    assert client.get(f"/api/markets/{market.id}/{path}").json()["results"] == []
    assert client.get(f"/api/markets/{other_market.id}/{path}").status_code == 404
    assert client.get(f"/api/markets/{uuid.uuid4()}/{path}").status_code == 404


def test_an_empty_booking_list_still_refuses_a_user_without_a_vendor_profile(organizer):
    response = token_client(organizer).get("/api/me/bookings/")
    assert response.status_code == 403
    assert response.json()["code"] == "not_a_vendor"


def add_my_portal_rows(s: Setting, n: int):
    """What the vendor portal lists: coming bookings (each unpaid, so also under "what you
    owe"), applications and documents; and days of two days ago, to report (no fee)."""
    for _ in range(n):
        BookingFactory(
            vendor=s.vendor, market_day=MarketDayFactory(market=MarketFactory()), fee_cents=1500
        )
        passed = MarketDayFactory(date=datetime.date.today() - datetime.timedelta(days=2))
        BookingFactory(vendor=s.vendor, market_day=passed, fee_cents=0)
        ApplicationFactory(vendor=s.vendor, market=MarketFactory())
        make_document(s.vendor)


def test_the_vendor_portal_page_queries_do_not_grow_with_rows(vendor, vendor_user, client):
    """The session, its user, the vendor, then one query each for the coming bookings, the
    applications, the documents, each market's review of them, the full-season places and what
    the vendor owes, and one for the days to report."""
    setting = Setting(None, None, None, vendor, None)
    client.force_login(vendor_user)
    counts = []
    for rows in (1, ROWS - 1):
        add_my_portal_rows(setting, rows)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/vendor/")
        assert response.status_code == 200
        assert len(response.context["bookings"]) == len(response.context["documents"])
        counts.append(len(queries))
    assert len(response.context["bookings"]) == ROWS
    assert sum(len(entry["bookings"]) for entry in response.context["owed"]) == ROWS
    assert response.context["sales_to_report"] == ROWS
    assert counts == [10, 10]


def test_the_vendor_sales_page_queries_do_not_grow_with_rows(vendor, vendor_user, client):
    """The session, its user, the vendor, the days of the last two (started?), the count of
    days and the page of them with their market, stall and report."""
    setting = Setting(None, None, None, vendor, None)
    client.force_login(vendor_user)
    counts = []
    for rows in (1, 29):
        add_my_sales_days(setting, rows)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/vendor/sales/")
        assert response.status_code == 200
        counts.append(len(queries))
    assert len(response.context["days"]) == 30
    assert counts == [6, 6]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # The market and its days (public_market), then the listed vendors.
        ("/m/{slug}/", 3),
        # The market and its days, then every listed vendor (paged in Python).
        ("/m/{slug}/vendors/", 3),
    ],
)
def test_the_public_directory_pages_queries_do_not_grow_with_rows(path, expected, market, client):
    """A first visit; the next one reads the cache (test_directory.py)."""
    setting = Setting(None, market, None, None, None)
    counts = []
    for rows in (1, ROWS - 1):
        add_listed_vendors(setting, rows)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path.format(slug=market.slug))
        assert response.status_code == 200
        counts.append(len(queries))
    assert response.content.decode().count('class="card vendor-card"') in (12, 24)
    assert counts == [expected, expected]
