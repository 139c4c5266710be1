"""Service tests of stalls and bookings."""

import datetime
import uuid

import pytest
from django.core import mail
from django.utils.formats import date_format

from applications.models import Application
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow.models import MarketDay
from marketflow.tests.factories import MarketDayFactory
from stalls.models import Booking, Stall
from stalls.services import (
    application_withdraw,
    booking_cancel,
    booking_create,
    booking_update_payment,
    stall_create,
    stall_delete,
    stall_update,
)
from stalls.tests.factories import BookingFactory, StallFactory
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

ONE_DAY = datetime.timedelta(days=1)
Paid = Booking.PaymentStatus


def past_day(market, days_ago=1):
    return MarketDayFactory(market=market, date=market.today() - days_ago * ONE_DAY)


def accepted_vendor(market):
    return AcceptedApplicationFactory(market=market).vendor


def book(organizer, market_day, stall, vendor):
    return booking_create(
        user=organizer,
        market_id=market_day.market_id,
        market_day_id=market_day.pk,
        stall_id=stall.pk,
        vendor_id=vendor.pk,
    )


# stall_create


def test_stall_create_stores_the_stall(organizer, market, accepted_application):
    stall = stall_create(
        user=organizer,
        market_id=market.pk,
        label="B7",
        size_category="3x6",
        price_per_day=4500,
        assigned_vendor=accepted_application.vendor,
        notes="Near the fountain",
    )

    stall.refresh_from_db()
    assert (stall.market, stall.label, stall.size_category, stall.price_per_day) == (
        market,
        "B7",
        "3x6",
        4500,
    )
    assert stall.assigned_vendor == accepted_application.vendor


def test_stall_create_without_a_price(organizer, market):
    stall = stall_create(user=organizer, market_id=market.pk, label="Free corner")

    stall.refresh_from_db()
    assert stall.price_per_day is None


def test_stall_create_refuses_a_taken_label(refused, organizer, market, stall):
    with refused("stall_label_taken") as excinfo:
        stall_create(user=organizer, market_id=market.pk, label=stall.label)
    assert excinfo.value.extra == {"label": stall.label}


def test_a_label_is_free_in_another_market(organizer, market, other_market):
    taken = StallFactory(market=other_market)

    stall_create(user=organizer, market_id=market.pk, label=taken.label)


@pytest.mark.parametrize(
    "status", [Application.Status.PENDING, Application.Status.REJECTED, "unknown", "elsewhere"]
)
def test_a_regular_vendor_must_be_accepted_in_this_market(refused, organizer, market, status):
    if status == "unknown":
        vendor = VendorFactory.build()  # never saved: an id nobody has
    elif status == "elsewhere":
        vendor = AcceptedApplicationFactory().vendor
    else:
        vendor = ApplicationFactory(market=market, status=status).vendor

    with refused("vendor_not_accepted") as excinfo:
        stall_create(user=organizer, market_id=market.pk, label="C1", assigned_vendor=vendor)
    assert excinfo.value.extra == {"vendor_id": str(vendor.pk)}


@pytest.mark.parametrize(
    ("field", "value"), [("label", "x" * 51), ("label", ""), ("price_per_day", -1)]
)
def test_stall_create_refuses_invalid_fields(refused, organizer, market, field, value):
    fields = {"label": "D1", field: value}

    with refused("invalid") as excinfo:
        stall_create(user=organizer, market_id=market.pk, **fields)
    assert list(excinfo.value.extra["fields"]) == [field]


def test_stall_create_in_another_organizers_market_is_not_found(refused, organizer, other_market):
    with refused("not_found"):
        stall_create(user=organizer, market_id=other_market.pk, label="Mine")


# stall_update and stall_delete


def test_stall_update_changes_the_given_fields(organizer, market, stall, accepted_application):
    stall_update(
        user=organizer,
        market_id=market.pk,
        stall_id=stall.pk,
        price_per_day=3000,
        assigned_vendor=accepted_application.vendor,
    )

    stall.refresh_from_db()
    assert (stall.price_per_day, stall.assigned_vendor_id, stall.size_category) == (
        3000,
        accepted_application.vendor.pk,
        "3x3",
    )


