"""Waitlist offers (issue 15 §3): asking for a full day, offers when a stall frees, answers,
expiry, pause, the market's order, the hold on an offered stall, and the audit trail."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.models import Market
from marketflow.tests.factories import UserFactory
from stalls import services
from stalls.models import Booking, StallOffer, WaitlistEntry
from stalls.tests.factories import StallFactory, accepted_vendor_with_account
from stalls.tests.waitlist_support import cancel, full_day_of, history, join, open_offer

pytestmark = pytest.mark.django_db

Offer = StallOffer.State
Entry = WaitlistEntry.State


@pytest.fixture
def full_day(market):
    return full_day_of(market)


def test_a_cancelled_booking_offers_the_stall_to_the_first_waiting_by_email(
    market, organizer, full_day, django_capture_on_commit_callbacks, settings
):
    settings.MARKETFLOW_OFFER_HOURS = 5
    market_day, stall, booking = full_day
    first, second = join(market, market_day, 2)

    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        cancel(organizer, booking)

    offer = open_offer(first)
    assert offer.stall == stall and offer.position == 1
    assert before + datetime.timedelta(hours=5) <= offer.expires_at
    assert offer.expires_at <= timezone.now() + datetime.timedelta(hours=5)
    assert offer.entry.state == Entry.OFFERED
    assert WaitlistEntry.objects.get(vendor__user=second).state == Entry.WAITING
    (message,) = mail.outbox
    assert message.to == [first.email]
    assert f"/vendor/offers/{offer.pk}/" in message.body
    assert "stall A1" in message.body
    assert any(
        line.startswith(f"Offered stall A1 to {offer.vendor.business_name}, #1 on the waitlist")
        and "was cancelled" in line
        for line in history(market_day)
    )


def test_accepting_books_the_stall_and_closes_the_entry(market, organizer, full_day):
    market_day, stall, booking = full_day
    (first,) = join(market, market_day)
    cancel(organizer, booking)
    offer = open_offer(first)

    booked = services.stall_offer_accept(user=first, offer_id=offer.pk)

    assert (booked.stall, booked.vendor_id, booked.fee_cents) == (stall, offer.vendor_id, 2500)
    offer.refresh_from_db()
    assert offer.state == Offer.ACCEPTED and offer.answered_at is not None
    assert offer.entry.state == Entry.BOOKED
    assert f"{offer.vendor.business_name} accepted the offer of stall A1" in history(market_day)[-1]


def test_declining_offers_the_stall_to_the_next(market, organizer, full_day):
    market_day, _stall, booking = full_day
    first, second = join(market, market_day, 2)
    cancel(organizer, booking)

    services.stall_offer_decline(user=first, offer_id=open_offer(first).pk)

    assert StallOffer.objects.get(vendor__user=first).state == Offer.DECLINED
    assert WaitlistEntry.objects.get(vendor__user=first).state == Entry.DECLINED
    offer = open_offer(second)
    assert offer.position == 1  # first of those still waiting
    assert "declined it" in history(market_day)[-1]


def test_expire_offers_moves_an_unanswered_offer_on_and_is_idempotent(
    market, organizer, full_day, settings
):
    market_day, _stall, booking = full_day
    first, second = join(market, market_day, 2)
    cancel(organizer, booking)
    later = open_offer(first).expires_at + datetime.timedelta(seconds=1)
    settings.MARKETFLOW_OFFER_HOURS = 48  # the next offer is not due at ``later``

    assert services.offers_expire(now=later - datetime.timedelta(seconds=2)) == 0
    assert services.offers_expire(now=later) == 1
    assert services.offers_expire(now=later) == 0

    assert StallOffer.objects.get(vendor__user=first).state == Offer.EXPIRED
    assert WaitlistEntry.objects.get(vendor__user=first).state == Entry.EXPIRED
    assert open_offer(second)
    assert StallOffer.objects.filter(state=Offer.OPEN).count() == 1
    assert any("let the offer of stall A1 expire" in line for line in history(market_day))


def test_the_expire_offers_command_reports_what_it_did(market, organizer, full_day):
    market_day, _stall, booking = full_day
    join(market, market_day)
    cancel(organizer, booking)
    StallOffer.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))

    out = StringIO()
    call_command("expire_offers", stdout=out)
    assert out.getvalue().strip() == "Expired 1 offer(s)."
    assert StallOffer.objects.get().state == Offer.EXPIRED


def test_an_offer_past_its_deadline_cannot_be_accepted(market, organizer, full_day, refused):
    market_day, _stall, booking = full_day
    (first,) = join(market, market_day)
    cancel(organizer, booking)
    offer = open_offer(first)
    StallOffer.objects.filter(pk=offer.pk).update(expires_at=timezone.now())

    with refused("offer_expired"):
        services.stall_offer_accept(user=first, offer_id=offer.pk)


def test_another_vendors_offer_is_not_yours(market, organizer, full_day, refused):
    market_day, _stall, booking = full_day
    first, second = join(market, market_day, 2)
    cancel(organizer, booking)

    with refused("offer_not_yours"):
        services.stall_offer_accept(user=second, offer_id=open_offer(first).pk)
    with refused("offer_not_yours"):
        services.stall_offer_decline(user=second, offer_id=open_offer(first).pk)


def test_an_answered_offer_cannot_be_answered_again(market, organizer, full_day, refused):
    market_day, _stall, booking = full_day
    (first,) = join(market, market_day)
    cancel(organizer, booking)
    offer = open_offer(first)
    services.stall_offer_accept(user=first, offer_id=offer.pk)

    with refused("offer_answered"):
        services.stall_offer_decline(user=first, offer_id=offer.pk)


def test_joining_a_day_with_a_free_stall_is_refused(market, full_day, refused):
    market_day, _stall, _booking = full_day
    StallFactory(market=market, label="B2")
    _vendor, user = accepted_vendor_with_account(market)

    with refused("day_not_full"):
        services.waitlist_join(user=user, market_day_id=market_day.pk)


def test_joining_twice_or_when_booked_is_refused(market, full_day, refused):
    market_day, _stall, booking = full_day
    (user,) = join(market, market_day)
    holder_user = UserFactory(email=booking.vendor.email)
    booking.vendor.user = holder_user
    booking.vendor.save(update_fields=["user", "updated_at"])

    with refused("already_on_waitlist"):
        services.waitlist_join(user=user, market_day_id=market_day.pk)
    with refused("vendor_already_booked"):
        services.waitlist_join(user=holder_user, market_day_id=market_day.pk)


def test_a_vendor_not_accepted_at_the_market_does_not_find_the_day(full_day, other_market, refused):
    market_day, _stall, _booking = full_day
    _vendor, stranger = accepted_vendor_with_account(other_market)

    with refused("not_found"):
        services.waitlist_join(user=stranger, market_day_id=market_day.pk)


def test_an_open_offer_holds_the_stall_against_a_booking_by_hand(
    market, organizer, full_day, refused
):
    market_day, stall, booking = full_day
    join(market, market_day)
    cancel(organizer, booking)
    other = AcceptedApplicationFactory(market=market).vendor

    with refused("stall_on_offer"):
        services.booking_create(
            user=organizer,
            market_id=market.pk,
            market_day_id=market_day.pk,
            stall_id=stall.pk,
            vendor_id=other.pk,
        )
    fill = services.booking_fill_from_regulars(
        user=organizer, market_id=market.pk, market_day_id=market_day.pk
    )
    assert fill.booked == []


def test_paused_offers_leave_a_freed_stall_free_until_resumed(market, organizer, full_day):
    market_day, stall, booking = full_day
    (first,) = join(market, market_day)
    services.market_day_offers_pause(
        user=organizer, market_id=market.pk, market_day_id=market_day.pk, paused=True
    )

    cancel(organizer, booking)
    assert not StallOffer.objects.exists()
    services.offers_expire()  # the sweep respects the pause too
    assert not StallOffer.objects.exists()

    services.market_day_offers_pause(
        user=organizer, market_id=market.pk, market_day_id=market_day.pk, paused=False
    )
    assert open_offer(first).stall == stall
    assert "Paused waitlist offers for this day." in history(market_day)
    assert "Resumed waitlist offers for this day." in history(market_day)


def test_priority_points_order_a_market_that_ranks_by_them(market, organizer, full_day):
    market.waitlist_order = Market.WaitlistOrder.PRIORITY
    market.save(update_fields=["waitlist_order", "updated_at"])
    market_day, _stall, booking = full_day
    early, late = join(market, market_day, 2)
    entry = WaitlistEntry.objects.get(vendor__user=late)
    services.waitlist_entry_set_points(
        user=organizer,
        market_id=market.pk,
        market_day_id=market_day.pk,
        entry_id=entry.pk,
        priority_points=10,
    )

    cancel(organizer, booking)

    offer = open_offer(late)
    assert offer.position == 1
    assert "by priority points (10)" in history(market_day)[-1]
    assert not StallOffer.objects.filter(vendor__user=early).exists()


def test_first_come_is_the_default_order_whatever_the_points(market, organizer, full_day):
    market_day, _stall, booking = full_day
    early, late = join(market, market_day, 2)
    WaitlistEntry.objects.filter(vendor__user=late).update(priority_points=10)

    cancel(organizer, booking)

    assert open_offer(early)


def test_a_withdrawal_releases_the_stall_to_the_waitlist(market, organizer, full_day):
    market_day, stall, booking = full_day
    holder_user = UserFactory(email=booking.vendor.email)
    booking.vendor.user = holder_user
    booking.vendor.save(update_fields=["user", "updated_at"])
    (first,) = join(market, market_day)
    application = booking.vendor.applications.get()

    services.application_withdraw(user=holder_user, application_id=application.pk)

    assert open_offer(first).stall == stall


def test_a_withdrawing_vendor_leaves_the_waitlist_and_their_offer_moves_on(
    market, organizer, full_day
):
    market_day, _stall, booking = full_day
    first, second = join(market, market_day, 2)
    cancel(organizer, booking)
    application = open_offer(first).vendor.applications.get()

    services.application_withdraw(user=first, application_id=application.pk)

    assert StallOffer.objects.get(vendor__user=first).state == Offer.WITHDRAWN
    assert WaitlistEntry.objects.get(vendor__user=first).state == Entry.CLOSED
    assert open_offer(second)
    assert any(
        "left the waitlist: the vendor withdrew their application" in line
        for line in history(market_day)
    )


def test_a_new_stall_is_offered_to_the_waitlist(market, organizer, full_day):
    market_day, _stall, _booking = full_day
    (first,) = join(market, market_day)

    stall = services.stall_create(user=organizer, market_id=market.pk, label="Z9")

    assert open_offer(first).stall == stall
    assert "stall Z9 was added" in history(market_day)[-1]


def test_a_vendor_booked_by_hand_is_passed_over(market, organizer, full_day):
    market_day, _stall, booking = full_day
    first, second = join(market, market_day, 2)
    first_vendor = WaitlistEntry.objects.get(vendor__user=first).vendor
    services.stall_create(user=organizer, market_id=market.pk, label="Z9")  # offered to first
    services.stall_offer_decline(user=first, offer_id=open_offer(first).pk)  # to second
    services.stall_offer_accept(user=second, offer_id=open_offer(second).pk)
    # first asks again, then is booked by hand elsewhere before a stall frees
    StallFactory(market=market, label="Z8")
    Booking.objects.create(
        market_day=market_day,
        stall=StallFactory(market=market, label="Y1"),
        vendor=first_vendor,
        fee_cents=0,
    )
    WaitlistEntry.objects.create(market_day=market_day, vendor=first_vendor)

    cancel(organizer, booking)

    assert not StallOffer.objects.filter(vendor=first_vendor, state=Offer.OPEN).exists()
