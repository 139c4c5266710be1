"""The waitlist API: the vendor's side (/api/me/waitlist/, /api/me/offers/...) and the
organizer's (a day's waitlist, offers, priority points, pause), with error codes and the
other tenant's 404."""

import pytest
from django.utils import timezone

from conftest import token_client
from marketflow.tests.factories import MarketDayFactory
from stalls.models import Booking, StallOffer, WaitlistEntry
from stalls.tests.factories import StallFactory, accepted_vendor_with_account
from stalls.tests.waitlist_support import cancel, full_day_of, join, open_offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_day(market):
    return full_day_of(market)


def day_url(market_day, tail: str) -> str:
    return f"/api/markets/{market_day.market_id}/market-days/{market_day.pk}/{tail}"


def test_a_vendor_joins_a_full_day_and_lists_it(market, full_day):
    market_day, _stall, _booking = full_day
    _vendor, user = accepted_vendor_with_account(market)
    client = token_client(user)

    response = client.post("/api/me/waitlist/", {"market_day_id": str(market_day.pk)}, "json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["market_day_id"], body["state"]) == (str(market_day.pk), "waiting")
    assert body["market_name"] == market.name
    listed = client.get("/api/me/waitlist/").json()["results"]
    assert [entry["id"] for entry in listed] == [body["id"]]


def test_joining_a_day_with_a_free_stall_answers_day_not_full(market, full_day):
    market_day, _stall, _booking = full_day
    StallFactory(market=market)
    _vendor, user = accepted_vendor_with_account(market)

    response = token_client(user).post(
        "/api/me/waitlist/", {"market_day_id": str(market_day.pk)}, "json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "day_not_full"
    assert not WaitlistEntry.objects.exists()


def test_joining_a_day_of_a_market_that_did_not_accept_you_is_404(other_market, full_day):
    market_day, _stall, _booking = full_day
    _vendor, user = accepted_vendor_with_account(other_market)

    response = token_client(user).post(
        "/api/me/waitlist/", {"market_day_id": str(market_day.pk)}, "json"
    )

    assert response.status_code == 404


def test_accepting_an_offer_books_the_stall(market, organizer, full_day):
    market_day, stall, booking = full_day
    (user,) = join(market, market_day)
    cancel(organizer, booking)
    offer = open_offer(user)
    client = token_client(user)
    assert [row["id"] for row in client.get("/api/me/offers/").json()["results"]] == [str(offer.pk)]

    response = client.post(f"/api/me/offers/{offer.pk}/accept/")

    assert response.status_code == 201, response.content
    assert response.json()["stall_label"] == stall.label
    assert Booking.objects.get(market_day=market_day).vendor_id == offer.vendor_id


def test_declining_an_offer_answers_the_offer(market, organizer, full_day):
    market_day, _stall, booking = full_day
    first, second = join(market, market_day, 2)
    cancel(organizer, booking)

    response = token_client(first).post(f"/api/me/offers/{open_offer(first).pk}/decline/")

    assert response.status_code == 200
    assert response.json()["state"] == "declined"
    assert open_offer(second)


def test_answer_errors_have_stable_codes(market, organizer, full_day):
    market_day, _stall, booking = full_day
    first, second = join(market, market_day, 2)
    cancel(organizer, booking)
    offer = open_offer(first)

    not_yours = token_client(second).post(f"/api/me/offers/{offer.pk}/accept/")
    StallOffer.objects.filter(pk=offer.pk).update(expires_at=timezone.now())
    expired = token_client(first).post(f"/api/me/offers/{offer.pk}/accept/")

    assert (not_yours.status_code, not_yours.json()["code"]) == (403, "offer_not_yours")
    assert (expired.status_code, expired.json()["code"]) == (409, "offer_expired")
    assert not Booking.objects.filter(market_day=market_day).exists()


def test_an_organizer_booking_an_offered_stall_answers_stall_on_offer(market, organizer, full_day):
    market_day, stall, booking = full_day
    join(market, market_day)
    cancel(organizer, booking)
    _vendor, _user = accepted_vendor_with_account(market)

    response = token_client(organizer).post(
        day_url(market_day, "bookings/"),
        {"stall_id": str(stall.pk), "vendor_id": str(_vendor.pk)},
        "json",
    )

    assert (response.status_code, response.json()["code"]) == (409, "stall_on_offer")


def test_the_organizer_sees_the_waitlist_and_offers_and_sets_points(market, organizer, full_day):
    market_day, stall, booking = full_day
    first, second = join(market, market_day, 2)
    cancel(organizer, booking)
    client = token_client(organizer)

    waitlist = client.get(day_url(market_day, "waitlist/")).json()["results"]
    offers = client.get(day_url(market_day, "offers/")).json()["results"]
    entry_id = waitlist[1]["id"]
    patched = client.patch(
        day_url(market_day, f"waitlist/{entry_id}/"), {"priority_points": 7}, "json"
    )

    assert [entry["state"] for entry in waitlist] == ["offered", "waiting"]
    assert [(offer["stall_label"], offer["position"], offer["state"]) for offer in offers] == [
        (stall.label, 1, "open")
    ]
    assert patched.status_code == 200 and patched.json()["priority_points"] == 7


def test_the_organizer_pauses_and_resumes_offers(market, organizer, full_day):
    market_day, _stall, booking = full_day
    (first,) = join(market, market_day)
    client = token_client(organizer)

    paused = client.post(day_url(market_day, "offers/pause/"), {"paused": True}, "json")
    cancel(organizer, booking)
    assert not StallOffer.objects.exists()
    resumed = client.post(day_url(market_day, "offers/pause/"), {"paused": False}, "json")

    assert paused.json() == {"market_day_id": str(market_day.pk), "offers_paused": True}
    assert resumed.json()["offers_paused"] is False
    assert open_offer(first)


@pytest.mark.parametrize(
    ("method", "tail", "data"),
    [
        ("get", "waitlist/", None),
        ("get", "offers/", None),
        ("post", "offers/pause/", {"paused": True}),
        ("patch", "waitlist/{entry}/", {"priority_points": 3}),
    ],
)
def test_another_organizers_day_is_404(method, tail, data, market, other_organizer, full_day):
    market_day, _stall, _booking = full_day
    (user,) = join(market, market_day)
    entry = WaitlistEntry.objects.get()
    url = day_url(market_day, tail.format(entry=entry.pk))

    response = getattr(token_client(other_organizer), method)(url, data, format="json")

    assert response.status_code == 404
    assert entry.priority_points == WaitlistEntry.objects.get().priority_points
    market_day.refresh_from_db()
    assert market_day.offers_paused is False


def test_a_day_of_one_market_under_another_is_404(market, organizer, full_day):
    market_day, _stall, _booking = full_day
    own_other_market_day = MarketDayFactory(market=StallFactory(market__organizer=organizer).market)

    response = token_client(organizer).get(
        f"/api/markets/{market.pk}/market-days/{own_other_market_day.pk}/waitlist/"
    )

    assert response.status_code == 404


def test_a_booking_cancelled_through_the_api_offers_the_stall(market, organizer, full_day):
    market_day, _stall, booking = full_day
    (user,) = join(market, market_day)

    response = token_client(organizer).delete(day_url(market_day, f"bookings/{booking.pk}/"))

    assert response.status_code == 204
    assert open_offer(user)
    assert not Booking.objects.filter(market_day=market_day).exists()
