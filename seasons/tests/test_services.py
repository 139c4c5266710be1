"""Season services: the schedule (pattern, exceptions, time zones), what a change does to the
market days, full-season vendors and the season fee."""

import datetime

import pytest
from django.core import mail

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.models import MarketDay
from marketflow.tests.factories import MarketDayFactory, MarketFactory
from seasons import services
from seasons.models import Season, SeasonVendor
from seasons.tests.factories import next_weekday
from stalls.errors import StallAlreadyBookedError
from stalls.models import Booking, VendorCredit
from stalls.services import booking_create
from stalls.tests.factories import BookingFactory, StallFactory
from tests.test_audit import history

pytestmark = pytest.mark.django_db

SAT = {"weekday": 5, "start_time": "08:00", "end_time": "13:00"}
WED = {"weekday": 2, "start_time": "15:00", "end_time": "19:00"}
DAY = datetime.timedelta(days=1)
WEEK = datetime.timedelta(days=7)


def create(organizer, market, **fields):
    start = fields.pop("start_date", next_weekday(5))
    values = {
        "name": "Summer",
        "start_date": start,
        "end_date": start + 3 * WEEK,
        "weekly_pattern": [SAT],
        **fields,
    }
    return services.season_create(user=organizer, market_id=market.pk, **values)


def update(organizer, season, **fields):
    return services.season_update(
        user=organizer, market_id=season.market_id, season_id=season.pk, **fields
    )


def days_of(season) -> list[tuple]:
    return list(
        MarketDay.objects.filter(season_day__season=season)
        .order_by("date")
        .values_list("date", "start_time", "end_time", "status")
    )


def at(hour: int) -> datetime.time:
    return datetime.time(hour, 0)


def test_a_new_season_creates_a_day_on_each_date_of_its_pattern(organizer, market):
    saturday = next_weekday(5)

    saved = create(organizer, market, weekly_pattern=[SAT, WED])

    wednesdays = [saturday + 4 * DAY + n * WEEK for n in range(3)]
    saturdays = [saturday + n * WEEK for n in range(4)]
    expected = sorted(
        [(d, at(8), at(13), "scheduled") for d in saturdays]
        + [(d, at(15), at(19), "scheduled") for d in wednesdays]
    )
    assert days_of(saved.season) == expected
    assert saved.changes.created == [row[0] for row in expected]
    assert saved.changes.summary() == "This change will create 7 days."


def test_exceptions_skip_a_date_or_move_it_with_new_times(organizer, market):
    saturday = next_weekday(5)
    exceptions = [
        {"date": saturday + WEEK},
        {"date": saturday + 2 * WEEK, "moved_to": saturday + 2 * WEEK + DAY},
        {
            "date": saturday + 3 * WEEK,
            "moved_to": saturday + 3 * WEEK - DAY,
            "start_time": "09:00",
            "end_time": "12:00",
        },
    ]

    saved = create(organizer, market, exceptions=exceptions)

    assert days_of(saved.season) == [
        (saturday, at(8), at(13), "scheduled"),
        (saturday + 2 * WEEK + DAY, at(8), at(13), "scheduled"),  # Sunday, the pattern's times
        (saturday + 3 * WEEK - DAY, at(9), at(12), "scheduled"),
    ]
    assert saved.season.exceptions[0] == {"date": (saturday + WEEK).isoformat()}


def test_dates_and_local_times_hold_across_a_daylight_saving_change(organizer):
    """Europe/Berlin springs forward on the last Sunday of March: every Saturday of March and
    April still opens at 08:00 at the market, one week apart."""
    market = MarketFactory(organizer=organizer, timezone="Europe/Berlin")
    year = datetime.date.today().year + 1
    start = datetime.date(year, 3, 1)

    saved = create(organizer, market, start_date=start, end_date=datetime.date(year, 4, 30))

    days = days_of(saved.season)
    assert len(days) in (8, 9)
    assert {(start_time, end_time) for _date, start_time, end_time, _s in days} == {(at(8), at(13))}
    dates = [row[0] for row in days]
    assert all(date.weekday() == 5 for date in dates)
    assert all(later - earlier == WEEK for earlier, later in zip(dates, dates[1:], strict=False))


def test_dates_already_passed_at_the_market_get_no_day(organizer):
    market = MarketFactory(organizer=organizer, timezone="Pacific/Kiritimati")  # UTC+14
    today = market.today()

    saved = create(
        organizer,
        market,
        start_date=today - 14 * DAY,
        end_date=today + 13 * DAY,
        weekly_pattern=[
            {"weekday": d, "start_time": "08:00", "end_time": "09:00"} for d in range(7)
        ],
    )

    assert [row[0] for row in days_of(saved.season)] == [today + n * DAY for n in range(14)]


