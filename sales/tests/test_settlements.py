"""Token reconciliation: what the market owes each vendor for tokens (reports not yet
settled), what each owes in fees, the net, and settling up (service, API, admin page), and
the vendor's statement netted."""

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from conftest import domain_snapshot, token_client
from marketflow.models import MarketDay
from marketflow.tests.factories import MarketDayFactory
from sales.errors import SalesReportSettledError
from sales.models import SalesReport, Settlement
from sales.selectors import market_payouts
from sales.services import sales_report_submit
from sales.settlements import settlement_create
from sales.tests.factories import SalesReportFactory, past_day
from stalls.models import Booking
from stalls.tests.factories import BookingFactory, accepted_vendor_with_account
from tests.admin_support import count_queries, messages_of
from tests.api_contract import assert_error

pytestmark = pytest.mark.django_db

Status = Booking.PaymentStatus


@pytest.fixture
def books(market):
    """A vendor at ``market`` (EUR) owed 55.00 in tokens and owing 53.00 in fees: the market
    pays them 2.00."""
    market.currency = "EUR"
    market.save()
    vendor, user = accepted_vendor_with_account(market)

    def book(day, **fields):
        return BookingFactory(market_day=day, vendor=vendor, fee_cents=2_500, **fields)

    reported = book(past_day(market, 2), sales_fee_cents=300, sales_fee_note="6% of 50.00 EUR")
    SalesReportFactory(
        booking=reported, cash_cents=10_000, snap_cents=4_000, market_tokens_cents=1_000
    )
    paid = book(past_day(market, 9), payment_status=Status.PAID)
    SalesReportFactory(booking=paid, cash_cents=0, incentive_cents=500)
    coming = book(MarketDayFactory(market=market))
    cancelled = book(past_day(market, 16, status=MarketDay.Status.CANCELLED))
    return {
        "vendor": vendor,
        "user": user,
        "reported": reported,
        "paid": paid,
        "coming": coming,
        "cancelled": cancelled,
    }


def settle(organizer, market, vendor, net, **fields):
    return settlement_create(
        user=organizer,
        market_id=market.pk,
        vendor_id=vendor.pk,
        method=fields.pop("method", "cash"),
        expected_net_cents=net,
        **fields,
    )


def payouts_url(market) -> str:
    return f"/api/markets/{market.pk}/payouts/"


def settle_url(market, vendor) -> str:
    return f"/api/markets/{market.pk}/payouts/{vendor.pk}/settle/"


# -- the figures -------------------------------------------------------------------------------


def test_payouts_net_unsettled_tokens_against_fees_owed(market, books):
    (row,) = market_payouts(market=market)

    assert row["vendor_id"] == books["vendor"].pk
    assert (row["tokens_cents"], row["fees_cents"], row["net_cents"]) == (5_500, 5_300, 200)


def test_a_vendor_who_only_owes_is_listed_with_a_negative_net(market, books):
    other, _ = accepted_vendor_with_account(market)
    BookingFactory(market_day=past_day(market, 23), vendor=other, fee_cents=1_000)

    rows = {row["vendor_id"]: row for row in market_payouts(market=market)}

    assert (rows[other.pk]["tokens_cents"], rows[other.pk]["net_cents"]) == (0, -1_000)


# -- settling ------------------------------------------------------------------------------------


def test_settling_marks_the_reports_settled_and_the_fees_paid(market, organizer, books):
    settlement = settle(organizer, market, books["vendor"], 200, reference="Check 1041")

    assert (settlement.tokens_cents, settlement.fees_cents, settlement.net_cents) == (
        5_500,
        5_300,
        200,
    )
    assert (settlement.method, settlement.reference, settlement.created_by) == (
        "cash",
        "Check 1041",
        organizer,
    )
    assert set(settlement.bookings.all()) == {books["reported"], books["coming"]}
    assert set(SalesReport.objects.filter(settlement=settlement)) == set(SalesReport.objects.all())
    for name in ("reported", "coming"):
        booking = Booking.objects.get(pk=books[name].pk)
        assert (booking.payment_status, booking.payment_method) == (Status.PAID, "settlement")
        assert booking.paid_at is not None
    assert Booking.objects.get(pk=books["reported"].pk).sales_fee_status == Status.PAID
    cancelled = Booking.objects.get(pk=books["cancelled"].pk)
    assert cancelled.payment_status == Status.UNPAID  # a cancelled day's fee is not owed
    assert market_payouts(market=market) == []
    assert LogEntry.objects.filter(object_id=str(settlement.pk)).count() == 1
    assert (
        "the market paid 2.00 EUR"
        in LogEntry.objects.get(object_id=str(settlement.pk)).change_message
    )