def test_stall_update_clears_the_regular_vendor(organizer, market, accepted_application):
    stall = StallFactory(market=market, assigned_vendor=accepted_application.vendor)

    stall_update(user=organizer, market_id=market.pk, stall_id=stall.pk, assigned_vendor=None)

    stall.refresh_from_db()
    assert stall.assigned_vendor is None


def test_stall_update_refuses_a_taken_label(refused, organizer, market, stall):
    other = StallFactory(market=market)

    with refused("stall_label_taken"):
        stall_update(user=organizer, market_id=market.pk, stall_id=other.pk, label=stall.label)


def test_stall_update_refuses_a_regular_vendor_not_accepted(refused, organizer, market, stall):
    pending = ApplicationFactory(market=market).vendor

    with refused("vendor_not_accepted"):
        stall_update(
            user=organizer, market_id=market.pk, stall_id=stall.pk, assigned_vendor=pending
        )


def test_a_regular_vendor_who_withdrew_does_not_block_other_edits(
    organizer, market, accepted_application
):
    stall = StallFactory(market=market, assigned_vendor=accepted_application.vendor)
    Application.objects.filter(pk=accepted_application.pk).update(
        status=Application.Status.WITHDRAWN
    )

    stall_update(user=organizer, market_id=market.pk, stall_id=stall.pk, price_per_day=1)

    stall.refresh_from_db()
    assert stall.price_per_day == 1


def test_stall_update_of_a_stall_of_another_market_is_not_found(
    refused, organizer, market, other_market
):
    foreign = StallFactory(market=other_market)

    with refused("not_found"):
        stall_update(user=organizer, market_id=market.pk, stall_id=foreign.pk, label="Mine")
    with refused("not_found"):
        stall_update(user=organizer, market_id=other_market.pk, stall_id=foreign.pk, label="Mine")


def test_stall_delete_removes_a_stall_never_booked(organizer, market, stall):
    stall_delete(user=organizer, market_id=market.pk, stall_id=stall.pk)

    assert not Stall.objects.filter(pk=stall.pk).exists()


def test_stall_delete_refuses_a_booked_stall(refused, organizer, market, stall, market_day):
    BookingFactory(market_day=market_day, stall=stall)

    with refused("stall_has_bookings"):
        stall_delete(user=organizer, market_id=market.pk, stall_id=stall.pk)


def test_stall_delete_in_another_organizers_market_is_not_found(refused, organizer, other_market):
    foreign = StallFactory(market=other_market)

    with refused("not_found"):
        stall_delete(user=organizer, market_id=other_market.pk, stall_id=foreign.pk)


# booking_create


def test_booking_create_copies_the_stall_price_as_the_fee(
    organizer, market, market_day, accepted_application
):
    stall = StallFactory(market=market, price_per_day=3750)

    booking = book(organizer, market_day, stall, accepted_application.vendor)

    booking.refresh_from_db()
    assert (booking.market_day, booking.stall, booking.vendor) == (
        market_day,
        stall,
        accepted_application.vendor,
    )
    assert (booking.fee_cents, booking.payment_status, booking.paid_at) == (3750, Paid.UNPAID, None)
    assert booking.booked_by == organizer


def test_a_later_price_change_keeps_the_booked_fee(
    organizer, market, market_day, accepted_application
):
    stall = StallFactory(market=market, price_per_day=3750)
    booking = book(organizer, market_day, stall, accepted_application.vendor)

    stall_update(user=organizer, market_id=market.pk, stall_id=stall.pk, price_per_day=9900)

    booking.refresh_from_db()
    assert booking.fee_cents == 3750


def test_a_stall_without_a_price_is_booked_for_nothing(
    organizer, market, market_day, accepted_application
):
    stall = StallFactory(market=market, price_per_day=None)

    booking = book(organizer, market_day, stall, accepted_application.vendor)

    booking.refresh_from_db()
    assert booking.fee_cents == 0


def test_a_booking_is_allowed_today(organizer, market, stall, accepted_application):
    today = MarketDayFactory(market=market, date=market.today())

    book(organizer, today, stall, accepted_application.vendor)


