"""Tenant isolation over HTTP.

Another organizer's market, stall, day, application or booking is a 404 (never a 403: ids
must not leak), for reads and writes, also when ids of two markets are mixed in one URL; the
refusal changes nothing and looks exactly like the answer for an id that never existed.
Vendors cannot use organizer endpoints; nothing but the public endpoints answers without
credentials.
"""

import uuid

import pytest
from rest_framework.permissions import AllowAny

from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from conftest import domain_snapshot
from marketflow.tests.factories import MarketDayFactory
from marketflow.views import OrganizerAPIView
from seasons.models import SeasonVendor
from seasons.tests.factories import SeasonFactory
from stalls.tests.factories import BookingFactory, StallFactory
from tests.api_contract import api_routes, assert_error, view_methods
from vendors.tests.factories import VendorDocumentFactory
from vendors.views import VendorAPIView

pytestmark = pytest.mark.django_db

MARKET = "/api/markets/{market}/"

# (method, URL template, body). {market}, {stall}, {day}, {application}, {booking} are one
# organizer's; the "their_" names belong to another organizer's market.
FOREIGN_OBJECT_CASES = [
    # The other organizer's market and everything under it.
    ("get", "/api/markets/{their_market}/", None),
    ("patch", "/api/markets/{their_market}/", {"name": "Mine now"}),
    ("put", "/api/markets/{their_market}/", "market"),
    ("delete", "/api/markets/{their_market}/", None),
    ("get", "/api/markets/{their_market}/stalls/", None),
    ("post", "/api/markets/{their_market}/stalls/", {"label": "Z9"}),
    ("get", "/api/markets/{their_market}/stalls/{their_stall}/", None),
    ("patch", "/api/markets/{their_market}/stalls/{their_stall}/", {"label": "Z9"}),
    ("delete", "/api/markets/{their_market}/stalls/{their_stall}/", None),
    ("get", "/api/markets/{their_market}/market-days/", None),
    ("post", "/api/markets/{their_market}/market-days/", "market_day"),
    ("get", "/api/markets/{their_market}/market-days/{their_day}/", None),
    ("patch", "/api/markets/{their_market}/market-days/{their_day}/", {"status": "cancelled"}),
    ("delete", "/api/markets/{their_market}/market-days/{their_day}/", None),
    ("get", "/api/markets/{their_market}/market-days/{their_day}/board/", None),
    ("get", "/api/markets/{their_market}/market-days/{their_day}/bookings/", None),
    ("post", "/api/markets/{their_market}/market-days/{their_day}/bookings/", "their_booking"),
    ("get", "/api/markets/{their_market}/market-days/{their_day}/bookings/{their_booking}/", None),
    (
        "patch",
        "/api/markets/{their_market}/market-days/{their_day}/bookings/{their_booking}/",
        {"payment_status": "waived"},
    ),
    (
        "delete",
        "/api/markets/{their_market}/market-days/{their_day}/bookings/{their_booking}/",
        None,
    ),
    (
        "post",
        "/api/markets/{their_market}/market-days/{their_day}/bookings/{their_booking}/attendance/",
        {"attendance": "no_show"},
    ),
    (
        "put",
        "/api/markets/{their_market}/market-days/{their_day}/bookings/{their_booking}/sales/",
        {"amounts": {"cash": 100}},
    ),
    ("get", "/api/markets/{their_market}/applications/", None),
    ("get", "/api/markets/{their_market}/applications/{their_application}/", None),
    ("post", "/api/markets/{their_market}/applications/{their_application}/accept/", None),
    ("post", "/api/markets/{their_market}/applications/{their_application}/reject/", None),
    ("post", "/api/markets/{their_market}/applications/{their_application}/waitlist/", None),
    (
        "post",
        "/api/markets/{their_market}/applications/{their_application}/reopen/",
        {"reason": "x"},
    ),
    (
        "post",
        "/api/markets/{their_market}/applications/{their_application}/revoke/",
        {"reason": "x"},
    ),
    ("get", "/api/markets/{their_market}/applications/{their_application}/documents/", None),
    ("get", "/api/markets/{their_market}/vendors/", None),
    ("get", "/api/markets/{their_market}/fees/", None),
    ("get", "/api/markets/{their_market}/payouts/", None),
    (
        "post",
        "/api/markets/{their_market}/payouts/{their_vendor}/settle/",
        {"method": "cash", "expected_net_cents": -2500},
    ),
    ("get", "/api/markets/{their_market}/seasons/", None),
    ("post", "/api/markets/{their_market}/seasons/", "season"),
    ("post", "/api/markets/{their_market}/seasons/preview/", "season"),
    ("get", "/api/markets/{their_market}/seasons/{their_season}/", None),
    ("patch", "/api/markets/{their_market}/seasons/{their_season}/", {"name": "Mine"}),
    ("delete", "/api/markets/{their_market}/seasons/{their_season}/", None),
    ("post", "/api/markets/{their_market}/seasons/{their_season}/preview/", {"name": "Mine"}),
    ("get", "/api/markets/{their_market}/seasons/{their_season}/vendors/", None),
    ("post", "/api/markets/{their_market}/seasons/{their_season}/vendors/", "their_member"),
    (
        "delete",
        "/api/markets/{their_market}/seasons/{their_season}/vendors/{their_season_vendor}/",
        None,
    ),
    ("get", "/api/markets/{their_market}/readiness/", None),
    ("get", "/api/markets/{their_market}/sales/summary/", None),
    ("get", "/api/markets/{their_market}/sales/summary.csv", None),
    ("get", "/api/markets/{their_market}/sales/reports/", None),
    (
        "post",
        "/api/markets/{their_market}/documents/{their_document}/review/",
        {"status": "approved"},
    ),
]

