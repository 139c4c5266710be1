"""Mass assignment: every write of the API, sent with a field its caller does not own (status,
market, organizer, reviewer, fee, payment, vendor, user, e-mail, id, timestamps), ignores or
refuses that field. The database shows the value the rules give, never the one sent, and the
other tenant's rows (whose ids are the hostile values) stay exactly as they were.

Each case is one valid request plus one hostile field, so a failure names the field.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import models
from django.forms.models import model_to_dict
from django.utils import timezone
from rest_framework.test import APIClient

from applications.models import Application
from conftest import token_client
from marketflow.models import Market, MarketDay, User
from marketflow.tests.factories import MarketFactory, OrganizerFactory
from seasons.models import Season, SeasonVendor
from stalls.models import Booking, Stall
from tests.api_contract import assert_error
from tests.two_markets import Tenant, World, build_world
from vendors.models import Vendor

pytestmark = pytest.mark.django_db

HOSTILE_ID = "00000000-0000-7000-8000-00000000dead"
LONG_AGO = "2000-01-01T00:00:00Z"
UNCHANGED = object()  # expect the value the row had before the request
RECENT = object()  # expect a timestamp of this request, not the one sent
NOT_HOSTILE_ID = object()  # expect a primary key the server chose


@dataclass
class Write:
    caller: Callable[[World], User | None]  # None: anonymous
    method: str
    url: Callable[[World], str]
    body: Callable[[World], dict]
    row: Callable[[World, dict], models.Model]  # the row written, from the answer
    status: int


def fresh_organizer(world: World) -> User:
    if not hasattr(world, "fresh_organizer"):
        world.fresh_organizer = OrganizerFactory(email="fresh-organizer@example.com")
    return world.fresh_organizer


def third_market(world: World) -> Market:
    """A market of neither tenant, where vendor A has no open application yet."""
    if not hasattr(world, "third_market"):
        world.third_market = MarketFactory(slug="third-market")
    return world.third_market


X_MARKET = "/api/markets/{0.x.market.pk}/"
X_DAY = X_MARKET + "market-days/{0.x.day.pk}/"


def by_id(model):
    return lambda world, answer: model.objects.get(pk=answer["id"])


def fixed(get):
    return lambda world, answer: get(world)


WRITES = {
    "public apply": Write(
        caller=lambda w: None,
        method="post",
        url=lambda w: f"/api/public/markets/{w.x.market.pk}/apply/",
        body=lambda w: {
            "business_name": "Fresh Stand",
            "contact_name": "Fay Fresh",
            "email": "fresh-stand@example.com",
            "product_categories": ["crafts"],
        },
        row=lambda world, answer: Application.unconfirmed.get(pk=answer["id"]),
        status=201,
    ),
    "public apply as a known vendor": Write(
        caller=lambda w: None,
        method="post",
        url=lambda w: f"/api/public/markets/{third_market(w).pk}/apply/",
        body=lambda w: {
            "business_name": "Hijacked",
            "contact_name": "Mallory",
            "email": w.x.vendor.email.upper(),
            "product_categories": ["crafts"],
        },
        row=fixed(lambda w: w.x.vendor),
        status=201,
    ),
    "market create": Write(
        caller=fresh_organizer,
        method="post",
        url=lambda w: "/api/markets/",
        body=lambda w: {
            "name": "Fresh market",
            "slug": "fresh-market",
            "timezone": "Europe/Berlin",
            "currency": "EUR",
        },
        row=by_id(Market),
        status=201,
    ),
    "market create (the caller's own user)": Write(
        caller=fresh_organizer,
        method="post",
        url=lambda w: "/api/markets/",
        body=lambda w: {
            "name": "Fresh market",
            "slug": "fresh-market",
            "timezone": "Europe/Berlin",
            "currency": "EUR",
        },
        row=fixed(fresh_organizer),
        status=201,
    ),
    "market update": Write(
        caller=lambda w: w.x.organizer,
        method="patch",
        url=lambda w: X_MARKET.format(w),
        body=lambda w: {"name": "Renamed"},
        row=fixed(lambda w: w.x.market),
        status=200,
    ),
    "market replace": Write(
        caller=lambda w: w.x.organizer,
        method="put",
        url=lambda w: X_MARKET.format(w),
        body=lambda w: {
            "name": "Replaced",
            "slug": "replaced",
            "timezone": "Europe/Berlin",
            "currency": "EUR",
        },
        row=fixed(lambda w: w.x.market),
        status=200,
    ),
    "season create": Write(
        caller=lambda w: w.x.organizer,
        method="post",
        url=lambda w: X_MARKET.format(w) + "seasons/",
        body=lambda w: {
            "name": "Fresh season",
            "start_date": str(datetime.date.today() + datetime.timedelta(days=30)),
            "end_date": str(datetime.date.today() + datetime.timedelta(days=60)),
            "weekly_pattern": [{"weekday": 5, "start_time": "08:00", "end_time": "13:00"}],
        },
        row=lambda world, answer: Season.objects.get(pk=answer["season"]["id"]),
        status=201,
    ),
    "season update": Write(
        caller=lambda w: w.x.organizer,
        method="patch",
        url=lambda w: X_MARKET.format(w) + f"seasons/{w.x.season.pk}/",
        body=lambda w: {"name": "Renamed season"},
        row=fixed(lambda w: w.x.season),
        status=200,
    ),
    "full-season vendor": Write(
        caller=lambda w: w.x.organizer,
        method="post",
        url=lambda w: X_MARKET.format(w) + f"seasons/{w.x.season.pk}/vendors/",
        body=lambda w: {"vendor_id": str(w.x.free_vendor.pk), "stall_id": str(w.x.free_stall.pk)},
        row=lambda world, answer: SeasonVendor.objects.get(pk=answer["season_vendor"]["id"]),
        status=201,
    ),
    "stall create": Write(
        caller=lambda w: w.x.organizer,
        method="post",
        url=lambda w: X_MARKET.format(w) + "stalls/",
        body=lambda w: {"label": "NEW-1", "price_per_day": 1800},
        row=by_id(Stall),
        status=201,
    ),
    "stall update": Write(
        caller=lambda w: w.x.organizer,
        method="patch",
        url=lambda w: X_MARKET.format(w) + f"stalls/{w.x.stall.pk}/",
        body=lambda w: {"label": "NEW-2"},
        row=fixed(lambda w: w.x.stall),
        status=200,
    ),
    "market day create": Write(
        caller=lambda w: w.x.organizer,
        method="post",
        url=lambda w: X_MARKET.format(w) + "market-days/",
        body=lambda w: {
            "date": str(datetime.date.today() + datetime.timedelta(days=60)),
            "start_time": "08:00",
            "end_time": "13:00",
        },
        row=by_id(MarketDay),
        status=201,
    ),
    "market day update": Write(
        caller=lambda w: w.x.organizer,
        method="patch",
        url=lambda w: X_DAY.format(w),
        body=lambda w: {"note": "Bring umbrellas."},
        row=fixed(lambda w: w.x.day),
        status=200,
    ),
    "booking create": Write(
        caller=lambda w: w.x.organizer,
        method="post",
        url=lambda w: X_DAY.format(w) + "bookings/",
        body=lambda w: {"stall_id": str(w.x.free_stall.pk), "vendor_id": str(w.x.free_vendor.pk)},
        row=by_id(Booking),
        status=201,
    ),
    "booking payment": Write(
        caller=lambda w: w.x.organizer,
        method="patch",
        url=lambda w: X_DAY.format(w) + f"bookings/{w.x.booking.pk}/",
        body=lambda w: {"payment_status": "paid"},
        row=fixed(lambda w: w.x.booking),
        status=200,
    ),
    "application accept": Write(
        caller=lambda w: w.x.organizer,
        method="post",
        url=lambda w: X_MARKET.format(w) + f"applications/{w.x.pending_application.pk}/accept/",
        body=lambda w: {},
        row=fixed(lambda w: w.x.pending_application),
        status=200,
    ),
    "application reject": Write(
        caller=lambda w: w.x.organizer,
        method="post",
        url=lambda w: X_MARKET.format(w) + f"applications/{w.x.pending_application.pk}/reject/",
        body=lambda w: {"reason": "Full."},
        row=fixed(lambda w: w.x.pending_application),
        status=200,
    ),
    "application waitlist": Write(
        caller=lambda w: w.x.organizer,
        method="post",
        url=lambda w: X_MARKET.format(w) + f"applications/{w.x.pending_application.pk}/waitlist/",
        body=lambda w: {},
        row=fixed(lambda w: w.x.pending_application),
        status=200,
    ),
    "vendor withdraws": Write(
        caller=lambda w: w.x.vendor.user,
        method="post",
        url=lambda w: f"/api/me/applications/{w.x.application.pk}/withdraw/",
        body=lambda w: {},
        row=fixed(lambda w: w.x.application),
        status=200,
    ),
    "vendor profile": Write(
        caller=lambda w: w.x.vendor.user,
        method="patch",
        url=lambda w: "/api/me/vendor/",
        body=lambda w: {"phone": "+49 30 7654321"},
        row=fixed(lambda w: w.x.vendor),
        status=200,
    ),
}

# (write, field sent, hostile value from the world, attribute read on the row, expected).
# ``expected`` is UNCHANGED, RECENT, NOT_HOSTILE_ID or a function of the world.
IDENTITY = [
    ("id", lambda w: HOSTILE_ID, "pk", NOT_HOSTILE_ID),
    ("created_at", lambda w: LONG_AGO, "created_at", RECENT),
]
IDENTITY_KEPT = [
    ("id", lambda w: HOSTILE_ID, "pk", UNCHANGED),
    ("created_at", lambda w: LONG_AGO, "created_at", UNCHANGED),
]


def their(get):
    """A hostile value: the id of one of tenant Y's rows."""
    return lambda w: str(get(w.y).pk)


