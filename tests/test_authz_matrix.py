"""The authorization matrix, generated from the OpenAPI schema: every operation × six actors
(anonymous, vendor A, vendor B, the organizer of market X, the organizer of market Y, a
platform superuser) × objects of market X and of market Y. A new endpoint joins on its own.

Each cell's expectation follows from rules, not from a table:

- public operations (no security requirement) are open to everyone;
- organizer operations (``/api/markets/...``): anonymous 401, vendors 403, the organizer who
  owns the market and the superuser are let through (2xx, or a 4xx that is not 401/403/404:
  a state conflict, a plan limit), the other organizer gets 404 (ids must not leak);
- the vendor's own operations (``/api/me/...``): anonymous 401, organizers and the superuser
  403, a vendor is let through on their own objects and gets 404 on another vendor's (403
  ``offer_not_yours`` on another vendor's stall offer, whose link is e-mailed);
- the account's operations (``/api/me/``, ``/api/auth/...``): anonymous 401, anyone signed in
  is let through, and gets 404 on another user's token.

A refused request changes no row. No answer, whether list, detail or error, contains an id of
a tenant the actor may not see. Each cell runs in a savepoint that is rolled back, so every
cell starts from the same world.
"""

import datetime
import re
from collections import Counter
from dataclasses import dataclass

import pytest
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from conftest import domain_snapshot, token_client
from sales.selectors import market_payouts
from tests.api_contract import assert_error
from tests.two_markets import Tenant, World, build_world

pytestmark = pytest.mark.django_db

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
HTTP_METHODS = {"get", "put", "patch", "post", "delete"}
OPERATIONS = sorted(
    (method.upper(), path, definition)
    for path, item in SCHEMA["paths"].items()
    for method, definition in item.items()
    if method in HTTP_METHODS
)
ACTORS = ("anonymous", "vendor_a", "vendor_b", "organizer_x", "organizer_y", "superuser")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CELLS: Counter[str] = Counter()  # outcome -> cells checked
ALLOWED = "allowed"


def is_public(definition) -> bool:
    requirements = definition.get("security", SCHEMA.get("security", []))
    return not requirements or {} in requirements


def kind(path: str, definition) -> str:
    if is_public(definition):
        return "public"
    if path == "/api/me/" or path.startswith("/api/auth/"):
        return "account"
    if path.startswith("/api/me/"):
        return "vendor"
    if path.startswith("/api/markets/"):
        return "organizer"
    raise AssertionError(f"{path}: a new kind of endpoint; give the matrix a rule for it")


# -- the world and the requests -------------------------------------------------------------


@dataclass
class Actor:
    name: str
    client: APIClient
    tenant: Tenant | None  # the market side the actor belongs to
    role: str  # anonymous, vendor, organizer, superuser


def actors(world: World) -> dict[str, Actor]:
    return {
        "anonymous": Actor("anonymous", APIClient(), None, "anonymous"),
        "vendor_a": Actor("vendor_a", token_client(world.x.vendor.user), world.x, "vendor"),
        "vendor_b": Actor("vendor_b", token_client(world.y.vendor.user), world.y, "vendor"),
        "organizer_x": Actor("organizer_x", token_client(world.x.organizer), world.x, "organizer"),
        "organizer_y": Actor("organizer_y", token_client(world.y.organizer), world.y, "organizer"),
        "superuser": Actor("superuser", token_client(world.superuser), None, "superuser"),
    }


def path_ids(path: str, tenant: Tenant) -> dict[str, str]:
    ids = tenant.sales_path_ids() if path.endswith("/sales/") else tenant.path_ids()
    if path.endswith(("/accept/", "/reject/", "/waitlist/")):
        # A decision the owner can make: the tenant's pending application.
        ids["application_id"] = str(tenant.pending_application.pk)
    return ids


def in_a_month() -> str:
    return str(datetime.date.today() + datetime.timedelta(days=30))


def new_season() -> dict:
    return {
        "name": "New season",
        "start_date": in_a_month(),
        "end_date": in_a_month(),
        "weekly_pattern": [
            {"weekday": day, "start_time": "08:00", "end_time": "13:00"} for day in range(7)
        ],
    }


