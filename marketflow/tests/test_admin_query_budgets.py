"""Query budgets of the admin site: every changelist runs the same number of queries with 1
row and with a full page (more rows than a page), the stall board and the dashboard with few
rows and with many; filtered lists use indexes."""

import datetime

import pytest
from django.db import connection, transaction
from django.urls import reverse

from applications.models import Application
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow.models import User
from marketflow.tests.factories import MarketDayFactory, MarketFactory, OrganizerFactory
from seasons.tests.factories import SeasonFactory
from stalls.models import MarketMessage
from stalls.tests.factories import BookingFactory, StallFactory
from tests.admin_support import admin_url, count_queries
from vendors.models import DocumentReview
from vendors.tests.factories import VendorDocumentFactory

pytestmark = pytest.mark.django_db


def make_markets(market, count):
    for _number in range(count):
        MarketFactory(organizer=market.organizer)


def make_market_days(market, count):
    for _number in range(count):
        MarketDayFactory(market=market)


def make_stalls(market, count):
    for _number in range(count):
        StallFactory(
            market=market, assigned_vendor=AcceptedApplicationFactory(market=market).vendor
        )


def make_bookings(market, count):
    for _number in range(count):
        vendor = AcceptedApplicationFactory(market=market).vendor
        BookingFactory(
            market_day=MarketDayFactory(market=market),
            stall=StallFactory(market=market),
            vendor=vendor,
        )


def make_applications(market, count):
    for _number in range(count):
        ApplicationFactory(market=market)


def make_messages(market, count):
    day = MarketDayFactory(market=market)
    for number in range(count):
        MarketMessage.objects.create(
            market=market,
            audience="market_day" if number % 2 else "accepted",
            market_day=day if number % 2 else None,
            subject=f"Notice {number}",
            body="Hello.",
            sent_by=market.organizer,
            recipients=["a@example.com"],
        )


def make_seasons(market, count):
    for _number in range(count):
        SeasonFactory(market=market)


def make_users(market, count):
    for _number in range(count):
        OrganizerFactory()


MAKERS = {
    "market": make_markets,
    "marketday": make_market_days,
    "stall": make_stalls,
    "booking": make_bookings,
    "application": make_applications,
    "vendor": make_applications,  # one vendor per application
    "user": make_users,
    "marketmessage": make_messages,
    "season": make_seasons,
}
# Upper bounds, so that a fixed-but-wasteful page is noticed too.
CEILINGS = {
    "market": 8,
    "marketday": 8,
    "stall": 8,
    "booking": 8,
    "application": 8,
    "vendor": 8,
    "marketmessage": 8,
    "season": 8,
}


def rows_of(client, model_name) -> tuple[int, int, int]:
    """(queries, rows shown, rows a full page shows)."""
    queries, response = count_queries(lambda: client.get(admin_url(model_name)))
    assert response.status_code == 200
    changelist = response.context["cl"]
    return queries, len(changelist.result_list), changelist.list_per_page


@pytest.mark.parametrize("model_name", list(CEILINGS))
def test_an_organizers_changelist_costs_the_same_for_1_row_and_a_full_page(
    model_name, organizer, organizer_admin
):
    User.objects.filter(pk=organizer.pk).update(plan=User.Plan.PAID)
    market = MarketFactory(organizer=organizer)
    one_row = 0 if model_name == "market" else 1  # the market itself is the first row
    MAKERS[model_name](market, one_row)
    queries_for_one, rows, per_page = rows_of(organizer_admin, model_name)
    assert rows == 1

    MAKERS[model_name](market, per_page)
    queries_for_page, rows, _per_page = rows_of(organizer_admin, model_name)

    assert rows == per_page
    assert queries_for_page == queries_for_one <= CEILINGS[model_name]


@pytest.mark.parametrize("model_name", [*CEILINGS, "user"])
def test_a_superusers_changelist_costs_the_same_for_1_row_and_a_full_page(
    model_name, superuser, superuser_admin
):
    organizer = OrganizerFactory(plan=User.Plan.PAID)
    market = MarketFactory(organizer=organizer)
    # The superuser and the market's organizer are the first two users.
    MAKERS[model_name](market, {"market": 0, "user": 0}.get(model_name, 1))
    queries_for_one, rows, per_page = rows_of(superuser_admin, model_name)
    expected_first = 2 if model_name == "user" else 1
    assert rows == expected_first

    MAKERS[model_name](market, per_page)
    queries_for_page, rows, _per_page = rows_of(superuser_admin, model_name)

    assert rows == per_page
    assert queries_for_page == queries_for_one


