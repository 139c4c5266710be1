"""The printable day sheet of a market day: every stall in order with its vendor, what they
sell, their phone and the fee's status, and a check-in column; one click from the board;
an organizer's own days only; the same queries for 1 stall and for 100."""

import pytest
from django.urls import reverse

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.tests.factories import MarketDayFactory
from stalls.models import Booking
from stalls.tests.factories import BookingFactory, StallFactory
from tests.admin_support import count_queries
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db


def sheet_url(market_day) -> str:
    return reverse("admin:stalls_booking_day_sheet", args=[market_day.pk])


def book(market_day, label, price, **vendor_fields):
    vendor = VendorFactory(**vendor_fields)
    AcceptedApplicationFactory(market=market_day.market, vendor=vendor)
    stall = StallFactory(market=market_day.market, label=label, price_per_day=price)
    return BookingFactory(market_day=market_day, stall=stall, vendor=vendor)


def test_the_day_sheet_lists_every_stall_in_order_with_what_the_manager_needs(
    market, market_day, organizer_admin
):
    StallFactory(market=market, label="B2")  # free
    paid = book(
        market_day,
        "C3",
        3000,
        business_name="Hill Bakery",
        contact_name="Ana Hill",
        phone="+1 555 0100",
        product_categories=["baked_goods", "prepared_food"],
    )
    Booking.objects.filter(pk=paid.pk).update(payment_status=Booking.PaymentStatus.PAID)
    book(
        market_day, "A1", 2500, business_name="Green Acre", phone="", product_categories=["produce"]
    )

    response = organizer_admin.get(sheet_url(market_day))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row["label"] for row in rows] == ["A1", "B2", "C3"]
    assert rows[1]["booking"] is None
    hill = rows[2]["booking"]
    assert (hill["business_name"], hill["contact_name"], hill["phone"]) == (
        "Hill Bakery",
        "Ana Hill",
        "+1 555 0100",
    )
    assert hill["categories"] == "Baked goods, Prepared food"  # labels, never codes
    assert (hill["fee"], hill["payment_label"]) == ("30.00 EUR", "Paid")
    html = response.content.decode()
    assert 'href="tel:+15550100"' in html
    assert html.count('class="sheet-box"') == 2  # a check-in box per booked stall
    assert "Checked in" in html and "baked_goods" not in html
    assert "1 fee unpaid (25.00 EUR)" in " ".join(html.split())
    assert "@media print" in html


def test_the_board_links_to_its_day_sheet(market_day, organizer_admin):
    board = organizer_admin.get(reverse("admin:stalls_booking_board", args=[market_day.pk]))
    assert f'href="{sheet_url(market_day)}"' in board.content.decode()


def test_another_organizers_day_sheet_is_not_found(other_market, organizer_admin):
    other_day = MarketDayFactory(market=other_market)
    book(other_day, "X1", 1000, business_name="Not Yours")
    response = organizer_admin.get(sheet_url(other_day))
    assert response.status_code == 404
    assert b"Not Yours" not in response.content


def test_a_vendor_gets_no_day_sheet(client, market_day, vendor_user):
    client.force_login(vendor_user)
    response = client.get(sheet_url(market_day))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_day_sheet_costs_the_same_for_1_and_100_stalls(market, market_day, organizer_admin):
    def add_stalls(count):
        for _number in range(count):
            booking = book(market_day, f"S{StallFactory._meta.model.objects.count():03}", 1500)
            StallFactory(market=market, label=f"F{booking.stall.label}")  # and a free one

    add_stalls(1)
    queries_for_one, response = count_queries(lambda: organizer_admin.get(sheet_url(market_day)))
    assert len(response.context["rows"]) == 2

    add_stalls(49)
    queries_for_hundred, response = count_queries(
        lambda: organizer_admin.get(sheet_url(market_day))
    )

    assert len(response.context["rows"]) == 100
    assert queries_for_hundred == queries_for_one <= 5