def test_stale_figures_are_refused_and_nothing_changes(market, organizer, books, refused):
    with refused("settlement_changed") as excinfo:
        settle(organizer, market, books["vendor"], 5_500)

    assert excinfo.value.extra == {"tokens_cents": 5_500, "fees_cents": 5_300, "net_cents": 200}


def test_nothing_to_settle_once_settled(market, organizer, books, refused):
    settle(organizer, market, books["vendor"], 200)

    with refused("nothing_to_settle"):
        settle(organizer, market, books["vendor"], 0, method="none")


def test_a_settled_report_can_no_longer_be_revised(market, organizer, books):
    settle(organizer, market, books["vendor"], 200)

    with pytest.raises(SalesReportSettledError):
        sales_report_submit(
            user=organizer,
            booking_id=books["reported"].pk,
            amounts={"cash": 1},
            reason="Miscounted",
            as_organizer=True,
        )


def test_a_fee_settled_against_tokens_no_longer_changes_on_the_board(
    market, organizer, books, organizer_client
):
    settle(organizer, market, books["vendor"], 200)
    booking = books["coming"]

    response = organizer_client.patch(
        f"/api/markets/{market.pk}/market-days/{booking.market_day_id}/bookings/{booking.pk}/",
        {"payment_status": "unpaid"},
        format="json",
    )

    assert response.status_code == 409 and response.json()["code"] == "booking_settled"
    booking.refresh_from_db()
    assert (booking.payment_status, booking.payment_method) == (Status.PAID, "settlement")


def test_a_new_report_after_a_settlement_is_owed_anew(market, organizer, books):
    settle(organizer, market, books["vendor"], 200)
    later = BookingFactory(market_day=past_day(market, 1), vendor=books["vendor"], fee_cents=0)
    sales_report_submit(user=books["user"], booking_id=later.pk, amounts={"snap": 700})

    (row,) = market_payouts(market=market)
    assert (row["tokens_cents"], row["fees_cents"], row["net_cents"]) == (700, 0, 700)


def test_a_bad_method_or_reference_is_refused(market, organizer, books, refused):
    with refused("invalid"):
        settle(organizer, market, books["vendor"], 200, method="bitcoin")
    with refused("invalid"):
        settle(organizer, market, books["vendor"], 200, reference="x" * 101)
    with refused("invalid") as excinfo:  # 2.00 changes hands
        settle(organizer, market, books["vendor"], 200, method="none")
    assert excinfo.value.extra["fields"] == {"method": ["Say how the 2.00 EUR was paid."]}


# -- the API -------------------------------------------------------------------------------------


def test_the_api_lists_payouts_and_settles(market, books, organizer_client):
    body = organizer_client.get(payouts_url(market)).json()
    assert body == {
        "market_id": str(market.pk),
        "currency": "EUR",
        "vendors": [
            {
                "vendor_id": str(books["vendor"].pk),
                "business_name": books["vendor"].business_name,
                "tokens_cents": 5_500,
                "fees_cents": 5_300,
                "net_cents": 200,
            }
        ],
    }

    response = organizer_client.post(
        settle_url(market, books["vendor"]),
        {"method": "check", "reference": "1041", "expected_net_cents": 200},
        format="json",
    )

    assert response.status_code == 201, response.content
    settled = response.json()
    assert (settled["net_cents"], settled["method"], settled["reference"]) == (200, "check", "1041")
    assert settled["booking_ids"] == sorted([str(books["reported"].pk), str(books["coming"].pk)])
    assert organizer_client.get(payouts_url(market)).json()["vendors"] == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"method": "cash", "expected_net_cents": 0}, 409, "settlement_changed"),
        ({"method": "cash"}, 400, "invalid"),
        ({"method": "gold", "expected_net_cents": 200}, 400, "invalid"),
        ({"method": "cash", "expected_net_cents": "x"}, 400, "invalid"),
        ({"method": "cash", "reference": "x" * 101, "expected_net_cents": 200}, 400, "invalid"),
    ],
)
def test_the_api_refuses_with_a_code_and_changes_nothing(
    market, books, organizer_client, body, status, code
):
    before = domain_snapshot()

    response = organizer_client.post(settle_url(market, books["vendor"]), body, format="json")

    assert_error(response, status, code)
    assert domain_snapshot() == before


