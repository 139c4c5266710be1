"""Undoing a decision: a rejection reopened (back to pending), an acceptance revoked (the
vendor's coming unpaid bookings released, the vendor told); services, API and admin."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.urls import reverse
from django.utils.formats import date_format

from applications.models import Application
from applications.services import application_reopen
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow.tests.factories import MarketDayFactory
from stalls.models import Booking
from stalls.services import application_revoke, booking_create
from stalls.tests.factories import BookingFactory, StallFactory

pytestmark = pytest.mark.django_db

Status = Application.Status


def history(obj) -> list[str]:
    return list(
        LogEntry.objects.filter(object_id=str(obj.pk))
        .order_by("action_time")
        .values_list("change_message", flat=True)
    )


def book(market, vendor, *, days_ahead=7, payment_status=Booking.PaymentStatus.UNPAID):
    day = MarketDayFactory(market=market, date=market.today() + datetime.timedelta(days_ahead))
    return BookingFactory(
        market_day=day,
        stall=StallFactory(market=market, label=f"S{days_ahead}"),
        vendor=vendor,
        payment_status=payment_status,
    )


# -- reopen


def test_reopening_a_rejection_makes_it_pending_tells_the_vendor_and_records_why(
    organizer, market, vendor, django_capture_on_commit_callbacks
):
    rejected = ApplicationFactory(market=market, vendor=vendor, status=Status.REJECTED)

    with django_capture_on_commit_callbacks(execute=True):
        application_reopen(
            user=organizer,
            market_id=market.pk,
            application_id=rejected.pk,
            reason="Clicked reject by mistake.",
        )

    rejected.refresh_from_db()
    assert (rejected.status, rejected.decision_reason, rejected.reviewed_by) == (
        Status.PENDING,
        "Clicked reject by mistake.",
        organizer,
    )
    assert history(rejected) == ["Pending (was rejected). Reason: Clicked reject by mistake."]
    (message,) = mail.outbox
    assert message.to == [vendor.email]
    assert message.subject == f"Your application to {market.name} is being reviewed again"
    assert "Clicked reject by mistake." in message.body


@pytest.mark.parametrize("reason", ["", "   "])
def test_undoing_needs_a_reason(refused, organizer, market, vendor, reason):
    rejected = ApplicationFactory(market=market, vendor=vendor, status=Status.REJECTED)
    accepted = AcceptedApplicationFactory(market=market)

    with refused("invalid") as excinfo:
        application_reopen(
            user=organizer, market_id=market.pk, application_id=rejected.pk, reason=reason
        )
    assert list(excinfo.value.extra["fields"]) == ["reason"]
    with refused("invalid"):
        application_revoke(
            user=organizer, market_id=market.pk, application_id=accepted.pk, reason=reason
        )


def test_reopening_is_refused_while_the_vendor_has_applied_again(refused, organizer, market):
    rejected = ApplicationFactory(market=market, status=Status.REJECTED)
    ApplicationFactory(market=market, vendor=rejected.vendor, status=Status.PENDING)

    with refused("application_already_open") as excinfo:
        application_reopen(
            user=organizer, market_id=market.pk, application_id=rejected.pk, reason="Oops."
        )
    assert excinfo.value.message == "The vendor has another open application to this market."


def test_only_a_rejection_or_revocation_can_be_reopened(refused, organizer, market):
    waitlisted = ApplicationFactory(market=market, status=Status.WAITLISTED)

    with refused("invalid_transition") as excinfo:
        application_reopen(
            user=organizer, market_id=market.pk, application_id=waitlisted.pk, reason="Oops."
        )
    assert excinfo.value.extra == {"current": "waitlisted", "target": "pending"}


def test_undoing_in_another_organizers_market_is_not_found(refused, organizer, other_market):
    rejected = ApplicationFactory(market=other_market, status=Status.REJECTED)
    accepted = AcceptedApplicationFactory(market=other_market)

    with refused("not_found"):
        application_reopen(
            user=organizer, market_id=other_market.pk, application_id=rejected.pk, reason="x"
        )
    with refused("not_found"):
        application_revoke(
            user=organizer, market_id=other_market.pk, application_id=accepted.pk, reason="x"
        )


# -- revoke


def test_revoking_releases_coming_unpaid_bookings_keeps_paid_and_past_ones_and_tells_the_vendor(
    organizer, market, vendor, django_capture_on_commit_callbacks
):
    accepted = AcceptedApplicationFactory(market=market, vendor=vendor)
    unpaid = book(market, vendor, days_ahead=7)
    waived = book(market, vendor, days_ahead=14, payment_status=Booking.PaymentStatus.WAIVED)
    paid = book(market, vendor, days_ahead=21, payment_status=Booking.PaymentStatus.PAID)
    past = book(market, vendor, days_ahead=-7)
    someone_else = book(market, AcceptedApplicationFactory(market=market).vendor, days_ahead=28)

    with django_capture_on_commit_callbacks(execute=True):
        revocation = application_revoke(
            user=organizer,
            market_id=market.pk,
            application_id=accepted.pk,
            reason="Did not bring the insurance certificate.",
        )

    accepted.refresh_from_db()
    assert accepted.status == Status.REVOKED
    assert accepted.decision_reason == "Did not bring the insurance certificate."
    left = set(Booking.objects.active().values_list("pk", flat=True))
    assert left == {paid.pk, past.pk, someone_else.pk}
    assert revocation.released == [
        f"Stall S7 on {date_format(unpaid.market_day.date)}, fee 25.00 EUR (unpaid)",
        f"Stall S14 on {date_format(waived.market_day.date)}, fee 25.00 EUR (waived)",
    ]
    assert history(accepted) == [
        "Revoked (was accepted). Reason: Did not bring the insurance certificate."
    ]
    assert history(unpaid.market_day) == [
        f"Released the booking of {accepted.business_name} on stall S7 for "
        f"{date_format(unpaid.market_day.date)}: the organizer revoked the acceptance."
    ]
    (message,) = mail.outbox
    assert message.to == [vendor.email]
    assert message.subject == f"Your place at {market.name} was withdrawn by the organizer"
    assert "Did not bring the insurance certificate." in message.body
    assert revocation.released[0] in message.body and revocation.released[1] in message.body


def test_a_revoked_vendor_cannot_be_booked_and_may_be_reopened(refused, organizer, market):
    accepted = AcceptedApplicationFactory(market=market)
    application_revoke(
        user=organizer, market_id=market.pk, application_id=accepted.pk, reason="Left early."
    )
    day, stall = MarketDayFactory(market=market), StallFactory(market=market)

    with refused("vendor_not_accepted"):
        booking_create(
            user=organizer,
            market_id=market.pk,
            market_day_id=day.pk,
            stall_id=stall.pk,
            vendor_id=accepted.vendor_id,
        )

    application_reopen(
        user=organizer, market_id=market.pk, application_id=accepted.pk, reason="Came back."
    )
    accepted.refresh_from_db()
    assert accepted.status == Status.PENDING


def test_only_an_acceptance_can_be_revoked(refused, organizer, market):
    pending = ApplicationFactory(market=market, status=Status.PENDING)

    with refused("invalid_transition") as excinfo:
        application_revoke(
            user=organizer, market_id=market.pk, application_id=pending.pk, reason="x"
        )
    assert excinfo.value.extra == {"current": "pending", "target": "revoked"}


# -- API


def undo_url(application, action: str) -> str:
    return reverse(
        f"api:application-{action}",
        kwargs={"market_id": application.market_id, "application_id": application.pk},
    )


def test_api_reopens_and_revokes(organizer_client, market):
    rejected = ApplicationFactory(market=market, status=Status.REJECTED)
    accepted = AcceptedApplicationFactory(market=market)

    reopened = organizer_client.post(undo_url(rejected, "reopen"), {"reason": "Oops."})
    revoked = organizer_client.post(undo_url(accepted, "revoke"), {"reason": "Gone."})

    assert reopened.status_code == 200, reopened.json()
    assert (reopened.json()["status"], reopened.json()["decision_reason"]) == ("pending", "Oops.")
    assert revoked.status_code == 200, revoked.json()
    assert (revoked.json()["status"], revoked.json()["decision_reason"]) == ("revoked", "Gone.")


def test_api_undo_errors(organizer_client, other_organizer_client, market):
    rejected = ApplicationFactory(market=market, status=Status.REJECTED)
    accepted = AcceptedApplicationFactory(market=market)

    no_reason = organizer_client.post(undo_url(accepted, "revoke"), {})
    wrong_state = organizer_client.post(undo_url(rejected, "revoke"), {"reason": "x"})
    not_theirs = other_organizer_client.post(undo_url(rejected, "reopen"), {"reason": "x"})

    assert (no_reason.status_code, no_reason.json()["code"]) == (400, "invalid")
    assert list(no_reason.json()["extra"]["fields"]) == ["reason"]
    assert (wrong_state.status_code, wrong_state.json()["code"]) == (409, "invalid_transition")
    assert (not_theirs.status_code, not_theirs.json()["code"]) == (404, "not_found")
    accepted.refresh_from_db()
    rejected.refresh_from_db()
    assert (accepted.status, rejected.status) == (Status.ACCEPTED, Status.REJECTED)


# -- admin


def test_admin_offers_reopen_on_a_rejection_and_revoke_on_an_acceptance(organizer_admin, market):
    rejected = ApplicationFactory(market=market, status=Status.REJECTED)
    accepted = AcceptedApplicationFactory(market=market)

    rejected_page = organizer_admin.get(
        reverse("admin:applications_application_change", args=[rejected.pk])
    ).content.decode()
    accepted_page = organizer_admin.get(
        reverse("admin:applications_application_change", args=[accepted.pk])
    ).content.decode()

    assert 'id="decision-reopen"' in rejected_page and 'id="decision-revoke"' not in rejected_page
    assert 'id="decision-revoke"' in accepted_page and 'id="decision-reopen"' not in accepted_page


def test_admin_revoke_asks_for_a_reason_then_releases(organizer_admin, market, vendor):
    accepted = AcceptedApplicationFactory(market=market, vendor=vendor)
    booking = book(market, vendor)
    url = reverse("admin:applications_application_revoke", args=[accepted.pk])

    page = organizer_admin.get(url)
    empty = organizer_admin.post(url, {"reason": ""})
    done = organizer_admin.post(url, {"reason": "Sold goods not on the application."}, follow=True)

    assert "unpaid bookings on the market" in page.content.decode()
    assert empty.status_code == 200 and "This field is required." in empty.content.decode()
    assert done.redirect_chain[-1][0] == reverse(
        "admin:applications_application_change", args=[accepted.pk]
    )
    shown = [str(message) for message in done.context["messages"]]
    assert shown[0] == f"Revoked: {accepted.business_name}."
    assert shown[1].startswith("Bookings released: Stall S7 on ")
    assert not Booking.objects.active().filter(pk=booking.pk).exists()  # cancelled, kept


def test_admin_reopen_refusal_is_shown_on_the_reason_page(organizer_admin, market):
    rejected = ApplicationFactory(market=market, status=Status.REJECTED)
    ApplicationFactory(market=market, vendor=rejected.vendor, status=Status.PENDING)
    url = reverse("admin:applications_application_reopen", args=[rejected.pk])

    response = organizer_admin.post(url, {"reason": "Oops."})

    assert response.status_code == 200
    assert "The vendor has another open application to this market." in response.content.decode()
    rejected.refresh_from_db()
    assert rejected.status == Status.REJECTED


def test_admin_undo_of_another_organizers_application_is_not_found(organizer_admin, other_market):
    accepted = AcceptedApplicationFactory(market=other_market)

    response = organizer_admin.post(
        reverse("admin:applications_application_revoke", args=[accepted.pk]), {"reason": "x"}
    )

    assert response.status_code == 404