def test_booking_a_stall_of_another_market_is_not_found(
    refused, organizer, market_day, accepted_application, other_market
):
    foreign_stall = StallFactory(market=other_market)

    with refused("not_found"):
        book(organizer, market_day, foreign_stall, accepted_application.vendor)


def test_booking_on_a_day_of_another_market_is_not_found(
    refused, organizer, market, stall, accepted_application, other_market
):
    foreign_day = MarketDayFactory(market=other_market)

    with refused("not_found"):
        booking_create(
            user=organizer,
            market_id=market.pk,
            market_day_id=foreign_day.pk,
            stall_id=stall.pk,
            vendor_id=accepted_application.vendor_id,
        )


def test_booking_in_another_organizers_market_is_not_found(refused, organizer, other_market):
    day = MarketDayFactory(market=other_market)
    stall = StallFactory(market=other_market)
    vendor = accepted_vendor(other_market)

    with refused("not_found"):
        book(organizer, day, stall, vendor)


@pytest.mark.parametrize(
    "status",
    [
        Application.Status.PENDING,
        Application.Status.WAITLISTED,
        Application.Status.REJECTED,
        Application.Status.WITHDRAWN,
        "unknown",
        "elsewhere",
        "no application",
    ],
)
def test_only_a_vendor_accepted_in_this_market_can_be_booked(
    refused, organizer, market, market_day, stall, status
):
    if status == "unknown":
        vendor_id = uuid.uuid4()
    elif status == "elsewhere":
        vendor_id = AcceptedApplicationFactory().vendor_id
    elif status == "no application":
        vendor_id = VendorFactory().pk
    else:
        vendor_id = ApplicationFactory(market=market, status=status).vendor_id

    with refused("vendor_not_accepted") as excinfo:
        booking_create(
            user=organizer,
            market_id=market.pk,
            market_day_id=market_day.pk,
            stall_id=stall.pk,
            vendor_id=vendor_id,
        )
    assert excinfo.value.extra == {"vendor_id": str(vendor_id)}


def test_a_stall_is_booked_once_per_day(refused, organizer, market, market_day, stall):
    book(organizer, market_day, stall, accepted_vendor(market))
    second = accepted_vendor(market)

    with refused("stall_already_booked") as excinfo:
        book(organizer, market_day, stall, second)
    assert excinfo.value.extra == {"stall": stall.label, "date": str(market_day.date)}


def test_a_vendor_has_one_stall_per_day(refused, organizer, market, market_day, stall):
    vendor = accepted_vendor(market)
    book(organizer, market_day, stall, vendor)
    other_stall = StallFactory(market=market)

    with refused("vendor_already_booked") as excinfo:
        book(organizer, market_day, other_stall, vendor)
    assert excinfo.value.extra == {"vendor_id": str(vendor.pk), "date": str(market_day.date)}


def test_the_same_stall_and_vendor_on_another_day(organizer, market, market_day, stall):
    vendor = accepted_vendor(market)
    book(organizer, market_day, stall, vendor)

    book(organizer, MarketDayFactory(market=market), stall, vendor)

    assert Booking.objects.filter(stall=stall, vendor=vendor).count() == 2


def test_booking_a_day_in_the_past_is_refused(refused, organizer, market, stall):
    day = past_day(market)
    vendor = accepted_vendor(market)

    with refused("market_day_in_past"):
        book(organizer, day, stall, vendor)


def test_booking_a_cancelled_day_is_refused(refused, organizer, market, stall):
    day = MarketDayFactory(market=market, status=MarketDay.Status.CANCELLED)
    vendor = accepted_vendor(market)

    with refused("market_day_cancelled") as excinfo:
        book(organizer, day, stall, vendor)
    assert excinfo.value.extra == {"date": str(day.date)}


# booking_update_payment


def set_payment(organizer, booking, payment_status):
    return booking_update_payment(
        user=organizer,
        market_id=booking.market_day.market_id,
        market_day_id=booking.market_day_id,
        booking_id=booking.pk,
        payment_status=payment_status,
    )


@pytest.fixture
def booking(market_day, stall):
    return BookingFactory(market_day=market_day, stall=stall)


