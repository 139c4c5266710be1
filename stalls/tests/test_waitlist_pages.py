"""The waitlist in the vendor portal (inline errors) and in the admin (the day's waitlist and
offers on its page, pausing offers with a message, another organizer's day not found)."""

import pytest
from django.test import Client
from django.utils import timezone

from stalls.models import Booking, StallOffer, WaitlistEntry
from stalls.tests.factories import accepted_vendor_with_account
from stalls.tests.waitlist_support import cancel, full_day_of, history, join, open_offer
from tests.admin_support import admin_url, form_data, messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_day(market):
    return full_day_of(market)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_asking_for_a_day_from_the_portal_and_its_inline_error(market, full_day):
    market_day, _stall, _booking = full_day
    _vendor, user = accepted_vendor_with_account(market)
    client = signed_in(user)

    page = client.get("/vendor/waitlist/")
    assert str(market_day.pk) in page.content.decode()  # offered as a full day to ask for
    asked = client.post("/vendor/waitlist/", {"market_day": market_day.pk}, follow=True)
    again = client.post("/vendor/waitlist/", {"market_day": market_day.pk})

    assert "You are on the waitlist" in asked.content.decode()
    assert again.status_code == 200
    assert "error-summary" in again.content.decode()
    assert "You are on this market day&#x27;s waitlist already." in again.content.decode()


def test_accepting_an_expired_offer_shows_the_error_on_the_page(market, organizer, full_day):
    market_day, _stall, booking = full_day
    (user,) = join(market, market_day)
    cancel(organizer, booking)
    offer = open_offer(user)
    StallOffer.objects.filter(pk=offer.pk).update(expires_at=timezone.now())

    response = signed_in(user).post(f"/vendor/offers/{offer.pk}/", {"answer": "accept"})

    assert response.status_code == 200
    assert "This offer has expired" in response.content.decode()
    assert not Booking.objects.filter(market_day=market_day).exists()


def test_another_vendors_offer_page_is_refused(market, organizer, full_day):
    market_day, _stall, booking = full_day
    first, second = join(market, market_day, 2)
    cancel(organizer, booking)

    response = signed_in(second).post(
        f"/vendor/offers/{open_offer(first).pk}/", {"answer": "accept"}
    )

    assert response.status_code == 403
    assert not Booking.objects.filter(market_day=market_day).exists()


def test_the_admin_shows_the_days_waitlist_and_offers(market, organizer, organizer_admin, full_day):
    market_day, _stall, booking = full_day
    first, _second = join(market, market_day, 2)
    cancel(organizer, booking)
    offer = open_offer(first)

    page = organizer_admin.get(admin_url("marketday", "change", market_day.pk))

    text = page.content.decode()
    assert page.status_code == 200
    assert "Waitlist" in text and "Stall offers" in text
    assert offer.vendor.business_name in text
    assert "Offered a stall" in text and "Waiting" in text


def test_the_admin_pauses_offers_for_a_day_with_a_message(
    market, organizer, organizer_admin, full_day
):
    market_day, _stall, booking = full_day
    join(market, market_day)

    response = organizer_admin.post(
        admin_url("marketday"),
        {"action": "pause_offers", "_selected_action": [market_day.pk]},
        follow=True,
    )
    cancel(organizer, booking)

    assert "Paused waitlist offers for 1 market day(s)." in messages_of(response)
    market_day.refresh_from_db()
    assert market_day.offers_paused
    assert not StallOffer.objects.exists()


def test_another_organizer_cannot_see_or_pause_the_day(other_organizer_admin, full_day):
    market_day, _stall, _booking = full_day

    page = other_organizer_admin.get(admin_url("marketday", "change", market_day.pk))
    other_organizer_admin.post(
        admin_url("marketday"), {"action": "pause_offers", "_selected_action": [market_day.pk]}
    )

    assert page.status_code in {302, 404}
    market_day.refresh_from_db()
    assert not market_day.offers_paused


def test_the_admin_sets_priority_points_through_the_service(
    market, organizer, organizer_admin, full_day
):
    market_day, _stall, _booking = full_day
    join(market, market_day)
    entry = WaitlistEntry.objects.get()
    url = admin_url("marketday", "change", market_day.pk)
    data = form_data(organizer_admin.get(url))
    (points_key,) = [key for key in data if key.endswith("-priority_points")]
    assert not [key for key in data if key.endswith("-DELETE")]  # entries are not deleted here

    response = organizer_admin.post(url, {**data, points_key: "12"})

    assert response.status_code == 302, response.content
    entry.refresh_from_db()
    assert entry.priority_points == 12
    assert any(line.startswith("Priority points of") for line in history(market_day))
