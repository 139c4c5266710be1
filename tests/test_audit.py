"""Every decision and every booking change records who did it and when (marketflow/audit.py),
whichever face made it; the admin shows the records on the object's history page, and they
stay when the object changes again or is deleted."""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from applications.models import Application
from applications.services import application_accept
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from conftest import token_client
from marketflow.models import MarketDay
from marketflow.plans import FREE_PLAN_MAX_ACTIVE_VENDORS
from stalls.models import Booking
from stalls.services import booking_fill_from_regulars
from stalls.tests.factories import BookingFactory, StallFactory

pytestmark = pytest.mark.django_db


def history(obj) -> list[LogEntry]:
    """The entries the admin's history page of ``obj`` lists, oldest first."""
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=str(obj.pk),
        ).order_by("action_time", "pk")
    )


def summary(entries) -> list[tuple[str, int, str]]:
    return [(entry.user.email, entry.action_flag, entry.change_message) for entry in entries]


def decide_url(application, decision: str) -> str:
    return reverse(
        f"api:application-{decision}",
        kwargs={"market_id": application.market_id, "application_id": application.pk},
    )


# -- decisions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        ("accept", "Accepted (was pending)."),
        ("waitlist", "Waitlisted (was pending)."),
        ("reject", "Rejected (was pending). Reason: No more honey stands this year."),
    ],
)
def test_a_decision_records_who_and_when(
    organizer_client, organizer, application, decision, message
):
    before = timezone.now()

    response = organizer_client.post(
        decide_url(application, decision),
        {"reason": "No more honey stands this year."} if decision == "reject" else {},
        format="json",
    )

    assert response.status_code == 200
    (entry,) = history(application)
    assert summary([entry]) == [(organizer.email, CHANGE, message)]
    assert before <= entry.action_time <= timezone.now()
    assert entry.object_repr == str(Application.objects.get(pk=application.pk))


def test_the_record_stays_when_the_application_changes_again(
    organizer_client, organizer, application, vendor_user
):
    assert organizer_client.post(decide_url(application, "waitlist")).status_code == 200
    assert organizer_client.post(decide_url(application, "accept")).status_code == 200
    withdraw = token_client(vendor_user).post(
        reverse("api:me-application-withdraw", kwargs={"application_id": application.pk})
    )

    assert withdraw.status_code == 200
    assert summary(history(application)) == [
        (organizer.email, CHANGE, "Waitlisted (was pending)."),
        (organizer.email, CHANGE, "Accepted (was waitlisted)."),
        (vendor_user.email, CHANGE, "Withdrawn by the vendor (was accepted)."),
    ]


def test_a_refused_decision_records_nothing(organizer_client, organizer, market):
    AcceptedApplicationFactory.create_batch(FREE_PLAN_MAX_ACTIVE_VENDORS, market=market)
    application = ApplicationFactory(market=market)
    entries_before = LogEntry.objects.count()

    response = organizer_client.post(decide_url(application, "accept"))

    assert response.status_code == 402
    assert LogEntry.objects.count() == entries_before
    rejected_twice = ApplicationFactory(market=market, status=Application.Status.REJECTED)
    assert organizer_client.post(decide_url(rejected_twice, "reject")).status_code == 409
    assert LogEntry.objects.count() == entries_before


def test_a_rolled_back_decision_leaves_no_record(organizer, application):
    with pytest.raises(RuntimeError), transaction.atomic():
        application_accept(
            user=organizer, market_id=application.market_id, application_id=application.pk
        )
        raise RuntimeError("a later step of the same transaction fails")

    assert history(application) == []


def test_an_admin_decision_is_recorded_once_and_shown_on_the_history_page(
    organizer, organizer_admin, application
):
    response = organizer_admin.post(
        reverse("admin:applications_application_decide", args=[application.pk]),
        {"decision": "accept"},
    )
    assert response.status_code == 302

    assert summary(history(application)) == [(organizer.email, CHANGE, "Accepted (was pending).")]
    page = organizer_admin.get(
        reverse("admin:applications_application_history", args=[application.pk])
    )
    assert page.status_code == 200
    assert "Accepted (was pending)." in page.content.decode()
    assert organizer.email in page.content.decode()


def test_another_organizer_cannot_read_the_history(other_organizer_admin, application):
    response = other_organizer_admin.get(
        reverse("admin:applications_application_history", args=[application.pk])
    )

    assert response.status_code == 404


# -- bookings ---------------------------------------------------------------------------------


def bookings_url(market_day) -> str:
    return reverse(
        "api:booking-list",
        kwargs={"market_id": market_day.market_id, "market_day_id": market_day.pk},
    )


def booking_url(booking) -> str:
    return reverse(
        "api:booking-detail",
        kwargs={
            "market_id": booking.market_day.market_id,
            "market_day_id": booking.market_day_id,
            "booking_id": booking.pk,
        },
    )