def test_marking_paid_records_the_time_and_unpaid_clears_it(organizer, booking):
    set_payment(organizer, booking, Paid.PAID)
    booking.refresh_from_db()
    assert booking.payment_status == Paid.PAID
    assert booking.paid_at is not None

    set_payment(organizer, booking, Paid.UNPAID)
    booking.refresh_from_db()
    assert (booking.payment_status, booking.paid_at) == (Paid.UNPAID, None)


def test_a_waived_fee_has_no_payment_time(organizer, booking):
    set_payment(organizer, booking, Paid.PAID)

    set_payment(organizer, booking, Paid.WAIVED)

    booking.refresh_from_db()
    assert (booking.payment_status, booking.paid_at) == (Paid.WAIVED, None)


def test_payment_of_a_past_day_can_still_be_recorded(organizer, market):
    booking = BookingFactory(market_day=past_day(market))

    set_payment(organizer, booking, Paid.PAID)

    booking.refresh_from_db()
    assert booking.payment_status == Paid.PAID


def test_an_unknown_payment_status_is_refused(refused, organizer, booking):
    with refused("invalid") as excinfo:
        set_payment(organizer, booking, "reimbursed")
    assert list(excinfo.value.extra["fields"]) == ["payment_status"]


def test_payment_of_a_booking_of_another_day_is_not_found(
    refused, organizer, market, booking, other_organizer
):
    other_day = MarketDayFactory(market=market)

    with refused("not_found"):
        booking_update_payment(
            user=organizer,
            market_id=market.pk,
            market_day_id=other_day.pk,
            booking_id=booking.pk,
            payment_status=Paid.PAID,
        )
    with refused("not_found"):
        set_payment(other_organizer, booking, Paid.PAID)


# booking_cancel


def delete(organizer, booking):
    return booking_cancel(
        user=organizer,
        market_id=booking.market_day.market_id,
        market_day_id=booking.market_day_id,
        booking_id=booking.pk,
    )


@pytest.mark.parametrize("payment_status", [Paid.UNPAID, Paid.WAIVED])
def test_booking_cancel_keeps_the_booking_marked_cancelled(organizer, market_day, payment_status):
    booking = BookingFactory(market_day=market_day, payment_status=payment_status)

    delete(organizer, booking)

    booking.refresh_from_db()
    assert booking.cancelled_at is not None and booking.cancelled_by == organizer
    assert booking.payment_status == payment_status  # nothing owed, nothing refunded
    assert not Booking.objects.active().filter(pk=booking.pk).exists()


def test_booking_cancel_keeps_a_cash_payment_paid_to_settle_by_hand(organizer, market_day):
    booking = BookingFactory(market_day=market_day, payment_status=Paid.PAID, payment_method="cash")

    delete(organizer, booking)

    booking.refresh_from_db()
    assert booking.is_cancelled and booking.payment_status == Paid.PAID
    # The organizer settles it, then records the refund on the kept row.
    set_payment(organizer, booking, Paid.REFUNDED)
    booking.refresh_from_db()
    assert booking.payment_status == Paid.REFUNDED and booking.refunded_at is not None


def test_a_cancelled_booking_takes_no_other_payment_status(refused, organizer, market_day):
    booking = BookingFactory(market_day=market_day)
    delete(organizer, booking)

    with refused("booking_already_cancelled"):
        set_payment(organizer, booking, Paid.PAID)


def test_booking_cancel_twice_is_refused(refused, organizer, market_day):
    booking = BookingFactory(market_day=market_day)
    delete(organizer, booking)

    with refused("booking_already_cancelled"):
        delete(organizer, booking)


def test_a_cancelled_booking_frees_the_stall_and_the_vendors_day(
    organizer, market_day, accepted_application
):
    vendor = accepted_application.vendor
    booking = BookingFactory(market_day=market_day, vendor=vendor)
    delete(organizer, booking)

    again = booking_create(
        user=organizer,
        market_id=market_day.market_id,
        market_day_id=market_day.pk,
        stall_id=booking.stall_id,
        vendor_id=vendor.pk,
    )

    assert again.pk != booking.pk
    assert list(Booking.objects.filter(market_day=market_day).order_by("created_at")) == [
        booking,
        again,
    ]
    assert list(Booking.objects.active().filter(market_day=market_day)) == [again]


