"""The admin's seasons: preview before saving, full-season vendors inline, organizer scoping."""

import datetime

import pytest

from applications.tests.factories import AcceptedApplicationFactory
from conftest import domain_snapshot
from marketflow.models import MarketDay
from seasons.models import Season
from seasons.tests.factories import next_weekday, saturday_season
from stalls.models import Booking
from stalls.tests.factories import BookingFactory, StallFactory
from tests.admin_support import admin_url, form_data, inline_row, messages_of

pytestmark = pytest.mark.django_db

WEEK = datetime.timedelta(days=7)
INLINE = "season_vendors"


def new_season(market, **values) -> dict:
    start = next_weekday(5)
    return {
        "market": str(market.pk),
        "name": "Summer",
        "start_date": start.isoformat(),
        "end_date": (start + 3 * WEEK).isoformat(),
        "weekly_pattern": "Sat 08:00-13:00",
        "exceptions": f"{start + WEEK} skip\n"
        f"{start + 2 * WEEK} -> {start + 2 * WEEK + datetime.timedelta(days=1)} 09:00-12:00",
        "fee_cents": "120.00",
        f"{INLINE}-TOTAL_FORMS": "0",
        f"{INLINE}-INITIAL_FORMS": "0",
        **values,
    }


def preview_of(response) -> str:
    return response.context["adminform"].form.preview.summary()


def test_adding_a_season_shows_what_it_will_do_then_saves_it(market, organizer_admin):
    before = domain_snapshot()

    first = organizer_admin.post(admin_url("season", "add"), new_season(market))

    assert first.status_code == 200, first.context["adminform"].form.errors
    assert preview_of(first) == "This change will create 3 days."
    assert "This change will create 3 days." in first.content.decode()
    assert domain_snapshot() == before

    saved = organizer_admin.post(
        admin_url("season", "add"), {**new_season(market), "previewed": preview_of(first)}
    )

    assert saved.status_code == 302
    season = Season.objects.get()
    assert season.fee_cents == 12000
    assert season.exceptions[1]["start_time"] == "09:00"
    assert MarketDay.objects.filter(season_day__season=season).count() == 3
    assert "Created 3 days." in messages_of(organizer_admin.get(saved.url))


def test_a_preview_seen_for_other_values_does_not_save(market, organizer_admin):
    seen = preview_of(organizer_admin.post(admin_url("season", "add"), new_season(market)))
    before = domain_snapshot()

    response = organizer_admin.post(
        admin_url("season", "add"),
        {**new_season(market, exceptions=""), "previewed": seen},
    )

    assert response.status_code == 200
    assert preview_of(response) == "This change will create 4 days."
    assert domain_snapshot() == before


def test_changing_a_season_previews_the_cancelled_day_and_its_bookings(
    organizer, market, organizer_admin
):
    start = next_weekday(5)
    season = saturday_season(organizer, market)
    booked = MarketDay.objects.get(date=start + WEEK)
    BookingFactory.create_batch(2, market_day=booked)
    data = form_data(organizer_admin.get(admin_url("season", "change", season.pk)))
    data["exceptions"] = f"{start + WEEK} skip"

    first = organizer_admin.post(admin_url("season", "change", season.pk), data)
    assert preview_of(first) == "This change will cancel 1 day with 2 bookings."
    assert "2 bookings, kept" in first.content.decode()

    saved = organizer_admin.post(
        admin_url("season", "change", season.pk), {**data, "previewed": preview_of(first)}
    )

    assert saved.status_code == 302
    booked.refresh_from_db()
    assert booked.status == "cancelled" and booked.bookings.count() == 2


def test_a_line_that_is_not_a_pattern_is_a_form_error(market, organizer_admin):
    response = organizer_admin.post(
        admin_url("season", "add"), new_season(market, weekly_pattern="Saturdays all day")
    )
    assert "write e.g. Sat 08:00-13:00" in str(response.context["adminform"].form.errors)


def test_a_full_season_vendor_added_inline_is_booked_and_told_what_was_skipped(
    organizer, market, organizer_admin
):
    start = next_weekday(5)
    season = saturday_season(organizer, market)
    vendor = AcceptedApplicationFactory(market=market).vendor
    stall = StallFactory(market=market)
    BookingFactory(market_day=MarketDay.objects.get(date=start), stall=stall)
    data = form_data(organizer_admin.get(admin_url("season", "change", season.pk)))
    inline_row(data, INLINE, vendor=vendor.pk, stall=stall.pk)

    response = organizer_admin.post(admin_url("season", "change", season.pk), data, follow=True)

    shown = " ".join(messages_of(response))
    assert f"{vendor} is full-season on stall {stall}: booked on 3 days." in shown
    assert "This stall is already booked on that day." in shown
    assert Booking.objects.filter(vendor=vendor).count() == 3


def test_another_organizers_season_is_not_found_nor_listed(
    organizer, market, other_organizer_admin
):
    season = saturday_season(organizer, market, weeks=1)

    assert other_organizer_admin.get(admin_url("season", "change", season.pk)).status_code == 404
    listed = other_organizer_admin.get(admin_url("season"))
    assert "Summer" not in listed.content.decode()
    refused = other_organizer_admin.post(admin_url("season", "add"), new_season(market))
    assert "market" in refused.context["adminform"].form.errors