def test_a_change_creates_retimes_cancels_and_deletes_and_says_so(organizer, market):
    saturday = next_weekday(5)
    season = create(organizer, market).season
    booked_day = MarketDay.objects.get(market=market, date=saturday + WEEK)
    bookings = BookingFactory.create_batch(3, market_day=booked_day)

    preview = services.season_preview(
        user=organizer,
        market_id=market.pk,
        season_id=season.pk,
        weekly_pattern=[{"weekday": 5, "start_time": "09:00", "end_time": "13:00"}, WED],
        exceptions=[{"date": saturday + WEEK}, {"date": saturday + 2 * WEEK}],
    )
    assert days_of(season)[1] == (saturday + WEEK, at(8), at(13), "scheduled")  # nothing yet

    changes = update(
        organizer,
        season,
        weekly_pattern=[{"weekday": 5, "start_time": "09:00", "end_time": "13:00"}, WED],
        exceptions=[{"date": saturday + WEEK}, {"date": saturday + 2 * WEEK}],
    ).changes

    assert changes == preview
    assert changes.summary() == (
        "This change will create 3 days, change the times of 2 days, "
        "cancel 1 day with 3 bookings, delete 1 day without bookings."
    )
    assert days_of(season) == [
        (saturday, at(9), at(13), "scheduled"),
        (saturday + 4 * DAY, at(15), at(19), "scheduled"),
        (saturday + WEEK, at(8), at(13), "cancelled"),  # kept, with its bookings
        (saturday + WEEK + 4 * DAY, at(15), at(19), "scheduled"),
        (saturday + 2 * WEEK + 4 * DAY, at(15), at(19), "scheduled"),
        (saturday + 3 * WEEK, at(9), at(13), "scheduled"),
    ]
    assert Booking.objects.filter(pk__in=[b.pk for b in bookings]).count() == 3
    assert not MarketDay.objects.filter(market=market, date=saturday + 2 * WEEK).exists()


def test_a_booked_day_the_season_drops_is_cancelled_as_any_day_is(
    organizer, market, django_capture_on_commit_callbacks
):
    """Its vendors are e-mailed and a paid fee becomes a credit (the market's default
    policy), as when the organizer cancels the day for rain."""
    saturday = next_weekday(5)
    season = create(organizer, market).season
    booked_day = MarketDay.objects.get(market=market, date=saturday + WEEK)
    paid = BookingFactory(market_day=booked_day, payment_status="paid", payment_method="cash")
    unpaid = BookingFactory(market_day=booked_day)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        update(organizer, season, exceptions=[{"date": saturday + WEEK}])

    assert MarketDay.objects.get(pk=booked_day.pk).is_cancelled
    credit = VendorCredit.objects.get()
    assert (credit.source_booking_id, credit.amount_cents) == (paid.pk, paid.fee_cents)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([paid.vendor.email, unpaid.vendor.email])


def test_a_date_the_market_already_has_a_day_on_is_left_alone(organizer, market):
    saturday = next_weekday(5)
    own = MarketDayFactory(market=market, date=saturday + WEEK, start_time=at(6), end_time=at(7))

    saved = create(organizer, market)

    assert saved.changes.taken == [saturday + WEEK]
    assert len(days_of(saved.season)) == 3
    own.refresh_from_db()
    assert (own.start_time, own.status) == (at(6), "scheduled")
    update(organizer, saved.season, weekly_pattern=[WED])  # dropping Saturdays leaves it too
    assert MarketDay.objects.filter(pk=own.pk).exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"weekly_pattern": []}, "weekly_pattern"),
        (
            {"weekly_pattern": [{"weekday": 7, "start_time": "08:00", "end_time": "09:00"}]},
            "weekly_pattern",
        ),
        (
            {"weekly_pattern": [{"weekday": 5, "start_time": "10:00", "end_time": "09:00"}]},
            "weekly_pattern",
        ),
        ({"weekly_pattern": [SAT, SAT]}, "weekly_pattern"),
        ({"exceptions": [{"date": "2020-01-01"}]}, "exceptions"),
        ({"exceptions": [{"date": "not a date"}]}, "exceptions"),
        ({"end_date": datetime.date(2000, 1, 1)}, "end_date"),
    ],
)
def test_a_season_that_breaks_a_rule_is_refused_and_writes_nothing(
    organizer, market, refused, fields, field
):
    with refused("invalid") as excinfo:
        create(organizer, market, **fields)
    assert field in excinfo.value.extra["fields"]


def test_a_move_onto_another_day_of_the_season_is_refused(organizer, market, refused):
    saturday = next_weekday(5)
    with refused("invalid") as excinfo:
        create(organizer, market, exceptions=[{"date": saturday, "moved_to": saturday + WEEK}])
    assert "already a day of the season" in excinfo.value.extra["fields"]["exceptions"][0]


def test_the_season_name_is_unique_per_market(organizer, market, refused):
    create(organizer, market)
    with refused("season_name_taken"):
        create(organizer, market, start_date=next_weekday(5, weeks_ahead=10))


def test_another_organizers_market_is_not_found(other_organizer, market, refused):
    with refused("not_found"):
        create(other_organizer, market)


# -- full-season vendors ------------------------------------------------------------------------