def test_the_stall_board_costs_the_same_for_1_and_100_stalls(organizer, organizer_admin):
    market = MarketFactory(organizer=organizer)
    day = MarketDayFactory(market=market)
    url = reverse("admin:stalls_booking_board", args=[day.pk])

    def add_booked_stalls(count):
        for _number in range(count):
            vendor = AcceptedApplicationFactory(market=market).vendor
            BookingFactory(market_day=day, stall=StallFactory(market=market), vendor=vendor)
            AcceptedApplicationFactory(market=market)  # and someone still to book
            StallFactory(market=market)  # on a free stall

    add_booked_stalls(1)
    queries_for_one, response = count_queries(lambda: organizer_admin.get(url))
    assert response.content.count(b'<tr id="stall-') == 2

    add_booked_stalls(99)
    queries_for_hundred, response = count_queries(lambda: organizer_admin.get(url))

    assert response.content.count(b'<tr id="stall-') == 200
    assert len(response.context["bookable_vendors"]) == 100
    assert queries_for_hundred == queries_for_one <= 8


def test_the_readiness_page_and_the_board_cost_the_same_for_1_and_30_vendors_not_ready(
    organizer, organizer_admin
):
    market = MarketFactory(
        organizer=organizer,
        required_document_types=["insurance", "health_permit"],
        expiring_document_types=["insurance"],
    )
    day = MarketDayFactory(market=market, date=market.today() + datetime.timedelta(days=3))
    readiness = reverse("admin:marketflow_market_readiness", args=[market.pk])
    board = reverse("admin:stalls_booking_board", args=[day.pk])

    def add_vendors_not_ready(count):
        """Each booked, with an insurance expiring in a week (sent, not reviewed) and a
        health permit approved."""
        for _number in range(count):
            application = AcceptedApplicationFactory(market=market)
            insurance = VendorDocumentFactory(
                vendor=application.vendor, expires_on=market.today() + datetime.timedelta(days=7)
            )
            permit = VendorDocumentFactory(vendor=application.vendor, document_type="health_permit")
            application.documents.add(insurance, permit)
            DocumentReview.objects.create(market=market, document=permit, status="approved")
            BookingFactory(
                market_day=day, stall=StallFactory(market=market), vendor=application.vendor
            )

    add_vendors_not_ready(1)
    page_for_one, response = count_queries(lambda: organizer_admin.get(readiness))
    assert response.content.count(b"approve-document") == 2
    board_for_one, _response = count_queries(lambda: organizer_admin.get(board))

    add_vendors_not_ready(29)
    page_for_thirty, response = count_queries(lambda: organizer_admin.get(readiness))
    board_for_thirty, response_board = count_queries(lambda: organizer_admin.get(board))

    assert response.content.count(b"approve-document") == 60
    assert response_board.content.count(b"Insurance certificate (not reviewed yet)") == 30
    assert page_for_thirty == page_for_one <= 9
    assert board_for_thirty == board_for_one <= 9


def test_the_dashboard_costs_the_same_for_1_and_many_markets_and_days(organizer, organizer_admin):
    User.objects.filter(pk=organizer.pk).update(plan=User.Plan.PAID)

    def add_market_with_days():
        market = MarketFactory(organizer=organizer)
        ApplicationFactory(market=market)
        StallFactory(market=market)
        for _number in range(3):
            MarketDayFactory(market=market)

    add_market_with_days()
    queries_for_one, _response = count_queries(lambda: organizer_admin.get(reverse("admin:index")))
    for _number in range(10):
        add_market_with_days()
    queries_for_many, response = count_queries(lambda: organizer_admin.get(reverse("admin:index")))

    assert len(response.context["dashboard"].markets) == 11
    assert len(response.context["dashboard"].market_days) == 8
    assert queries_for_many == queries_for_one


def test_the_application_review_page_costs_the_same_with_many_documents(market, organizer_admin):
    from vendors.models import VendorDocument

    application = ApplicationFactory(market=market)
    url = admin_url("application", "change", application.pk)

    def add_documents(count):
        documents = [
            VendorDocument.objects.create(
                vendor=application.vendor,
                document_type="insurance",
                file="vendor-documents/x.pdf",
                original_filename="x.pdf",
                size=100,
                content_type="application/pdf",
            )
            for _number in range(count)
        ]
        application.documents.add(*documents)

    add_documents(1)
    queries_for_one, _response = count_queries(lambda: organizer_admin.get(url))
    add_documents(20)
    queries_for_many, _response = count_queries(lambda: organizer_admin.get(url))
    assert queries_for_many == queries_for_one


def test_the_application_filters_are_served_by_an_index(organizer, organizer_admin):
    """With sequential scans priced out, the status-and-market filtered changelist query
    finds an index to use: filters stay fast on 100,000 applications."""
    market = MarketFactory(organizer=organizer)
    ApplicationFactory(market=market)
    response = organizer_admin.get(
        admin_url("application"), {"status__exact": "pending", "market": str(market.pk)}
    )
    queryset = response.context["cl"].queryset
    sql, params = queryset[:100].query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "application_market_status" in plan or "application_market_id" in plan, plan
    assert Application.objects.count() == 1