def test_the_api_answers_409_with_the_new_figures(market, books, organizer_client):
    response = organizer_client.post(
        settle_url(market, books["vendor"]), {"method": "cash", "expected_net_cents": 0}
    )

    assert assert_error(response, 409, "settlement_changed")["extra"]["net_cents"] == 200


def test_another_organizers_market_or_an_unknown_vendor_is_not_found(
    market, books, organizer_client, other_organizer_client
):
    body = {"method": "cash", "expected_net_cents": 200}
    assert_error(other_organizer_client.get(payouts_url(market)), 404, "not_found")
    assert_error(
        other_organizer_client.post(settle_url(market, books["vendor"]), body), 404, "not_found"
    )
    stranger, _ = accepted_vendor_with_account(market)  # accepted, never booked
    assert_error(organizer_client.post(settle_url(market, stranger), body), 404, "not_found")
    assert Settlement.objects.count() == 0


def test_a_vendor_cannot_see_payouts(market, books):
    response = token_client(books["user"]).get(payouts_url(market))

    assert_error(response, 403, "not_an_organizer")


# -- the vendor's statement, netted ------------------------------------------------------------


def test_the_vendors_statement_nets_tokens_against_fees(market, books):
    (statement,) = token_client(books["user"]).get("/api/me/fees/").json()["markets"]
    assert (statement["tokens_owed_cents"], statement["due_cents"], statement["net_cents"]) == (
        5_500,
        5_300,
        200,
    )

    client = Client()
    client.force_login(books["user"])
    page = client.get("/vendor/fees/").content.decode()
    assert "The market pays you 2.00 EUR" in page


# -- the admin's Payouts page --------------------------------------------------------------------


def admin_payouts_url(market) -> str:
    return reverse("admin:marketflow_market_payouts", args=[market.pk])


def test_the_payouts_page_lists_vendors_and_settles(market, books, organizer_admin):
    page = organizer_admin.get(admin_payouts_url(market))
    html = page.content.decode()
    assert page.status_code == 200
    assert books["vendor"].business_name in html and "The market pays 2.00 EUR" in html
    assert 'name="expected_net_cents" value="200"' in html
    change_page = organizer_admin.get(reverse("admin:marketflow_market_change", args=[market.pk]))
    assert admin_payouts_url(market) in change_page.content.decode()

    response = organizer_admin.post(
        admin_payouts_url(market),
        {
            "vendor": str(books["vendor"].pk),
            "expected_net_cents": "200",
            "method": "transfer",
            "reference": "IBAN ref 77",
        },
        follow=True,
    )

    assert any("Settled with" in message for message in messages_of(response))
    settlement = Settlement.objects.get()
    assert (settlement.method, settlement.reference) == ("transfer", "IBAN ref 77")
    html = response.content.decode()
    assert "IBAN ref 77" in html and "Nothing to settle" in html


def test_the_payouts_page_refuses_stale_figures_with_a_message(market, books, organizer_admin):
    before = domain_snapshot()

    response = organizer_admin.post(
        admin_payouts_url(market),
        {"vendor": str(books["vendor"].pk), "expected_net_cents": "7", "method": "cash"},
        follow=True,
    )

    assert any("Not settled" in message for message in messages_of(response))
    assert domain_snapshot() == before


def test_another_organizer_cannot_see_the_payouts_page(market, books, other_organizer_admin):
    assert other_organizer_admin.get(admin_payouts_url(market)).status_code == 404


def test_the_payouts_page_queries_do_not_grow_with_vendors(market, books, organizer_admin):
    queries_for_one, _ = count_queries(lambda: organizer_admin.get(admin_payouts_url(market)))
    for days_ago in range(30, 40):
        vendor, _ = accepted_vendor_with_account(market)
        booking = BookingFactory(market_day=past_day(market, days_ago), vendor=vendor)
        SalesReportFactory(booking=booking, snap_cents=100)
    settle(market.organizer, market, books["vendor"], 200)

    queries_for_more, page = count_queries(lambda: organizer_admin.get(admin_payouts_url(market)))
    assert page.content.decode().count('class="settle"') == 10
    assert queries_for_more == queries_for_one
