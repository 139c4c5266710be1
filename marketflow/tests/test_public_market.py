"""The public market (API and page) is read once and cached: it says what
``PublicMarketSerializer`` says, and a write to the market or its days shows at once."""

import datetime

import pytest
from django.utils import timezone

from marketflow import services
from marketflow.renderers import JSONRenderer
from marketflow.selectors import public_market, upcoming_market_day_list
from marketflow.serializers import PublicMarketSerializer, public_market_data
from marketflow.tests.factories import MarketDayFactory

pytestmark = pytest.mark.django_db


def days_from_today(days: int) -> datetime.date:
    return timezone.now().date() + datetime.timedelta(days=days)


def test_the_public_market_is_the_serializers(market):
    market.required_document_types = ["insurance"]
    market.save()
    MarketDayFactory(market=market, date=days_from_today(-7))
    MarketDayFactory(market=market, date=days_from_today(14), status="cancelled")
    MarketDayFactory(market=market, date=days_from_today(21), note="Harvest")
    MarketDayFactory(market=market, date=days_from_today(7))
    days = upcoming_market_day_list(market=market)[:52]

    expected = PublicMarketSerializer(market, context={"upcoming_market_days": days}).data
    got = public_market_data(public_market(market_id=market.pk))

    assert JSONRenderer().render(got) == JSONRenderer().render(expected)
    assert len(got["upcoming_market_days"]) == 2


def test_a_second_visit_reads_nothing(anon_client, market, django_assert_num_queries):
    url = f"/api/public/markets/{market.id}/"
    anon_client.get(url)
    anon_client.get(f"/m/{market.slug}/")
    with django_assert_num_queries(0):
        assert anon_client.get(url).status_code == 200
        assert anon_client.get(f"/m/{market.slug}/").status_code == 200


def test_the_organizers_edits_show_at_once(anon_client, organizer_client, market):
    url = f"/api/public/markets/{market.id}/"
    assert anon_client.get(url).json()["upcoming_market_days"] == []
    old_page = f"/m/{market.slug}/"
    assert anon_client.get(old_page).status_code == 200

    organizer_client.patch(f"/api/markets/{market.id}/", {"name": "Renamed", "slug": "renamed"})
    organizer_client.post(
        f"/api/markets/{market.id}/market-days/",
        {"date": str(days_from_today(3)), "start_time": "08:00", "end_time": "12:00"},
    )

    body = anon_client.get(url).json()
    assert body["name"] == "Renamed" and len(body["upcoming_market_days"]) == 1
    assert "Renamed" in anon_client.get("/m/renamed/").content.decode()
    assert anon_client.get(old_page).status_code == 404


def test_weekly_days_and_deactivation_show_at_once(anon_client, organizer, market):
    url = f"/api/public/markets/{market.id}/"
    anon_client.get(url)

    services.market_day_create_weekly(
        user=organizer,
        market_id=market.pk,
        start_date=days_from_today(1),
        end_date=days_from_today(8),
        weekdays=[days_from_today(1).weekday()],
        start_time=datetime.time(8),
        end_time=datetime.time(12),
    )
    assert len(anon_client.get(url).json()["upcoming_market_days"]) == 2

    services.market_update(user=organizer, market_id=market.pk, is_active=False)
    assert anon_client.get(url).status_code == 404