MIXED_ID_CASES = [
    # My market, their stall.
    ("get", MARKET + "stalls/{their_stall}/", None),
    ("patch", MARKET + "stalls/{their_stall}/", {"label": "Z9"}),
    ("delete", MARKET + "stalls/{their_stall}/", None),
    # My market, their day.
    ("get", MARKET + "market-days/{their_day}/", None),
    ("patch", MARKET + "market-days/{their_day}/", {"status": "cancelled"}),
    ("delete", MARKET + "market-days/{their_day}/", None),
    ("get", MARKET + "market-days/{their_day}/board/", None),
    ("get", MARKET + "market-days/{their_day}/bookings/", None),
    ("post", MARKET + "market-days/{their_day}/bookings/", "my_booking"),
    # My market, their day, their booking.
    ("get", MARKET + "market-days/{their_day}/bookings/{their_booking}/", None),
    (
        "patch",
        MARKET + "market-days/{their_day}/bookings/{their_booking}/",
        {"payment_status": "waived"},
    ),
    ("delete", MARKET + "market-days/{their_day}/bookings/{their_booking}/", None),
    # My market and day, their booking.
    ("get", MARKET + "market-days/{day}/bookings/{their_booking}/", None),
    ("patch", MARKET + "market-days/{day}/bookings/{their_booking}/", {"payment_status": "paid"}),
    ("delete", MARKET + "market-days/{day}/bookings/{their_booking}/", None),
    (
        "post",
        MARKET + "market-days/{day}/bookings/{their_booking}/attendance/",
        {"attendance": "arrived"},
    ),
    # My market and day, their stall in the body.
    ("post", MARKET + "market-days/{day}/bookings/", "their_stall_in_body"),
    # My market, a document sent to theirs only.
    ("post", MARKET + "documents/{their_document}/review/", {"status": "approved"}),
    # My market, another of my days, a booking of my other day.
    ("get", MARKET + "market-days/{second_day}/bookings/{booking}/", None),
    ("patch", MARKET + "market-days/{second_day}/bookings/{booking}/", {"payment_status": "paid"}),
    ("delete", MARKET + "market-days/{second_day}/bookings/{booking}/", None),
    (
        "post",
        MARKET + "market-days/{second_day}/bookings/{booking}/attendance/",
        {"attendance": "late"},
    ),
    ("put", MARKET + "market-days/{day}/bookings/{their_booking}/sales/", {"amounts": {}}),
    ("put", MARKET + "market-days/{second_day}/bookings/{booking}/sales/", {"amounts": {}}),
    # My market, their application.
    ("get", MARKET + "applications/{their_application}/", None),
    ("post", MARKET + "applications/{their_application}/accept/", None),
    ("post", MARKET + "applications/{their_application}/reject/", {"reason": "No."}),
    ("post", MARKET + "applications/{their_application}/waitlist/", None),
    ("post", MARKET + "applications/{their_application}/revoke/", {"reason": "No."}),
    # My market, their season; my season, their stall in the body.
    ("get", MARKET + "seasons/{their_season}/", None),
    ("patch", MARKET + "seasons/{their_season}/", {"name": "Mine"}),
    ("delete", MARKET + "seasons/{their_season}/", None),
    ("post", MARKET + "seasons/{their_season}/preview/", {"name": "Mine"}),
    ("get", MARKET + "seasons/{their_season}/vendors/", None),
    ("post", MARKET + "seasons/{season}/vendors/", "their_stall_in_body"),
    ("delete", MARKET + "seasons/{season}/vendors/{their_season_vendor}/", None),
    ("get", MARKET + "applications/{their_application}/documents/", None),
    # Their market, my objects: the market decides first.
    ("get", "/api/markets/{their_market}/stalls/{stall}/", None),
    ("get", "/api/markets/{their_market}/market-days/{day}/", None),
    ("get", "/api/markets/{their_market}/market-days/{day}/bookings/{booking}/", None),
    ("post", "/api/markets/{their_market}/applications/{application}/accept/", None),
    # My market, their vendor (booked only at their market).
    (
        "post",
        MARKET + "payouts/{their_vendor}/settle/",
        {"method": "cash", "expected_net_cents": 0},
    ),
]