def test_booking_cancel_keeps_the_bookings_of_past_days(refused, organizer, market):
    booking = BookingFactory(market_day=past_day(market))

    with refused("market_day_in_past"):
        delete(organizer, booking)


def test_booking_cancel_in_another_organizers_market_is_not_found(
    refused, booking, other_organizer
):
    with refused("not_found"):
        delete(other_organizer, booking)


# application_withdraw


def test_withdrawal_releases_the_vendors_future_unpaid_bookings_only(
    market, accepted_application, vendor_user
):
    vendor = accepted_application.vendor
    next_week = BookingFactory(market_day=MarketDayFactory(market=market), vendor=vendor)
    today = BookingFactory(
        market_day=MarketDayFactory(market=market, date=market.today()), vendor=vendor
    )
    waived = BookingFactory(
        market_day=MarketDayFactory(market=market), vendor=vendor, payment_status=Paid.WAIVED
    )
    paid = BookingFactory(
        market_day=MarketDayFactory(market=market), vendor=vendor, payment_status=Paid.PAID
    )
    last_week = BookingFactory(market_day=past_day(market, days_ago=7), vendor=vendor)
    elsewhere = BookingFactory(vendor=vendor)  # another market, where they stay accepted
    someone_else = BookingFactory(market_day=next_week.market_day)

    application = application_withdraw(user=vendor_user, application_id=accepted_application.pk)

    assert application.status == Application.Status.WITHDRAWN
    remaining = set(Booking.objects.active().values_list("pk", flat=True))
    assert remaining == {paid.pk, last_week.pk, elsewhere.pk, someone_else.pk}
    released = Booking.objects.filter(cancelled_at__isnull=False)
    assert set(released.values_list("pk", flat=True)) == {next_week.pk, today.pk, waived.pk}
    assert set(released.values_list("cancel_reason", flat=True)) == {
        "the vendor withdrew their application."
    }


def test_a_refused_withdrawal_releases_nothing(refused, market, vendor, vendor_user):
    rejected = ApplicationFactory(market=market, vendor=vendor, status=Application.Status.REJECTED)
    booking = BookingFactory(market_day=MarketDayFactory(market=market), vendor=vendor)

    with refused("invalid_transition"):
        application_withdraw(user=vendor_user, application_id=rejected.pk)

    rejected.refresh_from_db()
    assert rejected.status == Application.Status.REJECTED
    assert Booking.objects.filter(pk=booking.pk).exists()


def test_withdrawing_another_vendors_application_is_not_found(
    refused, market, accepted_application, vendor_user
):
    someone_elses = AcceptedApplicationFactory(market=market)
    BookingFactory(market_day=MarketDayFactory(market=market), vendor=someone_elses.vendor)

    with refused("not_found"):
        application_withdraw(user=vendor_user, application_id=someone_elses.pk)

    someone_elses.refresh_from_db()
    assert someone_elses.status == Application.Status.ACCEPTED
    assert Booking.objects.filter(vendor=someone_elses.vendor).exists()


def test_a_withdrawal_tells_the_organizer_what_was_released(
    market, vendor, accepted_application, vendor_user, django_capture_on_commit_callbacks
):
    released = BookingFactory(
        market_day=MarketDayFactory(market=market),
        stall=StallFactory(market=market, label="B7"),
        vendor=vendor,
    )
    BookingFactory(
        market_day=MarketDayFactory(market=market), vendor=vendor, payment_status=Paid.PAID
    )

    with django_capture_on_commit_callbacks(execute=True):
        application_withdraw(user=vendor_user, application_id=accepted_application.pk)

    (message,) = mail.outbox
    assert message.to == [market.organizer.email]
    assert message.subject == f"{accepted_application.business_name} withdrew from {market.name}"
    date = date_format(released.market_day.date)
    assert f"- Stall B7 on {date}, fee 25.00 EUR (unpaid)" in message.body
    assert message.body.count("- Stall ") == 1  # the paid booking is kept, not released


def test_a_withdrawal_without_bookings_says_no_stall_was_released(
    market, accepted_application, vendor_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application_withdraw(user=vendor_user, application_id=accepted_application.pk)

    (message,) = mail.outbox
    assert "no stall was released" in message.body