# A body that succeeds when the caller may do the operation, so that a refusal comes from
# authorization, not from validation. A write operation of the schema needs one here.
BODIES = {
    ("POST", "/api/auth/token/"): lambda t: {
        "email": t.organizer.email,
        "password": "correct-horse-battery",
    },
    ("POST", "/api/public/markets/{market_id}/apply/"): lambda t: {
        "business_name": "New Stand",
        "contact_name": "Nia New",
        "email": "new-stand@example.com",
        "product_categories": ["crafts"],
    },
    ("POST", "/api/markets/"): lambda t: {
        "name": "Another market",
        "slug": "another-market",
        "timezone": "Europe/Berlin",
        "currency": "EUR",
    },
    ("PUT", "/api/markets/{market_id}/"): lambda t: {
        "name": "Renamed",
        "slug": f"renamed-{t.market.slug}",
        "timezone": "Europe/Berlin",
        "currency": "EUR",
    },
    ("PATCH", "/api/markets/{market_id}/"): lambda t: {"name": "Renamed"},
    ("POST", "/api/markets/{market_id}/stalls/"): lambda t: {"label": "NEW-1"},
    ("PATCH", "/api/markets/{market_id}/stalls/{stall_id}/"): lambda t: {"label": "NEW-2"},
    ("POST", "/api/markets/{market_id}/market-days/"): lambda t: {
        "date": in_a_month(),
        "start_time": "08:00",
        "end_time": "13:00",
    },
    ("PATCH", "/api/markets/{market_id}/market-days/{market_day_id}/"): lambda t: {
        "note": "Bring umbrellas."
    },
    ("POST", "/api/markets/{market_id}/market-days/{market_day_id}/bookings/"): lambda t: {
        "stall_id": str(t.free_stall.pk),
        "vendor_id": str(t.free_vendor.pk),
    },
    (
        "PATCH",
        "/api/markets/{market_id}/market-days/{market_day_id}/bookings/{booking_id}/",
    ): lambda t: {"payment_status": "paid"},
    # The day is not today: the owner's check-in is a conflict (409), still let through.
    (
        "POST",
        "/api/markets/{market_id}/market-days/{market_day_id}/bookings/{booking_id}/attendance/",
    ): lambda t: {"attendance": "arrived"},
    ("POST", "/api/markets/{market_id}/applications/{application_id}/accept/"): lambda t: {},
    ("POST", "/api/markets/{market_id}/applications/{application_id}/reject/"): lambda t: {
        "reason": "Full."
    },
    ("POST", "/api/markets/{market_id}/applications/{application_id}/waitlist/"): lambda t: {},
    # The tenant's accepted application: revoking it succeeds; reopening it is a conflict.
    ("POST", "/api/markets/{market_id}/applications/{application_id}/reopen/"): lambda t: {
        "reason": "Second look."
    },
    ("POST", "/api/markets/{market_id}/applications/{application_id}/revoke/"): lambda t: {
        "reason": "Left the market."
    },
    ("POST", "/api/markets/{market_id}/seasons/"): lambda t: new_season(),
    ("POST", "/api/markets/{market_id}/seasons/preview/"): lambda t: new_season(),
    ("PATCH", "/api/markets/{market_id}/seasons/{season_id}/"): lambda t: {"name": "Renamed"},
    ("POST", "/api/markets/{market_id}/seasons/{season_id}/preview/"): lambda t: {
        "name": "Renamed"
    },
    ("POST", "/api/markets/{market_id}/seasons/{season_id}/vendors/"): lambda t: {
        "stall_id": str(t.free_stall.pk),
        "vendor_id": str(t.free_vendor.pk),
    },
    ("POST", "/api/markets/{market_id}/documents/{document_id}/review/"): lambda t: {
        "status": "approved"
    },
    # The tenant's booked vendor owes the booking's fee: the net the organizer would see.
    ("POST", "/api/markets/{market_id}/payouts/{vendor_id}/settle/"): lambda t: {
        "method": "cash",
        "expected_net_cents": next(
            row["net_cents"]
            for row in market_payouts(market=t.market)
            if row["vendor_id"] == t.vendor.pk
        ),
    },
    ("PATCH", "/api/me/vendor/"): lambda t: {"phone": "+49 30 7654321"},
    # The tenant's reported day (``sales_path_ids``): a revision.
    ("PUT", "/api/me/bookings/{booking_id}/sales/"): lambda t: {
        "amounts": {"cash": 100},
        "reason": "Recounted.",
    },
    (
        "PUT",
        "/api/markets/{market_id}/market-days/{market_day_id}/bookings/{booking_id}/sales/",
    ): lambda t: {"amounts": {"cash": 100}, "reason": "From the slip."},
    ("PATCH", "/api/me/vendor/directory/"): lambda t: {"directory_listed": True},
    # The tenant's day: its vendor is booked on it (a 409 conflict, past authorization).
    ("POST", "/api/me/waitlist/"): lambda t: {"market_day_id": str(t.day.pk)},
    (
        "PATCH",
        "/api/markets/{market_id}/market-days/{market_day_id}/waitlist/{entry_id}/",
    ): lambda t: {"priority_points": 5},
    ("POST", "/api/markets/{market_id}/market-days/{market_day_id}/offers/pause/"): lambda t: {
        "paused": True
    },
    # Public; only Stripe's signature (tests/test_stripe_webhooks.py) makes an event count.
    ("POST", "/webhooks/stripe/"): lambda t: {
        "id": "evt_matrix",
        "object": "event",
        "type": "account.updated",
        "created": 0,
        "data": {"object": {"id": "acct_matrix"}},
    },
}