@pytest.fixture
def world(market, other_market):
    """Two organizers' markets, each with a stall, a day, an application and a booking."""
    names = {}
    for prefix, owned in (("", market), ("their_", other_market)):
        stall = StallFactory(market=owned)
        day = MarketDayFactory(market=owned)
        booked = AcceptedApplicationFactory(market=owned)
        booking = BookingFactory(market_day=day, vendor=booked.vendor)
        application = ApplicationFactory(market=owned)
        document = VendorDocumentFactory(vendor=application.vendor)
        application.documents.add(document)
        free_vendor = AcceptedApplicationFactory(market=owned).vendor
        season = SeasonFactory(market=owned)
        member = SeasonVendor.objects.create(season=season, vendor=booked.vendor, stall=stall)
        names.update(
            {
                f"{prefix}market": owned.id,
                f"{prefix}stall": stall.id,
                f"{prefix}day": day.id,
                f"{prefix}booking": booking.id,
                f"{prefix}application": application.id,
                f"{prefix}document": document.id,
                f"{prefix}free_vendor": free_vendor.id,
                f"{prefix}season": season.id,
                f"{prefix}season_vendor": member.id,
                f"{prefix}vendor": booked.vendor.id,
            }
        )
    names["second_day"] = MarketDayFactory(market=market).id
    return names


def request_body(body, world):
    """Bodies that would succeed if the URL's objects were the caller's own."""
    if body == "market":
        return {"name": "Mine now", "slug": "mine-now", "timezone": "UTC", "currency": "EUR"}
    if body == "market_day":
        return {"date": "2099-01-01", "start_time": "08:00", "end_time": "12:00"}
    if body == "their_booking":
        return {"stall_id": str(world["their_stall"]), "vendor_id": str(world["their_free_vendor"])}
    if body == "my_booking":
        return {"stall_id": str(world["stall"]), "vendor_id": str(world["free_vendor"])}
    if body == "season":
        return {
            "name": "Mine",
            "start_date": "2099-01-01",
            "end_date": "2099-01-31",
            "weekly_pattern": [{"weekday": 5, "start_time": "08:00", "end_time": "13:00"}],
        }
    if body == "their_member":
        return {"stall_id": str(world["their_stall"]), "vendor_id": str(world["their_free_vendor"])}
    if body == "their_stall_in_body":
        return {"stall_id": str(world["their_stall"]), "vendor_id": str(world["free_vendor"])}
    return body


def check_foreign_is_not_found(client, world, method, template, body):
    before = domain_snapshot()

    response = getattr(client, method)(
        template.format(**world), request_body(body, world), format="json"
    )

    found = assert_error(response, 404, "not_found")
    assert domain_snapshot() == before
    # Indistinguishable from an id that never existed.
    never = {
        name: (uuid.uuid4() if name.startswith("their_") else value)
        for name, value in world.items()
    }
    response = getattr(client, method)(
        template.format(**never), request_body(body, never), format="json"
    )
    assert response.json() == found


