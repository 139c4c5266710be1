"""HTTP contract of stalls, the market-day board and bookings."""

import datetime

import pytest
from django.utils import timezone

from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow.tests.factories import MarketDayFactory
from stalls.models import Booking, Stall
from stalls.tests.factories import BookingFactory, StallFactory
from tests.api_contract import assert_error, assert_page, ids
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

STALL_FIELDS = {
    "id",
    "market_id",
    "label",
    "size_category",
    "price_per_day",
    "assigned_vendor_id",
    "notes",
    "created_at",
    "updated_at",
}
BOOKING_FIELDS = {
    "id",
    "market_day_id",
    "stall_id",
    "stall_label",
    "vendor",
    "fee_cents",
    "payment_status",
    "payment_method",
    "payment_reference",
    "paid_at",
    "attendance",
    "attendance_at",
    "no_show_fee_cents",
    "cancelled_at",
    "refund_reference",
    "refunded_at",
    "refund_due",
    "credit_cents",
    "created_at",
    "updated_at",
}


def stalls_url(market, suffix: str = "") -> str:
    return f"/api/markets/{market.id}/stalls/{suffix}"


def day_url(market_day, suffix: str = "") -> str:
    return f"/api/markets/{market_day.market_id}/market-days/{market_day.id}/{suffix}"


def past_day(market):
    return MarketDayFactory(market=market, date=timezone.now().date() - datetime.timedelta(days=7))


@pytest.fixture
def accepted_vendor(market):
    return AcceptedApplicationFactory(market=market).vendor


# Stalls.


def test_stall_list_is_a_page_ordered_by_label(organizer_client, market):
    for label in ("C", "A", "B"):
        StallFactory(market=market, label=label)
    StallFactory(label="0")  # another market's

    results = assert_page(organizer_client.get(stalls_url(market)))

    assert [row["label"] for row in results] == ["A", "B", "C"]
    assert set(results[0]) == STALL_FIELDS