def test_a_booking_s_life_is_recorded_and_outlives_it(
    organizer_client, organizer, organizer_admin, market_day, accepted_application
):
    stall = StallFactory(market=market_day.market, label="B7", price_per_day=2500)
    created = organizer_client.post(
        bookings_url(market_day),
        {"stall_id": str(stall.pk), "vendor_id": str(accepted_application.vendor_id)},
        format="json",
    )
    assert created.status_code == 201
    booking = Booking.objects.get(pk=created.json()["id"])
    where = f"on stall B7 for {date_format(market_day.date)}"
    name = accepted_application.business_name

    paid = organizer_client.patch(booking_url(booking), {"payment_status": "paid"}, format="json")
    unpaid = organizer_client.patch(
        booking_url(booking), {"payment_status": "unpaid"}, format="json"
    )
    cancelled = organizer_client.delete(booking_url(booking))

    assert (paid.status_code, unpaid.status_code, cancelled.status_code) == (200, 200, 204)
    assert Booking.objects.get(pk=booking.pk).is_cancelled  # kept, as a record
    entries = history(booking)
    assert summary(entries) == [
        (organizer.email, ADDITION, f"Booked {name} {where}, fee 25.00 EUR."),
        (organizer.email, CHANGE, "Payment: paid (was unpaid), fee 25.00 EUR."),
        (organizer.email, CHANGE, "Payment: unpaid (was paid), fee 25.00 EUR."),
        (
            organizer.email,
            CHANGE,
            f"Cancelled the booking of {booking.vendor.business_name} {where}.",
        ),
    ]
    # The cancelled booking's entries keep what it was; its market day's history page shows it.
    assert {entry.object_repr for entry in entries} == {str(booking)}
    page = organizer_admin.get(
        reverse("admin:marketflow_marketday_history", args=[market_day.pk])
    ).content.decode()
    assert f"Cancelled the booking of {booking.vendor.business_name} {where}." in page


def test_a_refused_booking_records_nothing(organizer_client, market_day, accepted_application):
    stall = StallFactory(market=market_day.market)
    BookingFactory(market_day=market_day, stall=stall)
    entries_before = LogEntry.objects.count()

    response = organizer_client.post(
        bookings_url(market_day),
        {"stall_id": str(stall.pk), "vendor_id": str(accepted_application.vendor_id)},
        format="json",
    )

    assert response.status_code == 409
    assert LogEntry.objects.count() == entries_before


def test_bookings_made_on_the_admin_board_are_recorded_once(
    organizer, organizer_admin, market_day, accepted_application
):
    stall = StallFactory(market=market_day.market, label="C1")
    board = reverse("admin:stalls_booking_board", args=[market_day.pk])

    organizer_admin.post(
        board,
        {"operation": "book", "stall": str(stall.pk), "vendor": accepted_application.vendor_id},
    )
    booking = Booking.objects.get(market_day=market_day, stall=stall)
    organizer_admin.post(
        board, {"operation": "payment", "booking": str(booking.pk), "payment_status": "waived"}
    )

    assert [(e.user, e.action_flag) for e in history(booking)] == [
        (organizer, ADDITION),
        (organizer, CHANGE),
    ]
    assert history(booking)[1].change_message == "Payment: waived (was unpaid), fee 25.00 EUR."


def test_bookings_changed_in_the_admin_change_form_are_recorded_once(
    organizer, organizer_admin, market_day, accepted_application
):
    booking = BookingFactory(market_day=market_day, vendor=accepted_application.vendor)

    response = organizer_admin.post(
        reverse("admin:stalls_booking_change", args=[booking.pk]), {"payment_status": "paid"}
    )

    assert response.status_code == 302
    assert summary(history(booking)) == [
        (organizer.email, CHANGE, "Payment: paid (was unpaid), fee 25.00 EUR.")
    ]


def test_a_withdrawal_records_the_bookings_it_releases(
    organizer, market_day, accepted_application, vendor_user
):
    booking = BookingFactory(market_day=market_day, vendor=accepted_application.vendor)
    where = f"on stall {booking.stall.label} for {date_format(market_day.date)}"

    response = token_client(vendor_user).post(
        reverse("api:me-application-withdraw", kwargs={"application_id": accepted_application.pk})
    )

    assert response.status_code == 200
    message = (
        f"Released the booking of {accepted_application.business_name} {where}: "
        "the vendor withdrew their application."
    )
    assert summary(history(booking)) == [(vendor_user.email, CHANGE, message)]
    assert summary(history(MarketDay.objects.get(pk=market_day.pk))) == [
        (vendor_user.email, CHANGE, message)
    ]


def test_filling_from_regulars_records_each_booking(organizer, market_day, accepted_application):
    StallFactory(market=market_day.market, label="R1", assigned_vendor=accepted_application.vendor)

    fill = booking_fill_from_regulars(
        user=organizer, market_id=market_day.market_id, market_day_id=market_day.pk
    )

    (booking,) = fill.booked
    assert summary(history(booking)) == [
        (
            organizer.email,
            ADDITION,
            f"Booked the stall's regular vendor on stall R1 for {date_format(market_day.date)}, "
            "fee 25.00 EUR.",
        )
    ]


def test_a_business_name_with_braces_is_recorded_as_typed(
    organizer_client, organizer, market_day, accepted_application
):
    """Names are user input: they must not be treated as a format string."""
    vendor = accepted_application.vendor
    vendor.business_name = "{where} & {0} Bakery"
    vendor.save(update_fields=["business_name", "updated_at"])
    booking = BookingFactory(market_day=market_day, vendor=vendor)

    assert organizer_client.delete(booking_url(booking)).status_code == 204
    (entry,) = history(booking)
    assert entry.change_message.startswith("Cancelled the booking of {where} & {0} Bakery on")