@pytest.mark.parametrize(("method", "template", "body"), FOREIGN_OBJECT_CASES)
def test_another_organizers_objects_are_404(organizer_client, world, method, template, body):
    check_foreign_is_not_found(organizer_client, world, method, template, body)


@pytest.mark.parametrize(("method", "template", "body"), MIXED_ID_CASES)
def test_ids_mixed_across_markets_are_404(organizer_client, world, method, template, body):
    check_foreign_is_not_found(organizer_client, world, method, template, body)


OWN_BODY = {
    "their_booking": "my_booking",
    "their_stall_in_body": "my_booking",
    "their_member": "my_booking",
}


@pytest.mark.parametrize(("method", "template", "body"), FOREIGN_OBJECT_CASES + MIXED_ID_CASES)
def test_the_same_call_on_own_objects_is_not_404(organizer_client, world, method, template, body):
    """Guards the cases above: their 404 comes from the foreign id, not from a bad call."""
    own_template = template.replace("{their_", "{").replace("{second_day}", "{day}")
    own_body = OWN_BODY.get(body, body) if isinstance(body, str) else body

    response = getattr(organizer_client, method)(
        own_template.format(**world), request_body(own_body, world), format="json"
    )

    assert response.status_code in {200, 201, 204, 409}, response.content


def test_another_organizers_lists_do_not_leak(other_organizer_client, world):
    response = other_organizer_client.get("/api/markets/")

    assert [row["id"] for row in response.json()["results"]] == [str(world["their_market"])]


# Roles.


def organizer_routes():
    return [
        (method, template)
        for template, view in api_routes()
        if issubclass(view, OrganizerAPIView)
        for method in view_methods(view)
    ]


def vendor_routes():
    return [
        (method, template)
        for template, view in api_routes()
        if issubclass(view, VendorAPIView)
        for method in view_methods(view)
    ]


def fill(template: str, world: dict) -> str:
    return template.format(
        market_id=world["market"],
        stall_id=world["stall"],
        market_day_id=world["day"],
        booking_id=world["booking"],
        application_id=world["application"],
        season_id=world["season"],
        season_vendor_id=world["season_vendor"],
        vendor_id=world["vendor"],
        document_id=world["document"],
        token_id=uuid.uuid4(),  # asked without credentials only
        entry_id=uuid.uuid4(),  # refused before any lookup
        offer_id=uuid.uuid4(),
    )


@pytest.mark.parametrize(("method", "template"), organizer_routes())
def test_vendors_cannot_use_organizer_endpoints(vendor_client, world, method, template):
    before = domain_snapshot()

    response = getattr(vendor_client, method.lower())(fill(template, world), {}, format="json")

    assert_error(response, 403, "not_an_organizer")
    assert domain_snapshot() == before


@pytest.mark.parametrize(("method", "template"), vendor_routes())
def test_organizers_cannot_use_vendor_endpoints(organizer_client, world, method, template):
    before = domain_snapshot()

    response = getattr(organizer_client, method.lower())(fill(template, world), {}, format="json")

    assert_error(response, 403, "not_a_vendor")
    assert domain_snapshot() == before


def test_role_routes_cover_the_api():
    assert len(organizer_routes()) == 56
    assert len(vendor_routes()) == 17


# Credentials.

PUBLIC_PATHS = {
    "/api/auth/token/",
    "/api/public/markets/{market_id}/",
    "/api/public/markets/{market_id}/apply/",
    "/api/public/markets/{market_id}/vendors/",
    "/api/schema/",
    "/api/docs/",
    "/api/redoc/",
}


def is_public(view) -> bool:
    return any(permission is AllowAny for permission in view.permission_classes)


def protected_routes():
    return [
        (method, template)
        for template, view in api_routes()
        if not is_public(view)
        for method in view_methods(view)
    ]


def test_exactly_the_public_endpoints_are_public():
    assert {template for template, view in api_routes() if is_public(view)} == PUBLIC_PATHS


@pytest.mark.parametrize(("method", "template"), protected_routes())
def test_no_credentials_is_401_on_every_non_public_endpoint(anon_client, world, method, template):
    before = domain_snapshot()

    response = getattr(anon_client, method.lower())(fill(template, world), {}, format="json")

    assert_error(response, 401, "not_authenticated")
    assert response.headers["WWW-Authenticate"] == "Token"
    assert domain_snapshot() == before