def test_stall_create_is_201(organizer_client, market, accepted_vendor):
    response = organizer_client.post(
        stalls_url(market),
        {
            "label": "A1",
            "size_category": "3x3",
            "price_per_day": 2500,
            "assigned_vendor_id": str(accepted_vendor.id),
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == STALL_FIELDS
    assert (body["label"], body["price_per_day"], body["assigned_vendor_id"]) == (
        "A1",
        2500,
        str(accepted_vendor.id),
    )


def test_stall_create_invalid_is_400_naming_fields(organizer_client, market):
    response = organizer_client.post(
        stalls_url(market), {"label": "", "price_per_day": -1}, format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert {"label", "price_per_day"} <= set(body["extra"]["fields"])
    assert not Stall.objects.exists()


def test_stall_create_with_taken_label_is_409(organizer_client, market, stall):
    response = organizer_client.post(stalls_url(market), {"label": stall.label}, format="json")

    body = assert_error(response, 409, "stall_label_taken")
    assert body["extra"] == {"label": stall.label}
    assert Stall.objects.count() == 1


def test_the_same_label_in_another_market_is_fine(organizer_client, market):
    StallFactory(label="A1")

    response = organizer_client.post(stalls_url(market), {"label": "A1"}, format="json")

    assert response.status_code == 201


def test_stall_with_a_regular_vendor_not_accepted_is_409(organizer_client, market):
    pending = ApplicationFactory(market=market).vendor

    response = organizer_client.post(
        stalls_url(market), {"label": "A1", "assigned_vendor_id": str(pending.id)}, format="json"
    )

    assert_error(response, 409, "vendor_not_accepted")
    assert not Stall.objects.exists()


def test_stall_read(organizer_client, market, stall):
    response = organizer_client.get(stalls_url(market, f"{stall.id}/"))

    assert response.status_code == 200
    assert response.json()["id"] == str(stall.id)
    assert set(response.json()) == STALL_FIELDS


def test_stall_patch(organizer_client, market, stall):
    response = organizer_client.patch(
        stalls_url(market, f"{stall.id}/"), {"price_per_day": 4000}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["price_per_day"] == 4000
    stall.refresh_from_db()
    assert (stall.price_per_day, stall.size_category) == (4000, "3x3")


def test_stall_rename_to_a_taken_label_is_409(organizer_client, market, stall):
    other = StallFactory(market=market)

    response = organizer_client.patch(
        stalls_url(market, f"{other.id}/"), {"label": stall.label}, format="json"
    )

    assert_error(response, 409, "stall_label_taken")
    label = other.label
    other.refresh_from_db()
    assert other.label == label


def test_stall_delete_is_204(organizer_client, market, stall):
    response = organizer_client.delete(stalls_url(market, f"{stall.id}/"))

    assert response.status_code == 204
    assert not Stall.objects.exists()


def test_booked_stall_delete_is_409(organizer_client, market, stall, market_day):
    BookingFactory(market_day=market_day, stall=stall)

    response = organizer_client.delete(stalls_url(market, f"{stall.id}/"))

    assert_error(response, 409, "stall_has_bookings")
    assert Stall.objects.filter(pk=stall.id).exists()


# The board.


def test_board_lists_every_stall_with_its_booking_or_null(organizer_client, market, market_day):
    a = StallFactory(market=market, label="A", price_per_day=1000)
    b = StallFactory(market=market, label="B", price_per_day=2000)
    c = StallFactory(market=market, label="C", price_per_day=3000)
    booked_a = BookingFactory(market_day=market_day, stall=a)
    BookingFactory(market_day=market_day, stall=b, payment_status="paid")
    BookingFactory(market_day=MarketDayFactory(market=market), stall=c)  # another day's
    StallFactory(label="X")  # another market's

    response = organizer_client.get(day_url(market_day, "board/"))

    assert response.status_code == 200
    body = response.json()
    assert (body["market_day_id"], body["date"], body["status"]) == (
        str(market_day.id),
        str(market_day.date),
        "scheduled",
    )
    assert (body["booked_count"], body["free_count"]) == (2, 1)
    assert (body["fees_due_cents"], body["fees_paid_cents"]) == (1000, 2000)
    assert [row["label"] for row in body["stalls"]] == ["A", "B", "C"]
    first = body["stalls"][0]
    assert first["booking"]["id"] == str(booked_a.id)
    assert first["booking"]["vendor"] == {
        "id": str(booked_a.vendor_id),
        "business_name": booked_a.vendor.business_name,
    }
    assert body["stalls"][2]["booking"] is None


def test_board_of_a_market_without_stalls(organizer_client, market_day):
    body = organizer_client.get(day_url(market_day, "board/")).json()

    assert (body["stalls"], body["booked_count"], body["free_count"]) == ([], 0, 0)


# Bookings.


def test_booking_list_is_a_page_of_the_days_bookings(organizer_client, market, market_day):
    booking = BookingFactory(market_day=market_day)
    BookingFactory(market_day=MarketDayFactory(market=market))  # another day's

    results = assert_page(organizer_client.get(day_url(market_day, "bookings/")))

    assert ids(results) == [str(booking.id)]
    assert set(results[0]) == BOOKING_FIELDS
    assert results[0]["stall_label"] == booking.stall.label


def test_booking_create_is_201_with_the_stalls_fee(
    organizer_client, market_day, stall, accepted_vendor
):
    response = organizer_client.post(
        day_url(market_day, "bookings/"),
        {"stall_id": str(stall.id), "vendor_id": str(accepted_vendor.id)},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == BOOKING_FIELDS
    assert (body["stall_id"], body["vendor"]["id"], body["fee_cents"]) == (
        str(stall.id),
        str(accepted_vendor.id),
        stall.price_per_day,
    )
    assert body["payment_status"] == "unpaid"


def test_booking_create_without_fields_is_400(organizer_client, market_day):
    response = organizer_client.post(day_url(market_day, "bookings/"), {}, format="json")

    body = assert_error(response, 400, "invalid")
    assert set(body["extra"]["fields"]) == {"stall_id", "vendor_id"}


def test_booking_create_with_malformed_ids_is_400_and_books_nothing(organizer_client, market_day):
    """Ids reach the services as UUIDs: a malformed one is the serializer's 400."""
    response = organizer_client.post(
        day_url(market_day, "bookings/"), {"stall_id": "A1", "vendor_id": "42"}, format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert set(body["extra"]["fields"]) == {"stall_id", "vendor_id"}
    assert not Booking.objects.exists()


def test_booking_a_booked_stall_is_409(organizer_client, market_day, stall, accepted_vendor):
    BookingFactory(market_day=market_day, stall=stall)

    response = organizer_client.post(
        day_url(market_day, "bookings/"),
        {"stall_id": str(stall.id), "vendor_id": str(accepted_vendor.id)},
        format="json",
    )

    assert_error(response, 409, "stall_already_booked")
    assert Booking.objects.count() == 1


def test_booking_a_booked_vendor_is_409(organizer_client, market, market_day, accepted_vendor):
    BookingFactory(market_day=market_day, vendor=accepted_vendor)
    free_stall = StallFactory(market=market)

    response = organizer_client.post(
        day_url(market_day, "bookings/"),
        {"stall_id": str(free_stall.id), "vendor_id": str(accepted_vendor.id)},
        format="json",
    )

    assert_error(response, 409, "vendor_already_booked")
    assert Booking.objects.count() == 1


@pytest.mark.parametrize("status", ["pending", "rejected", "waitlisted", "withdrawn", None])
def test_booking_a_vendor_not_accepted_is_409(organizer_client, market, market_day, stall, status):
    vendor = VendorFactory()
    if status:
        ApplicationFactory(market=market, vendor=vendor, status=status)

    response = organizer_client.post(
        day_url(market_day, "bookings/"),
        {"stall_id": str(stall.id), "vendor_id": str(vendor.id)},
        format="json",
    )

    assert_error(response, 409, "vendor_not_accepted")
    assert not Booking.objects.exists()


def test_booking_on_a_past_day_is_409(organizer_client, market, stall, accepted_vendor):
    day = past_day(market)

    response = organizer_client.post(
        day_url(day, "bookings/"),
        {"stall_id": str(stall.id), "vendor_id": str(accepted_vendor.id)},
        format="json",
    )

    assert_error(response, 409, "market_day_in_past")
    assert not Booking.objects.exists()


def test_booking_on_a_cancelled_day_is_409(organizer_client, market, stall, accepted_vendor):
    day = MarketDayFactory(market=market, status="cancelled")

    response = organizer_client.post(
        day_url(day, "bookings/"),
        {"stall_id": str(stall.id), "vendor_id": str(accepted_vendor.id)},
        format="json",
    )

    assert_error(response, 409, "market_day_cancelled")
    assert not Booking.objects.exists()


def test_booking_read(organizer_client, market_day):
    booking = BookingFactory(market_day=market_day)

    response = organizer_client.get(day_url(market_day, f"bookings/{booking.id}/"))

    assert response.status_code == 200
    assert set(response.json()) == BOOKING_FIELDS


@pytest.mark.parametrize("payment_status", ["paid", "waived", "unpaid"])
def test_booking_patch_payment_status(organizer_client, market_day, payment_status):
    booking = BookingFactory(market_day=market_day)

    response = organizer_client.patch(
        day_url(market_day, f"bookings/{booking.id}/"),
        {"payment_status": payment_status},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["payment_status"] == payment_status
    assert (body["paid_at"] is not None) == (payment_status == "paid")
    booking.refresh_from_db()
    assert booking.payment_status == payment_status


def test_booking_patch_unknown_payment_status_is_400(organizer_client, market_day):
    booking = BookingFactory(market_day=market_day)

    response = organizer_client.patch(
        day_url(market_day, f"bookings/{booking.id}/"), {"payment_status": "free"}, format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert "payment_status" in body["extra"]["fields"]
    booking.refresh_from_db()
    assert booking.payment_status == "unpaid"


def test_booking_cancel_is_204_and_the_day_lists_it_cancelled(organizer_client, market_day):
    booking = BookingFactory(market_day=market_day)

    response = organizer_client.delete(day_url(market_day, f"bookings/{booking.id}/"))

    assert response.status_code == 204
    assert not Booking.objects.active().exists()
    (listed,) = assert_page(organizer_client.get(day_url(market_day, "bookings/")))
    assert listed["id"] == str(booking.id) and listed["cancelled_at"] is not None
    board = organizer_client.get(day_url(market_day, "board/")).json()
    assert (board["booked_count"], board["stalls"][0]["booking"]) == (0, None)


def test_cancelling_a_cash_paid_booking_keeps_it_paid_then_takes_the_refund(
    organizer_client, market_day
):
    booking = BookingFactory(market_day=market_day, payment_status="paid", payment_method="cash")
    url = day_url(market_day, f"bookings/{booking.id}/")

    assert organizer_client.delete(url).status_code == 204
    body = organizer_client.get(url).json()
    assert (body["payment_status"], body["payment_method"], body["refund_due"]) == (
        "paid",
        "cash",
        True,
    )
    assert_error(organizer_client.patch(url, {"payment_status": "unpaid"}), 409,
                 "booking_already_cancelled")  # fmt: skip
    body = organizer_client.patch(url, {"payment_status": "refunded"}).json()
    assert body["payment_status"] == "refunded" and body["refunded_at"] is not None
    assert body["refund_due"] is False


def test_cancelling_a_cancelled_booking_is_409(organizer_client, market_day):
    booking = BookingFactory(market_day=market_day)
    url = day_url(market_day, f"bookings/{booking.id}/")
    organizer_client.delete(url)
    before = Booking.objects.values().get(pk=booking.id)

    assert_error(organizer_client.delete(url), 409, "booking_already_cancelled")
    assert Booking.objects.values().get(pk=booking.id) == before


def test_booking_on_a_past_day_delete_is_409(organizer_client, market):
    day = past_day(market)
    booking = BookingFactory(market_day=day)

    response = organizer_client.delete(day_url(day, f"bookings/{booking.id}/"))

    assert_error(response, 409, "market_day_in_past")
    assert Booking.objects.filter(pk=booking.id).exists()


# The vendor's bookings.


def test_me_bookings_lists_my_bookings(vendor_client, vendor, market, market_day):
    mine = BookingFactory(market_day=market_day, vendor=vendor)
    BookingFactory(market_day=market_day)  # another vendor's

    results = assert_page(vendor_client.get("/api/me/bookings/"))

    assert ids(results) == [str(mine.id)]
    assert results[0] == {
        "id": str(mine.id),
        "date": str(market_day.date),
        "start_time": "08:00:00",
        "end_time": "13:00:00",
        "market_id": str(market.id),
        "market_name": market.name,
        "stall_label": mine.stall.label,
        "fee_cents": mine.fee_cents,
        "currency": market.currency,
        "payment_status": "unpaid",
        "payment_method": "",
        "cancelled_at": None,
    }


def test_me_bookings_lists_cancelled_bookings_marked(vendor_client, vendor, market_day):
    booking = BookingFactory(market_day=market_day, vendor=vendor)
    Booking.objects.filter(pk=booking.pk).update(
        cancelled_at=timezone.now(), payment_status="refunded", payment_method="card"
    )

    (row,) = assert_page(vendor_client.get("/api/me/bookings/"))

    assert row["cancelled_at"] is not None and row["payment_status"] == "refunded"


def test_me_bookings_for_an_organizer_is_403(organizer_client):
    assert_error(organizer_client.get("/api/me/bookings/"), 403, "not_a_vendor")


def test_me_bookings_lists_the_soonest_market_day_first_across_pages(vendor_client, vendor):
    today = datetime.date.today()
    made = []
    for days in (30, 3, 60, 10, 3):  # booked in this order; two on one date
        day = MarketDayFactory(date=today + datetime.timedelta(days=days))
        made.append((day.date, BookingFactory(market_day=day, vendor=vendor)))

    listed, url = [], "/api/me/bookings/?page_size=2"
    while url:
        page = vendor_client.get(url).json()
        listed += [row["date"] for row in page["results"]]
        url = page["next"]

    assert listed == sorted(str(date) for date, _booking in made)