# Operations whose body names a tenant's object (no path id does): checked per tenant.
BODY_TARGETS = {("POST", "/api/me/waitlist/")}


# -- the rules ------------------------------------------------------------------------------


def expectation(actor: Actor, method: str, path: str, definition, target: Tenant | None):
    """``ALLOWED``, or the (status, code) the actor must be refused with."""
    operation_kind = kind(path, definition)
    if operation_kind == "public":
        return ALLOWED
    if actor.role == "anonymous":
        return 401, "not_authenticated"
    if operation_kind == "account":
        # Only path: a token of the target's organizer.
        if target is None or (actor.role == "organizer" and actor.tenant is target):
            return ALLOWED
        return 404, "not_found"
    if operation_kind == "organizer":
        if actor.role == "vendor":
            return 403, "not_an_organizer"
        if actor.role == "superuser" or target is None or actor.tenant is target:
            return ALLOWED
        return 404, "not_found"
    # The vendor's own endpoints.
    if actor.role != "vendor":
        return 403, "not_a_vendor"
    if target is None or actor.tenant is target:
        return ALLOWED
    if "{offer_id}" in path:
        # An offer is e-mailed as a link; opened while signed in as another vendor, it says
        # so (and nothing of the offer), so that they sign in as the vendor it was made to.
        return 403, "offer_not_yours"
    return 404, "not_found"


def visible_tenants(actor: Actor, path: str, definition, target: Tenant | None, world):
    """The tenants whose rows may appear in the answer."""
    tenants = [world.x, world.y] if target is None else [target]
    if kind(path, definition) == "public" or actor.role == "superuser":
        return tenants
    return [tenant for tenant in tenants if tenant is actor.tenant]


# -- the matrix -----------------------------------------------------------------------------


def check_cell(world, actor: Actor, method, path, definition, target) -> list[str]:
    """Send one request and return what is wrong with the answer (nothing, if all holds)."""
    ids = path_ids(path, target or world.x)
    url = path.format(**ids)
    body = BODIES[method, path](target or world.x) if (method, path) in BODIES else None
    expected = expectation(actor, method, path, definition, target)
    problems = []
    with transaction.atomic():
        before = domain_snapshot() if expected != ALLOWED else None
        response = getattr(actor.client, method.lower())(url, body, format="json")
        if before is not None and domain_snapshot() != before:
            problems.append("a refused request changed rows")
        transaction.set_rollback(True)

    if expected == ALLOWED:
        if response.status_code >= 500 or response.status_code in {401, 403, 404}:
            problems.append(f"expected to be let through, got {response.status_code}")
        CELLS[ALLOWED] += 1
    else:
        status, code = expected
        try:
            assert_error(response, status, code)
        except AssertionError:
            problems.append(f"expected {status} {code}, got {response.status_code}")
        CELLS[f"refused {status}"] += 1

    visible = visible_tenants(actor, path, definition, target, world)
    hidden = set().union(*(t.row_ids() for t in (world.x, world.y) if t not in visible))
    leaked = set(UUID_RE.findall(response.getvalue().decode())) & hidden  # CSVs stream
    if leaked:
        problems.append(f"answer contains ids of another tenant: {sorted(leaked)}")
    return [f"{actor.name} {method} {url}: {problem}" for problem in problems]


@pytest.fixture(scope="module", autouse=True)
def report_cells(request):
    yield
    if not CELLS:
        return
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is not None and reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write("\n")  # after the progress dots of -q
            reporter.write_line(
                f"authorization matrix: {sum(CELLS.values())} cells checked "
                f"({', '.join(f'{outcome}: {n}' for outcome, n in sorted(CELLS.items()))})"
            )


@pytest.fixture
def world():
    return build_world()


@pytest.mark.parametrize(
    ("method", "path", "definition"),
    OPERATIONS,
    ids=[f"{method} {path}" for method, path, _definition in OPERATIONS],
)
def test_authorization_matrix(world, method, path, definition):
    cast = actors(world)
    targets = [world.x, world.y] if "{" in path or (method, path) in BODY_TARGETS else [None]
    problems = [
        problem
        for actor in ACTORS
        for target in targets
        for problem in check_cell(world, cast[actor], method, path, definition, target)
    ]
    assert not problems, "\n".join(problems)


def test_every_write_operation_has_a_body_that_would_succeed():
    """A new write endpoint must say what a valid request looks like, or its refusals could
    come from validation instead of authorization."""
    with_body = {
        (method, path) for method, path, definition in OPERATIONS if "requestBody" in definition
    }
    assert with_body - BODIES.keys() == set()
    assert BODIES.keys() - with_body == set()  # no stale entries
