"""The hot paths the bench measures, each on the market inside the large set and on the small
market. Pages and admin views join when their URL names resolve; until then they are skipped
with a note, so the harness runs at every stage of the project."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import orjson

from bench.measure import Request, WsgiClient
from bench.seed import SeedInfo

BENCH_EMAIL_PREFIX = "bench-apply-"  # rows the bench's own writes create, removed afterwards
EMAIL_DOMAIN = "example.com"


@dataclass
class Side:
    """What one side of a comparison needs: the market inside the large set, or the small one."""

    name: str
    market_id: str
    market_slug: str
    organizer_token: str
    organizer_email: str
    vendor_token: str
    vendor_email: str
    board_day_id: str = ""
    booking_day_id: str = ""
    booking_stall_id: str = ""
    booking_vendor_id: str = ""
    organizer_session: str = ""
    vendor_session: str = ""
    csrf_cookie: str = ""
    csrf_token: str = ""
    # Where the public apply is measured: a market that asks for no documents.
    apply_market_id: str = ""
    apply_market_slug: str = ""
    # Set for the scale comparison: the small market fills pages of this size, so both sides
    # answer the same number of rows and the ratio measures the data around them.
    page_size: int = 0


@dataclass
class Endpoint:
    key: str
    label: str
    kind: str  # "read", "write" or "floor"
    build: Callable[[Side, str], Request]  # (side, unique) -> the request
    expect: int = 200
    is_list: bool = False
    one_row: Callable[[Side], Request] | None = None  # the list at one row: queries must match
    http: bool = True
    note: str = ""
    skipped: str = ""  # why the endpoint is not measured yet
    # Lua-side unique marker for HTTP write loads: the body holds "__N__" where it must differ.
    http_unique: bool = False


@dataclass
class Catalog:
    endpoints: list[Endpoint] = field(default_factory=list)

    def measured(self) -> list[Endpoint]:
        return [e for e in self.endpoints if not e.skipped]


def token(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def cookies(**values: str) -> dict[str, str]:
    return {"HTTP_COOKIE": "; ".join(f"{name}={value}" for name, value in values.items() if value)}


def _reverse(name: str, **kwargs) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def _apply_json(unique: str) -> bytes:
    return orjson.dumps(
        {
            "business_name": f"Bench Bakery {unique}",
            "contact_name": "Bench Applicant",
            "email": f"{BENCH_EMAIL_PREFIX}{unique}@{EMAIL_DOMAIN}",
            "phone": "+1 555 0199",
            "product_categories": ["baked_goods", "beverages"],
            "description": "Sourdough and coffee.",
            "message": "We would love a corner stall.",
        }
    )


def _apply_form(side: Side, unique: str) -> bytes:
    return urlencode(
        [
            ("csrfmiddlewaretoken", side.csrf_token),
            ("business_name", f"Bench Bakery {unique}"),
            ("contact_name", "Bench Applicant"),
            ("email", f"{BENCH_EMAIL_PREFIX}{unique}@{EMAIL_DOMAIN}"),
            ("phone", "+1 555 0199"),
            ("product_categories", "baked_goods"),
            ("product_categories", "beverages"),
            ("description", "Sourdough and coffee."),
            ("message", "We would love a corner stall."),
            ("website", ""),
        ]
    ).encode()


def build_catalog() -> Catalog:
    """Every hot path of the issue, in the order of the report."""
    endpoints: list[Endpoint] = []
    add = endpoints.append
    api = "/api"

    add(Endpoint("floor_api", "framework floor: API view, token auth", "floor",
                 lambda s, u: Request("GET", "/__bench__/api-floor/",
                                      headers=token(s.organizer_token))))  # fmt: skip
    add(Endpoint("floor_page", "framework floor: page view, anonymous", "floor",
                 lambda s, u: Request("GET", "/__bench__/page-floor/")))  # fmt: skip
    add(Endpoint("public_market_api", "public market (API)", "read",
                 lambda s, u: Request("GET", f"{api}/public/markets/{s.market_id}/")))  # fmt: skip

    page = _reverse("market-page", slug="probe")
    add(Endpoint(
        "public_market_page", "public market page /m/<slug>/", "read",
        lambda s, u: Request("GET", f"/m/{s.market_slug}/"),
        skipped="" if page else "the page /m/<slug>/ does not exist yet",
    ))  # fmt: skip

    # The public vendor directory: listed vendors of the market (a third of the seed's).
    def directory_api(side: Side, unique: str) -> Request:
        query = f"page_size={side.page_size}" if side.page_size else ""
        return Request("GET", f"{api}/public/markets/{side.market_id}/vendors/", query=query)

    # Both cached as the public market is: after the warm-up a read runs no SQL, so the list
    # budgets (a data floor, 1 row against a page) do not apply; tests/test_query_budgets.py
    # holds their uncached queries equal at 1 and 50 rows.
    add(Endpoint("public_directory_api", "public vendor directory (API)", "read", directory_api,
                 note="cached per page until the directory changes"))  # fmt: skip
    directory = _reverse("directory", slug="probe")
    add(Endpoint(
        "public_directory_page", "public vendor directory page /m/<slug>/vendors/", "read",
        lambda s, u: Request("GET", f"/m/{s.market_slug}/vendors/"),
        note="cached until the directory changes",
        skipped="" if directory else "the directory page does not exist yet",
    ))  # fmt: skip

    add(Endpoint(
        "public_apply_api", "public apply POST (API)", "write",
        lambda s, u: Request("POST", f"{api}/public/markets/{s.apply_market_id}/apply/",
                             body=_apply_json(u), content_type="application/json"),
        expect=201, http_unique=True,
    ))  # fmt: skip
    apply_form = _reverse("market-apply", slug="probe")
    add(Endpoint(
        "public_apply_form", "public apply POST (form)", "write",
        lambda s, u: Request("POST", f"/m/{s.apply_market_slug}/apply/", body=_apply_form(s, u),
                             content_type="application/x-www-form-urlencoded",
                             headers=cookies(csrftoken=s.csrf_cookie)),
        expect=302, http_unique=True,
        skipped="" if apply_form else "the form /m/<slug>/apply/ does not exist yet",
    ))  # fmt: skip

    def listing(path: Callable[[Side], str], query: str = ""):
        def build(side: Side, unique: str) -> Request:
            size = f"page_size={side.page_size}" if side.page_size else ""
            full = "&".join(part for part in (query, size) if part)
            return Request("GET", path(side), query=full, headers=token(side.organizer_token))

        def one(side: Side) -> Request:
            full = "&".join(part for part in (query, "page_size=1") if part)
            return Request("GET", path(side), query=full, headers=token(side.organizer_token))

        return build, one

    build, one = listing(lambda s: f"{api}/markets/{s.market_id}/stalls/")
    add(Endpoint("stall_list", "stall list (API)", "read", build, is_list=True, one_row=one))
    build, one = listing(lambda s: f"{api}/markets/{s.market_id}/applications/", "status=pending")
    add(Endpoint("application_list", "applications ?status=pending (API)", "read", build,
                 is_list=True, one_row=one))  # fmt: skip
    add(Endpoint(
        "market_day_board", "market-day stall board (API)", "read",
        lambda s, u: Request("GET", f"{api}/markets/{s.market_id}/market-days/"
                             f"{s.board_day_id}/board/", headers=token(s.organizer_token)),
        is_list=True,
    ))  # fmt: skip
    add(Endpoint(
        "booking_create", "booking create POST (API)", "write",
        lambda s, u: Request(
            "POST", f"{api}/markets/{s.market_id}/market-days/{s.booking_day_id}/bookings/",
            # The reason books the vendor whether or not their documents are ready.
            body=orjson.dumps({"stall_id": s.booking_stall_id, "vendor_id": s.booking_vendor_id,
                               "override_reason": "bench"}),
            content_type="application/json", headers=token(s.organizer_token)),
        expect=201, http=False, note="create and cancel run as pairs in process only",
    ))  # fmt: skip
    add(Endpoint(
        "booking_cancel", "booking cancel DELETE (API)", "write",
        lambda s, u: Request(
            "DELETE", f"{api}/markets/{s.market_id}/market-days/{s.booking_day_id}/bookings/{u}/",
            headers=token(s.organizer_token)),
        expect=204, http=False,
    ))  # fmt: skip

    def me_bookings(side: Side, unique: str) -> Request:
        query = f"page_size={side.page_size}" if side.page_size else ""
        return Request("GET", f"{api}/me/bookings/", query=query, headers=token(side.vendor_token))

    add(Endpoint("vendor_bookings_api", "vendor bookings /api/me/bookings/", "read", me_bookings,
                 is_list=True,
                 one_row=lambda s: Request("GET", f"{api}/me/bookings/", query="page_size=1",
                                           headers=token(s.vendor_token))))  # fmt: skip
    portal = _reverse("vendor-portal")
    add(Endpoint(
        "vendor_portal_page", "vendor portal page /vendor/", "read",
        lambda s, u: Request("GET", portal or "/vendor/",
                             headers=cookies(sessionid=s.vendor_session)),
        is_list=True, skipped="" if portal else "the vendor portal page does not exist yet",
    ))  # fmt: skip
    changelist = _reverse("admin:applications_application_changelist")
    add(Endpoint(
        "admin_applications", "admin applications changelist ?status=pending", "read",
        # The scale comparison pages through waitlisted (20 on both markets): the admin's
        # page size is its own.
        lambda s, u: Request("GET", changelist or "",
                             query=f"status__exact={'waitlisted' if s.page_size else 'pending'}",
                             headers=cookies(sessionid=s.organizer_session)),
        is_list=True,
        skipped="" if changelist else "the admin applications changelist does not exist yet",
    ))  # fmt: skip
    board_probe = None
    try:
        from django.urls import reverse

        board_probe = reverse(
            "admin:stalls_booking_board", args=["00000000-0000-0000-0000-000000000000"]
        )
    except Exception:
        board_probe = None
    add(Endpoint(
        "admin_stall_board", "admin stall board", "read",
        lambda s, u: Request("GET", _admin_day_page("board", s.board_day_id),
                             headers=cookies(sessionid=s.organizer_session)),
        is_list=True, skipped="" if board_probe else "the admin stall board does not exist yet",
    ))  # fmt: skip
    add(Endpoint(
        "admin_checkin", "admin check-in page (phone)", "read",
        lambda s, u: Request("GET", _admin_day_page("checkin", s.board_day_id),
                             headers=cookies(sessionid=s.organizer_session)),
        is_list=True, skipped="" if board_probe else "the admin stall board does not exist yet",
    ))  # fmt: skip
    add(Endpoint(
        "market_readiness", "readiness list (API)", "read",
        lambda s, u: Request("GET", f"{api}/markets/{s.market_id}/readiness/",
                             headers=token(s.organizer_token)),
        is_list=True,
    ))  # fmt: skip
    readiness = _reverse(
        "admin:marketflow_market_readiness", market_id="00000000-0000-0000-0000-000000000000"
    )
    add(Endpoint(
        "admin_readiness", "admin readiness page", "read",
        lambda s, u: Request("GET", _reverse("admin:marketflow_market_readiness",
                                             market_id=s.market_id),
                             headers=cookies(sessionid=s.organizer_session)),
        is_list=True, skipped="" if readiness else "the admin readiness page does not exist yet",
    ))  # fmt: skip
    # Sales: the organizer's summary (every day, season and category of the market's past,
    # aggregated in SQL), its CSV for funders, the reports one by one, and the admin page.
    add(Endpoint(
        "sales_summary_api", "sales summary (API)", "read",
        lambda s, u: Request("GET", f"{api}/markets/{s.market_id}/sales/summary/",
                             headers=token(s.organizer_token)),
        is_list=True,
    ))  # fmt: skip
    add(Endpoint(
        "sales_summary_csv", "sales summary CSV for funders (API)", "read",
        lambda s, u: Request("GET", f"{api}/markets/{s.market_id}/sales/summary.csv",
                             headers=token(s.organizer_token)),
        is_list=True,
    ))  # fmt: skip
    build, one = listing(lambda s: f"{api}/markets/{s.market_id}/sales/reports/")
    add(Endpoint("sales_reports_api", "sales reports (API)", "read", build, is_list=True,
                 one_row=one))  # fmt: skip
    sales = _reverse(
        "admin:marketflow_market_sales", market_id="00000000-0000-0000-0000-000000000000"
    )
    add(Endpoint(
        "admin_sales", "admin sales page (charts, tables, vendors)", "read",
        lambda s, u: Request("GET", _reverse("admin:marketflow_market_sales",
                                             market_id=s.market_id),
                             headers=cookies(sessionid=s.organizer_session)),
        is_list=True, skipped="" if sales else "the admin sales page does not exist yet",
    ))  # fmt: skip
    return Catalog(endpoints)


def _admin_day_page(name: str, market_day_id: str) -> str:
    """The admin's page ``name`` (board, checkin) of one market day."""
    from django.urls import reverse

    return reverse(f"admin:stalls_booking_{name}", args=[market_day_id])