def ours(get):
    return lambda w: get(w.x).pk


def nothing(_world):
    return None


CASES: list[tuple[str, str, Callable, str, Any]] = [
    # The public apply form: a new application is unconfirmed, of the market in the URL, of
    # no vendor until the submitted e-mail's owner confirms it, unreviewed.
    ("public apply", "status", lambda w: "accepted", "status", lambda w: "unconfirmed"),
    ("public apply", "market", their(lambda t: t.market), "market_id", ours(lambda t: t.market)),
    (
        "public apply",
        "market_id",
        their(lambda t: t.market),
        "market_id",
        ours(lambda t: t.market),
    ),
    ("public apply", "vendor", their(lambda t: t.vendor), "vendor_id", nothing),
    ("public apply", "vendor_id", their(lambda t: t.vendor), "vendor_id", nothing),
    ("public apply", "reviewed_by", their(lambda t: t.organizer), "reviewed_by_id", nothing),
    ("public apply", "reviewed_by_id", their(lambda t: t.organizer), "reviewed_by_id", nothing),
    ("public apply", "reviewed_at", lambda w: LONG_AGO, "reviewed_at", nothing),
    ("public apply", "decision_reason", lambda w: "Pre-approved.", "decision_reason", lambda w: ""),
    ("public apply", "withdrawn_at", lambda w: LONG_AGO, "withdrawn_at", nothing),
    ("public apply", "user", their(lambda t: t.vendor.user), "vendor_id", nothing),
    ("public apply", "user_id", their(lambda t: t.vendor.user), "vendor_id", nothing),
    ("public apply", "documents", lambda w: [str(w.y.document.pk)], "documents.count", lambda w: 0),
    *[("public apply", *case) for case in IDENTITY],
    # Applying with a known vendor's e-mail attaches to that vendor and changes nothing of it.
    (
        "public apply as a known vendor",
        "user",
        their(lambda t: t.vendor.user),
        "user_id",
        UNCHANGED,
    ),
    (
        "public apply as a known vendor",
        "user_id",
        their(lambda t: t.vendor.user),
        "user_id",
        UNCHANGED,
    ),
    (
        "public apply as a known vendor",
        "business_name",
        lambda w: "Hijacked",
        "business_name",
        UNCHANGED,
    ),
    # Markets belong to the caller; plan and roles are not the caller's to set.
    (
        "market create",
        "organizer",
        their(lambda t: t.organizer),
        "organizer_id",
        lambda w: w.fresh_organizer.pk,
    ),
    (
        "market create",
        "organizer_id",
        their(lambda t: t.organizer),
        "organizer_id",
        lambda w: w.fresh_organizer.pk,
    ),
    *[("market create", *case) for case in IDENTITY],
    ("market create (the caller's own user)", "plan", lambda w: "paid", "plan", UNCHANGED),
    (
        "market create (the caller's own user)",
        "is_superuser",
        lambda w: True,
        "is_superuser",
        UNCHANGED,
    ),
    ("market update", "organizer", their(lambda t: t.organizer), "organizer_id", UNCHANGED),
    ("market update", "organizer_id", their(lambda t: t.organizer), "organizer_id", UNCHANGED),
    *[("market update", *case) for case in IDENTITY_KEPT],
    ("market replace", "organizer_id", their(lambda t: t.organizer), "organizer_id", UNCHANGED),
    *[("market replace", *case) for case in IDENTITY_KEPT],
    # Seasons stay in the market of the URL, full-season places in the season of the URL.
    (
        "season create",
        "market_id",
        their(lambda t: t.market),
        "market_id",
        ours(lambda t: t.market),
    ),
    # (Their answers nest the row, so a hostile "id" is checked on the others' only.)
    ("season create", "created_at", lambda w: LONG_AGO, "created_at", RECENT),
    ("season update", "market_id", their(lambda t: t.market), "market_id", UNCHANGED),
    *[("season update", *case) for case in IDENTITY_KEPT],
    (
        "full-season vendor",
        "season_id",
        their(lambda t: t.season),
        "season_id",
        ours(lambda t: t.season),
    ),
    (
        "full-season vendor",
        "added_by_id",
        their(lambda t: t.organizer),
        "added_by_id",
        ours(lambda t: t.organizer),
    ),
    ("full-season vendor", "created_at", lambda w: LONG_AGO, "created_at", RECENT),
    # Stalls and days stay in the market of the URL.
    ("stall create", "market", their(lambda t: t.market), "market_id", ours(lambda t: t.market)),
    ("stall create", "market_id", their(lambda t: t.market), "market_id", ours(lambda t: t.market)),
    *[("stall create", *case) for case in IDENTITY],
    ("stall update", "market_id", their(lambda t: t.market), "market_id", UNCHANGED),
    *[("stall update", *case) for case in IDENTITY_KEPT],
    (
        "market day create",
        "market_id",
        their(lambda t: t.market),
        "market_id",
        ours(lambda t: t.market),
    ),
    *[("market day create", *case) for case in IDENTITY],
    ("market day update", "market_id", their(lambda t: t.market), "market_id", UNCHANGED),
    *[("market day update", *case) for case in IDENTITY_KEPT],
    # A booking's fee comes from the stall, its payment starts unpaid, the booker is the caller.
    (
        "booking create",
        "fee_cents",
        lambda w: 0,
        "fee_cents",
        lambda w: w.x.free_stall.price_per_day,
    ),
    ("booking create", "payment_status", lambda w: "paid", "payment_status", lambda w: "unpaid"),
    ("booking create", "paid_at", lambda w: LONG_AGO, "paid_at", nothing),
    (
        "booking create",
        "market_day",
        their(lambda t: t.day),
        "market_day_id",
        ours(lambda t: t.day),
    ),
    (
        "booking create",
        "market_day_id",
        their(lambda t: t.day),
        "market_day_id",
        ours(lambda t: t.day),
    ),
    (
        "booking create",
        "booked_by",
        their(lambda t: t.organizer),
        "booked_by_id",
        ours(lambda t: t.organizer),
    ),
    (
        "booking create",
        "booked_by_id",
        their(lambda t: t.organizer),
        "booked_by_id",
        ours(lambda t: t.organizer),
    ),
    *[("booking create", *case) for case in IDENTITY],
    ("booking payment", "fee_cents", lambda w: 0, "fee_cents", UNCHANGED),
    ("booking payment", "vendor_id", their(lambda t: t.vendor), "vendor_id", UNCHANGED),
    ("booking payment", "stall_id", their(lambda t: t.stall), "stall_id", UNCHANGED),
    ("booking payment", "market_day_id", their(lambda t: t.day), "market_day_id", UNCHANGED),
    ("booking payment", "paid_at", lambda w: LONG_AGO, "paid_at", RECENT),
    ("booking payment", "booked_by_id", their(lambda t: t.organizer), "booked_by_id", UNCHANGED),
    *[("booking payment", *case) for case in IDENTITY_KEPT],
    # A decision sets the status the endpoint names, the caller as reviewer, now.
    *[
        (decision, field, value, attribute, expected)
        for decision, status in (
            ("application accept", "accepted"),
            ("application reject", "rejected"),
            ("application waitlist", "waitlisted"),
        )
        for field, value, attribute, expected in [
            ("status", lambda w: "withdrawn", "status", lambda w, status=status: status),
            (
                "reviewed_by",
                their(lambda t: t.organizer),
                "reviewed_by_id",
                ours(lambda t: t.organizer),
            ),
            (
                "reviewed_by_id",
                their(lambda t: t.organizer),
                "reviewed_by_id",
                ours(lambda t: t.organizer),
            ),
            ("reviewed_at", lambda w: LONG_AGO, "reviewed_at", RECENT),
            ("market_id", their(lambda t: t.market), "market_id", UNCHANGED),
            ("vendor_id", their(lambda t: t.vendor), "vendor_id", UNCHANGED),
        ]
    ],
    # The vendor's own withdrawal and profile.
    ("vendor withdraws", "status", lambda w: "accepted", "status", lambda w: "withdrawn"),
    (
        "vendor withdraws",
        "reviewed_by_id",
        their(lambda t: t.organizer),
        "reviewed_by_id",
        UNCHANGED,
    ),
    ("vendor withdraws", "market_id", their(lambda t: t.market), "market_id", UNCHANGED),
    ("vendor profile", "user", their(lambda t: t.vendor.user), "user_id", UNCHANGED),
    ("vendor profile", "user_id", their(lambda t: t.vendor.user), "user_id", UNCHANGED),
    *[("vendor profile", *case) for case in IDENTITY_KEPT],
]

