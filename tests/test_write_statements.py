"""Every write request commits once, and runs the statements bench/README.md explains.

Real commits (``transaction=True``), the database task queue as in production, and Django's
own query log: it records BEGIN and COMMIT too. Each statement is pinned by its verb and its
table, so a new statement shows up here with the table it touches. A task row inserted
between BEGIN and COMMIT is the transactional outbox: it commits or rolls back with the write.
"""

import datetime
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application
from applications.services import application_submit
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from applications.tokens import confirmation_token
from conftest import token_client
from marketflow.models import MarketDay
from marketflow.tests.factories import MarketDayFactory
from stalls.models import Booking
from stalls.tests.factories import BookingFactory, StallFactory
from vendors.tests.uploads import pdf, png

pytestmark = pytest.mark.django_db(transaction=True)

TASK = "INSERT django_tasks_database_dbtaskresult"
AUDIT = "INSERT django_admin_log"
TOKEN_USER = "SELECT marketflow_apitoken"  # token authentication (with its user), before the write


@pytest.fixture(autouse=True)
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # Cached per process after the first audit entry, as in a running server.
    ContentType.objects.get_for_models(Application, Booking, MarketDay)


def statement(sql: str) -> str:
    """``BEGIN``, ``COMMIT``, or the verb and the first table, ``(locked)`` for FOR UPDATE."""
    if sql in ("BEGIN", "COMMIT"):
        return sql
    if "SAVEPOINT" in sql:  # ``SAVEPOINT``, ``RELEASE SAVEPOINT``, ``ROLLBACK TO SAVEPOINT``
        return sql.split('"')[0].strip()
    table = re.search(r'(?:FROM|INTO|UPDATE) "(\w+)"', sql).group(1)
    locked = " (locked)" if re.search(r" FOR (NO KEY )?UPDATE", sql) else ""
    return f"{sql.split()[0]} {table}{locked}"


def run(request) -> list[str]:
    """The statements of one request; asserts that it wrote in exactly one transaction."""
    with CaptureQueriesContext(connection) as captured:
        response = request()
    assert response.status_code < 400, response.content
    statements = [statement(query["sql"]) for query in captured.captured_queries]
    assert statements.count("COMMIT") == 1
    begin, commit = statements.index("BEGIN"), statements.index("COMMIT")
    outside = statements[:begin] + statements[commit + 1 :]
    assert not [s for s in outside if not s.startswith("SELECT")], "a write outside it"
    return statements


APPLY = [
    "SELECT marketflow_market",  # active, its categories and required documents (by id or slug)
    "BEGIN",  # the service takes the market the view or page read: it is not read again
    "INSERT applications_application",  # unconfirmed: no vendor is read or written
    TASK,  # the confirmation link to the e-mail
    "COMMIT",
]


def submission(market, email="ana@hillside.example") -> dict:
    return {
        "email": email,
        "business_name": "Hillside Honey",
        "contact_name": "Ana",
        "product_categories": ["produce"],
    }


def test_the_public_apply_api(market):
    url = reverse("api:public-apply", kwargs={"market_id": market.pk})

    statements = run(lambda: Client().post(url, submission(market), "application/json"))

    assert statements == APPLY


def test_the_public_apply_api_for_a_known_vendor(market, vendor):
    url = reverse("api:public-apply", kwargs={"market_id": market.pk})

    statements = run(
        lambda: Client().post(url, submission(market, vendor.email), "application/json")
    )

    assert statements == APPLY  # held unconfirmed like any other


def test_the_public_apply_api_signed_in_as_the_vendor(market, vendor, vendor_user):
    url = reverse("api:public-apply", kwargs={"market_id": market.pk})
    client = token_client(vendor_user)

    statements = run(lambda: client.post(url, submission(market, vendor.email), "json"))

    assert statements == [
        TOKEN_USER,
        "SELECT marketflow_market",
        "BEGIN",
        "SELECT vendors_vendor",  # the signed-in user's, under that e-mail: no confirmation
        "INSERT applications_application",  # pending: one open per vendor and market
        TASK,  # e-mails to the vendor and the organizer
        "COMMIT",
    ]


def test_the_apply_form(market):
    url = f"/m/{market.slug}/apply/"

    statements = run(lambda: Client().post(url, submission(market)))

    assert statements == APPLY


def test_a_confirmation(market):
    application = application_submit(market=market, **submission(market))
    url = reverse("application-confirm", kwargs={"token": confirmation_token(application.pk)})

    statements = run(lambda: Client().post(url))

    assert statements == [
        "BEGIN",
        "SELECT applications_application (locked)",  # unconfirmed, with its market
        "INSERT vendors_vendor",  # ON CONFLICT (e-mail) DO NOTHING
        "SELECT vendors_vendor",  # the vendor, new or known
        "UPDATE applications_application",  # pending: one open per vendor and market
        "UPDATE vendors_vendordocument",  # its documents become the vendor's
        TASK,  # e-mails to the vendor and the organizer
        "COMMIT",
    ]


