"""The seasons API: create with its days, preview, change, full-season vendors, tenancy."""

import datetime

import pytest

from applications.tests.factories import AcceptedApplicationFactory
from conftest import domain_snapshot, token_client
from marketflow.models import MarketDay
from seasons.models import Season
from seasons.tests.factories import next_weekday
from stalls.models import Booking
from stalls.tests.factories import BookingFactory, StallFactory
from tests.api_contract import assert_error, assert_page

pytestmark = pytest.mark.django_db

WEEK = datetime.timedelta(days=7)


def seasons_url(market, *rest) -> str:
    return f"/api/markets/{market.pk}/seasons/" + "".join(f"{part}/" for part in rest)


def body(**fields) -> dict:
    start = next_weekday(5)
    return {
        "name": "Summer",
        "start_date": start.isoformat(),
        "end_date": (start + 3 * WEEK).isoformat(),
        "weekly_pattern": [{"weekday": 5, "start_time": "08:00", "end_time": "13:00"}],
        **fields,
    }


def test_creating_a_season_creates_its_days_and_answers_what_it_did(organizer, market):
    client = token_client(organizer)
    start = next_weekday(5)
    data = body(exceptions=[{"date": (start + WEEK).isoformat()}], fee_cents=12000)

    preview = client.post(seasons_url(market, "preview"), data, format="json")
    assert preview.status_code == 200, preview.content
    assert preview.json()["summary"] == "This change will create 3 days."
    assert not Season.objects.exists() and not MarketDay.objects.exists()

    response = client.post(seasons_url(market), data, format="json")

    assert response.status_code == 201, response.content
    season, changes = response.json()["season"], response.json()["changes"]
    assert changes == {**preview.json(), "booked": 0}
    assert season["weekly_pattern"] == [{"weekday": 5, "start_time": "08:00", "end_time": "13:00"}]
    assert season["exceptions"] == [{"date": (start + WEEK).isoformat(), "moved_to": None}]
    assert (season["day_count"], season["vendor_count"], season["fee_cents"]) == (3, 0, 12000)
    assert sorted(MarketDay.objects.values_list("date", flat=True)) == [
        start,
        start + 2 * WEEK,
        start + 3 * WEEK,
    ]
    listed = assert_page(client.get(seasons_url(market)))
    assert [row["id"] for row in listed] == [season["id"]]
    assert client.get(seasons_url(market, season["id"])).json() == season