# --- the two sides ----------------------------------------------------------------------


def prepare_sides(info: SeedInfo, client: WsgiClient) -> tuple[Side, Side]:
    """Ids, sessions and CSRF pairs the requests need, from the seed and the database."""
    large = Side("large", info.market_id, info.market_slug, info.organizer_token,
                 info.organizer_email, info.vendor_token, info.vendor_email)  # fmt: skip
    small = Side("small", info.small_market_id, info.small_market_slug,
                 info.small_organizer_token, info.small_organizer_email, info.small_vendor_token,
                 info.small_vendor_email)  # fmt: skip
    for side in (large, small):
        _fill_side(side, client)
    return large, small


def _fill_side(side: Side, client: WsgiClient) -> None:
    from django.conf import settings
    from django.test import Client

    from applications.models import Application
    from marketflow.models import Market, MarketDay, User
    from stalls.models import Booking, Stall

    days = list(
        MarketDay.objects.filter(market_id=side.market_id, date__gt=_today())
        .order_by("date")
        .values_list("id", flat=True)
    )
    side.board_day_id = str(days[0])
    side.booking_day_id = str(days[-1])
    day_bookings = Booking.objects.active().filter(market_day_id=side.booking_day_id)
    booked_stalls = day_bookings.values("stall_id")
    booked_vendors = day_bookings.values("vendor_id")
    stall = (
        Stall.objects.filter(market_id=side.market_id)
        .exclude(id__in=booked_stalls)
        .order_by("-label")
        .first()
    )
    vendor_id = (
        Application.objects.filter(market_id=side.market_id, status="accepted")
        .exclude(vendor_id__in=booked_vendors)
        .order_by("id")
        .values_list("vendor_id", flat=True)
        .first()
    )
    side.booking_stall_id, side.booking_vendor_id = str(stall.id), str(vendor_id)

    for attribute, email in (("organizer_session", side.organizer_email),
                             ("vendor_session", side.vendor_email)):  # fmt: skip
        browser = Client()
        browser.force_login(User.objects.get(email=email))
        setattr(side, attribute, browser.cookies[settings.SESSION_COOKIE_NAME].value)

    # The seed's one market without required documents (any market, on an older seed).
    apply_market = (
        Market.objects.filter(required_document_types=[], is_active=True)
        .order_by("slug")
        .values("id", "slug")
        .first()
    )
    side.apply_market_id, side.apply_market_slug = str(apply_market["id"]), apply_market["slug"]
    form = _reverse("market-apply", slug=side.apply_market_slug)
    if form:
        response = client(Request("GET", form))
        side.csrf_cookie = response.cookies().get(settings.CSRF_COOKIE_NAME, "")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content)
        side.csrf_token = match.group(1).decode() if match else ""


def _today():
    from django.utils import timezone

    return timezone.now().date()


def unique_marker() -> str:
    return f"{int(time.time() * 1000):x}"