def test_booking_create(organizer, market):
    market_day = MarketDayFactory(market=market)
    stall = StallFactory(market=market)
    vendor_id = AcceptedApplicationFactory(market=market).vendor_id
    url = reverse(
        "api:booking-list", kwargs={"market_id": market.pk, "market_day_id": market_day.pk}
    )
    client = token_client(organizer)

    statements = run(
        lambda: client.post(url, {"stall_id": str(stall.pk), "vendor_id": str(vendor_id)}, "json")
    )

    assert statements == [
        TOKEN_USER,
        "BEGIN",
        "SELECT marketflow_market",  # the organizer's
        "SELECT marketflow_marketday (locked)",  # bookings of one day serialize
        "SELECT stalls_stall",  # of the market, and its price
        "SELECT stalls_stalloffer",  # an open waitlist offer holds the stall
        "SELECT applications_application (locked)",  # accepted; a withdrawal waits for us
        "SELECT stalls_booking",  # the stall or the vendor already booked that day?
        "INSERT stalls_booking",
        AUDIT,
        "SELECT stalls_vendorcredit (locked)",  # the vendor's credits, paying the fee
        "COMMIT",
        "SELECT stalls_booking",  # the response, with stall and vendor
    ]


def test_booking_cancel(organizer, market):
    booking = BookingFactory(market_day=MarketDayFactory(market=market))
    url = reverse(
        "api:booking-detail",
        kwargs={
            "market_id": market.pk,
            "market_day_id": booking.market_day_id,
            "booking_id": booking.pk,
        },
    )
    client = token_client(organizer)

    statements = run(lambda: client.delete(url))

    assert statements == [
        TOKEN_USER,
        "BEGIN",
        "SELECT marketflow_market",
        "SELECT marketflow_marketday (locked)",
        "SELECT stalls_booking (locked)",  # against a concurrent "mark paid"
        "SELECT vendors_vendor",  # its name, for the audit entry
        "SELECT stalls_stall",  # its label, for the audit entry
        "UPDATE stalls_booking",  # cancelled, the row kept
        AUDIT,  # on the booking and on the market day, one insert
        "SELECT stalls_waitlistentry",  # vendors waiting for that day, to offer the stall
        "COMMIT",
    ]


@pytest.mark.parametrize("decision", ["accept", "reject", "waitlist"])
def test_a_decision(organizer, market, decision):
    application = ApplicationFactory(market=market)
    url = reverse(
        f"api:application-{decision}",
        kwargs={"market_id": market.pk, "application_id": application.pk},
    )
    client = token_client(organizer)

    statements = run(lambda: client.post(url, {}, "json"))

    plan_limit = [
        "SELECT marketflow_user",  # the market's owner: which plan
        "SELECT applications_application",  # COUNT of its active vendors
    ]
    assert statements == [
        TOKEN_USER,
        "BEGIN",
        "SELECT marketflow_market (locked)",  # decisions of one market serialize
        "SELECT applications_application (locked)",
        *(plan_limit if decision == "accept" else []),
        "UPDATE applications_application",
        AUDIT,
        TASK,  # the decision's e-mail to the vendor
        "COMMIT",
        "SELECT applications_application",  # the response, with vendor and documents
    ]


def test_the_apply_form_with_documents(market):
    market.required_document_types = ["insurance"]
    market.save()
    url = f"/m/{market.slug}/apply/"
    data = {**submission(market), "insurance": pdf(), "product_photo": [png("a.png"), png("b.png")]}

    statements = run(lambda: Client().post(url, data))

    assert (
        statements
        == [
            *APPLY[:-2],
            "INSERT vendors_vendordocument",  # the three files' rows, one insert
            "INSERT applications_application_documents",  # listed on the application, one insert
            *APPLY[-2:],
        ]
    )


def test_a_season_change_and_a_full_season_vendor(organizer, market):
    """A change of a season and a full-season booking each write in one transaction, however
    many days they touch: the market, the season and its days locked first, in that order."""
    client = token_client(organizer)
    start = MarketDayFactory.build().date
    created = client.post(
        reverse("api:season-list", kwargs={"market_id": market.pk}),
        {
            "name": "Summer",
            "start_date": str(start),
            "end_date": str(start + datetime.timedelta(days=27)),
            "weekly_pattern": [{"weekday": 5, "start_time": "08:00", "end_time": "13:00"}],
        },
        "json",
    ).json()["season"]
    url = reverse("api:season-detail", kwargs={"market_id": market.pk, "season_id": created["id"]})
    vendor_id = AcceptedApplicationFactory(market=market).vendor_id
    stall = StallFactory(market=market)

    change = run(
        lambda: client.patch(
            url,
            {"weekly_pattern": [{"weekday": 2, "start_time": "08:00", "end_time": "13:00"}]},
            "json",
        )
    )
    joined = run(
        lambda: client.post(
            url + "vendors/", {"vendor_id": vendor_id, "stall_id": stall.pk}, "json"
        )
    )

    locks = [s for s in change if s.endswith("(locked)")]
    assert locks[:3] == [
        "SELECT marketflow_market (locked)",
        "SELECT seasons_season (locked)",
        "SELECT marketflow_marketday (locked)",  # the season's days, before counting bookings
    ]
    assert change.count("INSERT marketflow_marketday") == 1  # the new days, in one insert
    assert [s for s in joined if s.endswith("(locked)")][0] == "SELECT seasons_season (locked)"
    assert joined.count("INSERT stalls_booking") == 4  # one per Wednesday, one transaction
    # Each booking in a savepoint, so that a refused day is skipped and the rest goes on.
    assert joined.count("RELEASE SAVEPOINT") == 5  # and the full-season row's