def test_changing_a_season_cancels_a_booked_day_and_previews_it_first(organizer, market):
    client = token_client(organizer)
    created = client.post(seasons_url(market), body(), format="json").json()["season"]
    booked_day = MarketDay.objects.get(date=next_weekday(5) + WEEK)
    BookingFactory.create_batch(3, market_day=booked_day)
    change = {"exceptions": [{"date": booked_day.date.isoformat()}]}

    preview = client.post(seasons_url(market, created["id"], "preview"), change, format="json")
    assert preview.json()["summary"] == "This change will cancel 1 day with 3 bookings."
    assert preview.json()["cancelled"] == [{"date": booked_day.date.isoformat(), "bookings": 3}]

    response = client.patch(seasons_url(market, created["id"]), change, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["changes"]["summary"] == preview.json()["summary"]
    booked_day.refresh_from_db()
    assert booked_day.status == "cancelled" and booked_day.bookings.count() == 3


def test_a_full_season_vendor_is_booked_in_one_call(organizer, market):
    client = token_client(organizer)
    season = client.post(seasons_url(market), body(fee_cents=10000), format="json").json()
    season_id = season["season"]["id"]
    vendor = AcceptedApplicationFactory(market=market).vendor
    stall = StallFactory(market=market)
    taken = MarketDay.objects.get(date=next_weekday(5))
    BookingFactory(market_day=taken, stall=stall)
    url = seasons_url(market, season_id, "vendors")

    response = client.post(url, {"vendor_id": vendor.pk, "stall_id": stall.pk}, format="json")

    assert response.status_code == 201, response.content
    result = response.json()
    assert result["booked"] == 3
    assert [(s["date"], s["stall"]) for s in result["skipped"]] == [
        (taken.date.isoformat(), stall.label)
    ]
    assert (
        list(Booking.objects.filter(vendor=vendor).values_list("fee_cents", flat=True))
        == [2500] * 3
    )  # the season fee over its 4 days: the first day's share was not booked
    members = assert_page(client.get(url))
    assert [(m["business_name"], m["stall_label"]) for m in members] == [
        (vendor.business_name, stall.label)
    ]
    again = client.post(url, {"vendor_id": vendor.pk, "stall_id": stall.pk}, format="json")
    assert_error(again, 409, "season_vendor_taken")

    removed = client.delete(
        seasons_url(market, season_id, "vendors", result["season_vendor"]["id"])
    )
    assert removed.status_code == 204
    assert assert_page(client.get(url)) == []
    assert Booking.objects.filter(vendor=vendor).count() == 3  # their bookings stay


def test_bad_input_is_a_400_with_the_field_and_writes_nothing(organizer, market):
    client = token_client(organizer)
    before = domain_snapshot()
    bad_times = body(weekly_pattern=[{"weekday": 5, "start_time": "13:00", "end_time": "08:00"}])
    not_in_pattern = body(exceptions=[{"date": next_weekday(2).isoformat()}])

    for data, field in [
        (bad_times, "weekly_pattern"),
        (not_in_pattern, "exceptions"),
        (body(weekly_pattern=[]), "weekly_pattern"),
        (
            body(weekly_pattern=[{"weekday": 9, "start_time": "08:00", "end_time": "09:00"}]),
            "weekly_pattern",
        ),
    ]:
        response = client.post(seasons_url(market), data, format="json")
        assert field in assert_error(response, 400, "invalid")["extra"]["fields"], data
    assert domain_snapshot() == before


def test_a_duplicate_name_is_a_409(organizer, market):
    client = token_client(organizer)
    client.post(seasons_url(market), body(), format="json")
    later = next_weekday(5, weeks_ahead=10)
    data = body(start_date=later.isoformat(), end_date=(later + WEEK).isoformat())
    assert_error(client.post(seasons_url(market), data, format="json"), 409, "season_name_taken")


def test_another_organizers_seasons_are_not_found(organizer, market, other_organizer):
    own = token_client(organizer)
    season_id = own.post(seasons_url(market), body(), format="json").json()["season"]["id"]
    stall = StallFactory(market=market)
    vendor = AcceptedApplicationFactory(market=market).vendor
    other = token_client(other_organizer)
    before = domain_snapshot()

    for method, url, data in [
        ("get", seasons_url(market), None),
        ("post", seasons_url(market), body(name="Winter")),
        ("post", seasons_url(market, "preview"), body()),
        ("get", seasons_url(market, season_id), None),
        ("patch", seasons_url(market, season_id), {"name": "Mine"}),
        ("post", seasons_url(market, season_id, "preview"), {"name": "Mine"}),
        ("delete", seasons_url(market, season_id), None),
        ("get", seasons_url(market, season_id, "vendors"), None),
        (
            "post",
            seasons_url(market, season_id, "vendors"),
            {"vendor_id": vendor.pk, "stall_id": stall.pk},
        ),
    ]:
        response = getattr(other, method)(url, data, format="json")
        assert_error(response, 404, "not_found")
    assert domain_snapshot() == before


def test_a_season_of_another_market_is_not_found_under_mine(organizer, market, other_market):
    other_season = Season.objects.create(
        market=other_market,
        name="Theirs",
        start_date=next_weekday(5),
        end_date=next_weekday(5),
        weekly_pattern=[{"weekday": 5, "start_time": "08:00", "end_time": "13:00"}],
    )
    client = token_client(organizer)
    assert_error(client.get(seasons_url(market, other_season.pk)), 404, "not_found")


def test_vendors_cannot_reach_the_seasons_api(vendor_user, market):
    response = token_client(vendor_user).get(seasons_url(market))
    assert response.status_code == 403