# Fields refused with a field error rather than ignored: (write, field, value, attribute).
REFUSED = [
    ("vendor profile", "email", lambda w: "mallory@example.com", "email"),
    ("stall create", "assigned_vendor_id", their(lambda t: t.vendor), None),
    ("stall update", "assigned_vendor_id", their(lambda t: t.vendor), "assigned_vendor_id"),
]


def read(row: models.Model, attribute: str):
    value = row
    for name in attribute.split("."):
        value = getattr(value, name)
    return value() if callable(value) else value


def tenant_state(tenant: Tenant) -> dict:
    """Every row of the tenant, field by field, and how many rows its market has."""
    rows = [
        tenant.organizer,
        tenant.market,
        tenant.stall,
        tenant.free_stall,
        tenant.day,
        tenant.vendor,
        tenant.vendor.user,
        tenant.application,
        tenant.booking,
        tenant.document,
        tenant.pending_application,
        tenant.free_vendor,
        tenant.season,
        tenant.season_vendor,
    ]
    state = {}
    for row in rows:
        fresh = type(row).objects.get(pk=row.pk)
        state[f"{type(row).__name__} {row.pk}"] = model_to_dict(fresh, exclude=["last_login"])
    market = tenant.market
    state["counts"] = (
        Stall.objects.filter(market=market).count(),
        MarketDay.objects.filter(market=market).count(),
        Application.objects.filter(market=market).count(),
        Booking.objects.filter(market_day__market=market).count(),
    )
    return state