def full_season(organizer, season, vendor, stall):
    return services.season_vendor_add(
        user=organizer,
        market_id=season.market_id,
        season_id=season.pk,
        vendor_id=vendor.pk,
        stall_id=stall.pk,
    )


def test_a_full_season_vendor_is_booked_on_every_day_but_where_the_stall_is_taken(
    organizer, market
):
    season = create(organizer, market).season
    stall = StallFactory(market=market, price_per_day=2500)
    vendor = AcceptedApplicationFactory(market=market).vendor
    taken_day = MarketDay.objects.get(market=market, date=next_weekday(5) + WEEK)
    BookingFactory(market_day=taken_day, stall=stall)

    result = full_season(organizer, season, vendor, stall)

    assert result.booked == 3
    assert [(s.date, s.stall, s.reason) for s in result.skipped] == [
        (taken_day.date, stall.label, "This stall is already booked on that day.")
    ]
    fees = Booking.objects.filter(vendor=vendor).values_list("fee_cents", flat=True)
    assert list(fees) == [2500, 2500, 2500]


def test_a_season_fee_is_split_over_the_days_the_remainder_on_the_first(organizer, market):
    season = create(organizer, market, fee_cents=10001).season
    stall = StallFactory(market=market, price_per_day=2500)
    vendor = AcceptedApplicationFactory(market=market).vendor

    full_season(organizer, season, vendor, stall)

    fees = Booking.objects.filter(vendor=vendor).order_by("market_day__date")
    assert list(fees.values_list("fee_cents", flat=True)) == [2501, 2500, 2500, 2500]
    assert services.fee_shares(10001, 4) == [2501, 2500, 2500, 2500]


@pytest.mark.parametrize(("fee_cents", "new_day_fee"), [(None, 2500), (10000, 0)])
def test_days_added_to_the_season_get_its_full_season_vendors(
    organizer, market, fee_cents, new_day_fee
):
    season = create(organizer, market, fee_cents=fee_cents).season
    stall = StallFactory(market=market, price_per_day=2500)
    vendor = AcceptedApplicationFactory(market=market).vendor
    full_season(organizer, season, vendor, stall)

    changes = update(organizer, season, weekly_pattern=[SAT, WED]).changes

    assert changes.booked == 3 and changes.full_season_vendors == 1
    assert "book 1 full-season vendor on each new day" in changes.summary()
    wednesdays = Booking.objects.filter(vendor=vendor, market_day__date__week_day=4)
    assert list(wednesdays.values_list("fee_cents", flat=True)) == [new_day_fee] * 3
    assert Booking.objects.filter(vendor=vendor).count() == 7


def test_a_vendor_without_an_accepted_application_cannot_be_full_season(
    organizer, market, vendor, refused
):
    season = create(organizer, market).season
    stall = StallFactory(market=market)
    with refused("vendor_not_accepted"):
        full_season(organizer, season, vendor, stall)


def test_a_stall_is_full_season_for_one_vendor_only(organizer, market, refused):
    season = create(organizer, market).season
    stall = StallFactory(market=market)
    full_season(organizer, season, AcceptedApplicationFactory(market=market).vendor, stall)
    second = AcceptedApplicationFactory(market=market).vendor
    with refused("season_vendor_taken"):
        full_season(organizer, season, second, stall)


def test_a_day_booking_of_a_full_season_stall_is_refused(organizer, market):
    season = create(organizer, market).season
    stall = StallFactory(market=market)
    full_season(organizer, season, AcceptedApplicationFactory(market=market).vendor, stall)
    other = AcceptedApplicationFactory(market=market).vendor
    day = MarketDay.objects.filter(season_day__season=season).first()
    with pytest.raises(StallAlreadyBookedError) as excinfo:
        booking_create(
            user=organizer,
            market_id=market.pk,
            market_day_id=day.pk,
            stall_id=stall.pk,
            vendor_id=other.pk,
        )
    assert excinfo.value.code == "stall_already_booked"


def test_deleting_a_season_keeps_its_days_and_bookings(organizer, market):
    season = create(organizer, market).season
    stall = StallFactory(market=market)
    full_season(organizer, season, AcceptedApplicationFactory(market=market).vendor, stall)

    services.season_delete(user=organizer, market_id=market.pk, season_id=season.pk)

    assert not Season.objects.exists() and not SeasonVendor.objects.exists()
    assert MarketDay.objects.filter(market=market).count() == 4
    assert Booking.objects.count() == 4


def test_every_change_of_a_season_is_in_its_history(organizer, market):
    season = create(organizer, market).season
    update(organizer, season, weekly_pattern=[{**SAT, "start_time": "09:00"}])
    vendor = AcceptedApplicationFactory(market=market).vendor
    full_season(organizer, season, vendor, StallFactory(market=market, label="C3"))

    assert [(entry.user, entry.change_message) for entry in history(season)] == [
        (organizer, "Created the season."),
        (organizer, "Created 4 days."),
        (organizer, "Changed the times of 4 days."),
        (organizer, f"Made {vendor.business_name} full-season on stall C3: booked on 4 days."),
    ]
