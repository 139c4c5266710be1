"""The upcoming/past list filter shared by the market-day and booking changelists."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from marketflow.tests.factories import MarketDayFactory
from stalls.tests.factories import BookingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def past_and_coming_days(market):
    today = timezone.now().date()
    past = MarketDayFactory(market=market, date=today - datetime.timedelta(days=7))
    coming = MarketDayFactory(market=market, date=today + datetime.timedelta(days=7))
    return past, coming


def shown(response):
    return {row.pk for row in response.context["cl"].result_list}


@pytest.mark.parametrize("when", ["upcoming", "past"])
def test_market_days_filter_by_when(organizer_admin, past_and_coming_days, when):
    past, coming = past_and_coming_days
    url = reverse("admin:marketflow_marketday_changelist")

    response = organizer_admin.get(url, {"when": when})

    assert response.status_code == 200
    assert shown(response) == {coming.pk if when == "upcoming" else past.pk}
    assert shown(organizer_admin.get(url)) == {past.pk, coming.pk}


@pytest.mark.parametrize("when", ["upcoming", "past"])
def test_bookings_filter_by_their_market_days_date(organizer_admin, past_and_coming_days, when):
    past, coming = past_and_coming_days
    past_booking = BookingFactory(market_day=past)
    coming_booking = BookingFactory(market_day=coming)
    url = reverse("admin:stalls_booking_changelist")

    response = organizer_admin.get(url, {"when": when})

    assert response.status_code == 200
    assert shown(response) == {coming_booking.pk if when == "upcoming" else past_booking.pk}
    assert "By market day" in response.content.decode()