def send(world: World, write: Write, field: str, value) -> Any:
    caller = write.caller(world)
    client = token_client(caller) if caller is not None else APIClient()
    body = {**write.body(world), field: value}
    return getattr(client, write.method)(write.url(world), body, format="json")


@pytest.fixture
def world():
    return build_world()


@pytest.mark.parametrize(
    ("write_name", "field", "value", "attribute", "expected"),
    CASES,
    ids=[f"{write} · {field}" for write, field, *_rest in CASES],
)
def test_a_field_the_caller_does_not_own_is_ignored(
    world, write_name, field, value, attribute, expected
):
    write = WRITES[write_name]
    if write.caller is fresh_organizer:
        fresh_organizer(world)
    existing = write.row(world, {}) if expected is UNCHANGED else None
    before = read(existing, attribute) if existing is not None else None
    other_tenant = tenant_state(world.y)
    started = timezone.now()

    response = send(world, write, field, value(world))

    assert response.status_code == write.status, response.content
    row = write.row(world, response.json())
    row = type(row)._base_manager.get(pk=row.pk)  # unconfirmed applications too
    actual = read(row, attribute)
    if expected is UNCHANGED:
        assert actual == before
    elif expected is RECENT:
        assert actual is not None and actual >= started
    elif expected is NOT_HOSTILE_ID:
        assert str(actual) != HOSTILE_ID and str(actual) == response.json()["id"]
        assert not type(row)._base_manager.filter(pk=HOSTILE_ID).exists()
    else:
        assert actual == expected(world)
    assert tenant_state(world.y) == other_tenant


@pytest.mark.parametrize(
    ("write_name", "field", "value", "attribute"),
    REFUSED,
    ids=[f"{write} · {field}" for write, field, *_rest in REFUSED],
)
def test_a_field_the_caller_may_not_set_is_refused(world, write_name, field, value, attribute):
    write = WRITES[write_name]
    existing = write.row(world, {}) if attribute else None
    before = model_to_dict(type(existing).objects.get(pk=existing.pk)) if existing else None
    rows_before = {model: model.objects.count() for model in (Stall, Vendor, Market)}
    other_tenant = tenant_state(world.y)

    response = send(world, write, field, value(world))

    assert response.status_code in {400, 409}, response.content
    body = response.json()
    if response.status_code == 400:
        assert_error(response, 400, "invalid")
        assert field in body["extra"]["fields"], body
    else:
        assert_error(response, 409, "vendor_not_accepted")
    if existing is not None:
        assert model_to_dict(type(existing).objects.get(pk=existing.pk)) == before
    assert {model: model.objects.count() for model in rows_before} == rows_before
    assert tenant_state(world.y) == other_tenant
