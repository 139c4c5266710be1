"""A market day cancelled (weather): its vendors are e-mailed and their paid fees credited
toward their next booking at the market, or refunded, by the market's policy; credits pay
the next booking's fee; reinstating the day withdraws the credits not used yet."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.test import Client
from django.urls import reverse

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.models import Market, MarketDay
from marketflow.tests.factories import MarketDayFactory
from stalls.models import Booking, StallOffer, VendorCredit, WaitlistEntry
from stalls.selectors import vendor_fee_statements
from stalls.services import (
    booking_cancel,
    booking_create,
    booking_fill_from_regulars,
    market_day_update_with_fees,
)
from stalls.tests.factories import BookingFactory, StallFactory, open_offer_of
from tests.admin_support import admin_url, form_data, messages_of

pytestmark = pytest.mark.django_db

Policy = Market.CancelledDayPolicy


@pytest.fixture
def day_bookings(market, market_day):
    """Four accepted vendors booked on ``market_day``, their fees paid in cash, by card,
    not paid, and waived (25.00 each)."""
    Market.objects.filter(pk=market.pk).update(currency="EUR")
    market.organizer.stripe_account_id = "acct_org"
    market.organizer.save(update_fields=["stripe_account_id"])
    settled = {
        "cash": {"payment_status": "paid", "payment_method": "cash"},
        "card": {"payment_status": "paid", "payment_method": "card", "payment_reference": "pi_1"},
        "unpaid": {},
        "waived": {"payment_status": "waived", "payment_method": "waived"},
    }
    bookings = {}
    for name, fields in settled.items():
        vendor = AcceptedApplicationFactory(market=market).vendor
        bookings[name] = BookingFactory(
            market_day=market_day,
            vendor=vendor,
            stall=StallFactory(market=market, price_per_day=2500),
            **fields,
        )
    return bookings


def set_status(organizer, market_day, status):
    return market_day_update_with_fees(
        user=organizer, market_id=market_day.market_id, market_day_id=market_day.pk, status=status
    )


def cancel(organizer, market_day, capture):
    with capture(execute=True):
        return set_status(organizer, market_day, MarketDay.Status.CANCELLED)


def fresh(booking) -> Booking:
    return Booking.objects.get(pk=booking.pk)


def test_by_default_paid_fees_become_credits_and_every_vendor_is_told(
    organizer, market_day, day_bookings, stripe_stub, django_capture_on_commit_callbacks
):
    cancel(organizer, market_day, django_capture_on_commit_callbacks)

    credits = {credit.source_booking_id: credit for credit in VendorCredit.objects.all()}
    assert set(credits) == {day_bookings["cash"].pk, day_bookings["card"].pk}
    assert {credit.amount_cents for credit in credits.values()} == {2500}
    assert stripe_stub.refunds() == []
    # The bookings stay as they were (the day comes back with them if reinstated).
    assert [fresh(b).payment_status for b in day_bookings.values()] == [
        "paid",
        "paid",
        "unpaid",
        "waived",
    ]
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        booking.vendor.email for booking in day_bookings.values()
    )
    cash_mail = next(m for m in mail.outbox if m.to == [day_bookings["cash"].vendor.email])
    assert "credited toward the vendor's next booking" in cash_mail.body
    unpaid_mail = next(m for m in mail.outbox if m.to == [day_bookings["unpaid"].vendor.email])
    assert "Unpaid 25.00 EUR: no longer owed." in unpaid_mail.body
    assert LogEntry.objects.filter(
        object_id=str(day_bookings["card"].pk), change_message__startswith="Day cancelled: Paid"
    ).exists()
    # The unpaid fee is no longer due; the credit shows on the vendor's statement.
    (unpaid,) = vendor_fee_statements(vendor_id=day_bookings["unpaid"].vendor_id)
    assert unpaid["due_cents"] == 0
    (cash,) = vendor_fee_statements(vendor_id=day_bookings["cash"].vendor_id)
    assert cash["credit_cents"] == 2500


def test_the_refund_policy_refunds_cards_and_marks_cash_refund_due(
    organizer, market, market_day, day_bookings, stripe_stub, django_capture_on_commit_callbacks
):
    Market.objects.filter(pk=market.pk).update(cancelled_day_policy=Policy.REFUND)

    cancel(organizer, market_day, django_capture_on_commit_callbacks)

    (refund,) = stripe_stub.refunds()
    assert (refund.params["payment_intent"], refund.params["amount"]) == ("pi_1", "2500")
    card = fresh(day_bookings["card"])
    assert card.payment_status == "refunded" and card.refund_reference.startswith("re_")
    cash = fresh(day_bookings["cash"])
    assert (cash.payment_status, cash.refund_due) == ("paid", True)
    assert not VendorCredit.objects.exists()
    assert len(mail.outbox) == 4  # one per vendor: the day's e-mail says what became of the fee


def test_a_refund_stripe_refuses_cancels_nothing(
    organizer, market, market_day, day_bookings, stripe_stub, refused
):
    Market.objects.filter(pk=market.pk).update(cancelled_day_policy=Policy.REFUND)
    stripe_stub.fail_with = 500

    with refused("payment_provider_error"):
        set_status(organizer, market_day, MarketDay.Status.CANCELLED)


def book(organizer, market, vendor, price):
    stall = StallFactory(market=market, price_per_day=price)
    return booking_create(
        user=organizer,
        market_id=market.pk,
        market_day_id=MarketDayFactory(market=market).pk,
        stall_id=stall.pk,
        vendor_id=vendor.pk,
    )


def test_a_credit_pays_the_next_booking_s_fee_and_a_larger_one_keeps_the_rest(
    organizer, market, market_day, day_bookings, django_capture_on_commit_callbacks
):
    cancel(organizer, market_day, django_capture_on_commit_callbacks)
    vendor = day_bookings["cash"].vendor

    bigger = book(organizer, market, vendor, 3000)  # 25.00 of credit, 5.00 to pay
    assert (bigger.fee_cents, bigger.credit_cents, bigger.payment_status) == (500, 2500, "unpaid")
    assert VendorCredit.objects.get(vendor=vendor).used_on == bigger

    card_vendor = day_bookings["card"].vendor
    smaller = book(organizer, market, card_vendor, 1000)  # paid by credit, 15.00 kept
    assert (smaller.fee_cents, smaller.credit_cents) == (0, 1000)
    assert (smaller.payment_status, smaller.payment_method) == ("paid", "credit")
    (statement,) = vendor_fee_statements(vendor_id=card_vendor.pk)
    assert statement["credit_cents"] == 1500
    # Another market's booking takes nothing from it.
    elsewhere = MarketDayFactory(market__organizer=organizer).market
    AcceptedApplicationFactory(market=elsewhere, vendor=vendor)
    other = book(organizer, elsewhere, vendor, 900)
    assert other.credit_cents == 0


def test_cancelling_a_booking_gives_back_the_credit_it_used(
    organizer, market, market_day, day_bookings, django_capture_on_commit_callbacks
):
    cancel(organizer, market_day, django_capture_on_commit_callbacks)
    vendor = day_bookings["cash"].vendor
    booking = book(organizer, market, vendor, 3000)

    booking_cancel(
        user=organizer,
        market_id=market.pk,
        market_day_id=booking.market_day_id,
        booking_id=booking.pk,
    )

    assert VendorCredit.objects.available().get(vendor=vendor).amount_cents == 2500


def test_reinstating_the_day_withdraws_unused_credits_and_keeps_used_ones(
    organizer, market, market_day, day_bookings, django_capture_on_commit_callbacks
):
    cancel(organizer, market_day, django_capture_on_commit_callbacks)
    used = book(organizer, market, day_bookings["card"].vendor, 2500)

    set_status(organizer, market_day, MarketDay.Status.SCHEDULED)

    credits = {c.source_booking_id: c for c in VendorCredit.objects.all()}
    assert credits[day_bookings["cash"].pk].withdrawn_at is not None
    assert credits[day_bookings["card"].pk].used_on == used
    assert credits[day_bookings["card"].pk].withdrawn_at is None
    assert not VendorCredit.objects.available().exists()
    assert fresh(used).payment_method == "credit"


def test_reinstating_clears_a_cash_refund_due(
    organizer, market, market_day, day_bookings, stripe_stub, django_capture_on_commit_callbacks
):
    Market.objects.filter(pk=market.pk).update(cancelled_day_policy=Policy.REFUND)
    cancel(organizer, market_day, django_capture_on_commit_callbacks)

    set_status(organizer, market_day, MarketDay.Status.SCHEDULED)

    assert fresh(day_bookings["cash"]).refund_due is False
    assert fresh(day_bookings["card"]).payment_status == "refunded"  # a refund made stays made


# -- the API and the admin ----------------------------------------------------------------------


def test_the_api_cancels_the_day_and_the_vendor_sees_the_credit(
    organizer_client, market, market_day, day_bookings, vendor, vendor_client
):
    mine = BookingFactory(market_day=market_day, vendor=vendor, payment_status="paid")
    url = f"/api/markets/{market.pk}/market-days/{market_day.pk}/"

    response = organizer_client.patch(url, {"status": "cancelled"}, format="json")

    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    (statement,) = vendor_client.get("/api/me/fees/").json()["markets"]
    assert statement["credit_cents"] == mine.fee_cents
    (line,) = statement["lines"]
    assert (line["day_status"], line["credit_cents"], line["refund_due"]) == (
        "cancelled",
        0,
        False,
    )


def test_another_organizer_cannot_cancel_the_day(
    other_organizer_client, market, market_day, day_bookings
):
    url = f"/api/markets/{market.pk}/market-days/{market_day.pk}/"

    response = other_organizer_client.patch(url, {"status": "cancelled"}, format="json")

    assert response.status_code == 404
    assert not VendorCredit.objects.exists()


def test_the_admin_says_what_cancelling_does_before_it_does_it(
    organizer_admin, market_day, day_bookings, django_capture_on_commit_callbacks
):
    selected = {"action": "cancel_market_days", "_selected_action": [market_day.pk]}

    page = organizer_admin.post(admin_url("marketday"), selected)

    assert page.templates[0].name == "marketflow_admin/cancel_market_days.html"
    content = page.content.decode()
    assert "Credit the fee toward the vendor&#x27;s next day" in content
    assert "Paid 25.00 EUR in cash" not in content  # credit policy: no cash refund
    assert "Paid 25.00 EUR: credited toward the vendor&#x27;s next booking" in content
    assert "Unpaid 25.00 EUR: no longer owed." in content
    assert MarketDay.objects.get(pk=market_day.pk).status == "scheduled"
    assert not VendorCredit.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = organizer_admin.post(
            admin_url("marketday"), {**selected, "apply": "yes"}, follow=True
        )

    assert messages_of(done) == ["Cancelled 1 market day(s)."]
    assert VendorCredit.objects.count() == 2
    assert len(mail.outbox) == 4


def test_the_vendor_fees_page_shows_the_credit(
    market, market_day, vendor, vendor_user, organizer, django_capture_on_commit_callbacks
):
    AcceptedApplicationFactory(market=market, vendor=vendor)
    BookingFactory(market_day=market_day, vendor=vendor, payment_status="paid")
    cancel(organizer, market_day, django_capture_on_commit_callbacks)

    client = Client()
    client.force_login(vendor_user)
    content = client.get(reverse("vendor-fees")).content.decode()

    assert 'class="fee-credit"' in content


def test_the_day_s_own_form_cancels_it_with_its_fees_settled(
    organizer_admin, market_day, day_bookings, django_capture_on_commit_callbacks
):
    url = admin_url("marketday", "change", market_day.pk)

    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_admin.post(
            url, form_data(organizer_admin.get(url)) | {"status": "cancelled"}
        )

    assert response.status_code == 302
    assert VendorCredit.objects.count() == 2
    assert len(mail.outbox) == 4


def test_filling_from_the_regulars_pays_with_the_vendor_s_credit(
    organizer, market, market_day, day_bookings, django_capture_on_commit_callbacks
):
    cancel(organizer, market_day, django_capture_on_commit_callbacks)
    vendor = day_bookings["cash"].vendor
    StallFactory(market=market, price_per_day=4000, assigned_vendor=vendor)
    next_day = MarketDayFactory(market=market)

    fill = booking_fill_from_regulars(
        user=organizer, market_id=market.pk, market_day_id=next_day.pk
    )

    (booked,) = fill.booked
    assert (booked.vendor, booked.fee_cents, booked.credit_cents) == (vendor, 1500, 2500)
    assert Booking.objects.get(pk=booked.pk).credit_cents == 2500
    assert not VendorCredit.objects.available().filter(vendor=vendor).exists()


def test_cancelling_the_day_withdraws_its_open_offers_and_the_vendor_waits_again(
    market, market_day, django_capture_on_commit_callbacks
):
    vendor = AcceptedApplicationFactory(market=market).vendor
    offer = open_offer_of(market_day, vendor)
    cancel(market.organizer, market_day, django_capture_on_commit_callbacks)
    offer.refresh_from_db()
    assert offer.state == StallOffer.State.WITHDRAWN
    assert WaitlistEntry.objects.get(pk=offer.entry_id).state == WaitlistEntry.State.WAITING
    assert LogEntry.objects.filter(
        object_id=str(market_day.pk), change_message__contains="withdrew the offer of stall"
    ).exists()


def test_new_times_e_mail_the_booked_vendors_and_not_the_cancelled_ones(
    market, market_day, day_bookings, django_capture_on_commit_callbacks
):
    cancelled = day_bookings["waived"]
    Booking.objects.filter(pk=cancelled.pk).update(cancelled_at=market_day.created_at)
    with django_capture_on_commit_callbacks(execute=True):
        market_day_update_with_fees(
            user=market.organizer,
            market_id=market.pk,
            market_day_id=market_day.pk,
            start_time=datetime.time(9, 0),
            end_time=datetime.time(14, 0),
        )
    told = sorted(message.to[0] for message in mail.outbox)
    assert told == sorted(day_bookings[name].vendor.email for name in ("cash", "card", "unpaid"))
    assert "now runs from 09:00 to 14:00 (it was 08:00 to 13:00)" in mail.outbox[0].body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        market_day_update_with_fees(
            user=market.organizer,
            market_id=market.pk,
            market_day_id=market_day.pk,
            note="Bring a tent",
        )
    assert mail.outbox == []  # nothing about the times changed
