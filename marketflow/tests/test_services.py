"""Service tests of the platform core: organizers, markets and market days."""

import datetime
import uuid

import pytest
from django.contrib.admin.models import LogEntry

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.errors import ValidationFailedError
from marketflow.models import Market, MarketDay, User
from marketflow.services import (
    market_create,
    market_day_cancel,
    market_day_create,
    market_day_delete,
    market_day_reinstate,
    market_day_update,
    market_delete,
    market_update,
    organizer_create,
)
from marketflow.tests.factories import (
    MarketDayFactory,
    MarketFactory,
    OrganizerFactory,
    UserFactory,
)
from marketflow.validation import full_clean
from stalls.services import booking_create
from stalls.tests.factories import BookingFactory, StallFactory

pytestmark = pytest.mark.django_db

ONE_DAY = datetime.timedelta(days=1)


def market_fields(**overrides):
    fields = {
        "name": "Riverside Farmers Market",
        "slug": "riverside",
        "description": "Every Saturday by the river.",
        "location": "Quay 3",
        "timezone": "Europe/Berlin",
        "currency": "EUR",
    }
    fields.update(overrides)
    return fields


def past_day(market, days_ago=1, **fields):
    return MarketDayFactory(market=market, date=market.today() - days_ago * ONE_DAY, **fields)


# organizer_create


def test_organizer_create_makes_an_organizer_who_can_sign_in():
    user = organizer_create(
        email="  Olivia@Example.COM ", password="s3cret-pass", plan="paid", full_name="Olivia"
    )

    user.refresh_from_db()
    assert user.email == "olivia@example.com"
    assert user.is_organizer and user.is_staff and not user.is_superuser
    assert user.plan == User.Plan.PAID
    assert user.full_name == "Olivia"
    assert user.check_password("s3cret-pass")


def test_organizer_create_defaults_to_the_free_plan():
    assert organizer_create(email="free@example.com", password="pw").plan == User.Plan.FREE


def test_organizer_create_refuses_an_unknown_plan(refused):
    with refused("invalid") as excinfo:
        organizer_create(email="gold@example.com", password="pw", plan="gold")
    assert "plan" in excinfo.value.extra["fields"]


def test_organizer_create_refuses_an_e_mail_in_use_whatever_its_case(refused, organizer):
    with refused("invalid") as excinfo:
        organizer_create(email=organizer.email.upper(), password="pw")
    assert excinfo.value.extra["fields"]["email"] == ["An account with this e-mail already exists."]


def test_organizer_create_refuses_an_invalid_e_mail(refused):
    with refused("invalid") as excinfo:
        organizer_create(email="not-an-e-mail", password="pw")
    assert "email" in excinfo.value.extra["fields"]


# market_create


def test_market_create_stores_every_field(organizer):
    market = market_create(organizer=organizer, **market_fields())

    market.refresh_from_db()
    assert market.organizer == organizer
    assert (market.name, market.slug, market.timezone, market.currency) == (
        "Riverside Farmers Market",
        "riverside",
        "Europe/Berlin",
        "EUR",
    )
    assert market.is_active


def test_free_plan_allows_one_market_only(refused, organizer):
    market_create(organizer=organizer, **market_fields())

    with refused("plan_limit_reached") as excinfo:
        market_create(organizer=organizer, **market_fields(slug="second"))
    assert excinfo.value.extra == {
        "limit": 1,
        "resource": "markets",
        "upgrade_url": "http://testserver/billing/",
    }


def test_free_plan_counts_an_inactive_market_too(refused, organizer):
    MarketFactory(organizer=organizer, is_active=False)

    with refused("plan_limit_reached"):
        market_create(organizer=organizer, **market_fields())


def test_paid_plan_has_no_market_limit():
    organizer = OrganizerFactory(plan=User.Plan.PAID)

    for number in range(3):
        market_create(organizer=organizer, **market_fields(slug=f"market-paid-{number}"))

    assert Market.objects.filter(organizer=organizer).count() == 3


def test_other_organizers_markets_do_not_count_against_the_free_plan(organizer, other_market):
    market_create(organizer=organizer, **market_fields())

    assert Market.objects.filter(organizer=organizer).count() == 1


def test_market_create_refuses_a_user_who_is_not_an_organizer(refused):
    user = UserFactory()

    with refused("not_an_organizer"):
        market_create(organizer=user, **market_fields())


def test_market_create_refuses_a_slug_taken_by_another_organizer(refused, organizer, other_market):
    with refused("market_slug_taken") as excinfo:
        market_create(organizer=organizer, **market_fields(slug=other_market.slug))
    assert excinfo.value.extra == {"slug": other_market.slug}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", "Mars/Olympus_Mons"),
        ("currency", "XYZ"),
        ("slug", "Not A Slug"),
        ("name", "x" * 201),
        ("name", ""),
        ("description", "x" * 2001),
    ],
)
def test_market_create_refuses_invalid_fields_with_field_messages(refused, organizer, field, value):
    with refused("invalid") as excinfo:
        market_create(organizer=organizer, **market_fields(**{field: value}))
    error = excinfo.value
    assert isinstance(error, ValidationFailedError)
    assert list(error.extra["fields"]) == [field]
    assert all(isinstance(message, str) and message for message in error.extra["fields"][field])


def test_an_invalid_timezone_message_names_the_value(refused, organizer):
    with refused("invalid") as excinfo:
        market_create(organizer=organizer, **market_fields(timezone="Mars/Olympus_Mons"))
    assert "Mars/Olympus_Mons" in excinfo.value.extra["fields"]["timezone"][0]


def test_market_create_refuses_unknown_fields(organizer):
    with pytest.raises(TypeError):
        market_create(organizer=organizer, **market_fields(organizer_id=uuid.uuid4()))
    assert not Market.objects.exists()


# market_update and market_delete


def test_market_update_changes_the_given_fields_only(organizer, market):
    market_update(user=organizer, market_id=market.pk, name="Winter Market", is_active=False)

    market.refresh_from_db()
    assert (market.name, market.is_active, market.currency) == ("Winter Market", False, "EUR")


def test_market_update_of_another_organizers_market_is_not_found(refused, organizer, other_market):
    with refused("not_found"):
        market_update(user=organizer, market_id=other_market.pk, name="Taken over")


def test_market_update_by_a_user_who_is_not_an_organizer_is_not_found(refused, market):
    user = UserFactory()

    with refused("not_found"):
        market_update(user=user, market_id=market.pk, name="Taken over")


@pytest.mark.parametrize("market_id", [uuid.uuid4(), None])
def test_market_update_of_an_unknown_id_is_not_found(refused, organizer, market, market_id):
    with refused("not_found"):
        market_update(user=organizer, market_id=market_id, name="Ghost")


def test_market_update_refuses_a_taken_slug(refused, organizer, market, other_market):
    with refused("market_slug_taken"):
        market_update(user=organizer, market_id=market.pk, slug=other_market.slug)


def test_market_update_refuses_an_invalid_currency(refused, organizer, market):
    with refused("invalid") as excinfo:
        market_update(user=organizer, market_id=market.pk, currency="EURO")
    assert list(excinfo.value.extra["fields"]) == ["currency"]


def test_market_delete_removes_the_market_with_its_stalls_and_days(organizer, market):
    StallFactory(market=market)
    MarketDayFactory(market=market)

    market_delete(user=organizer, market_id=market.pk)

    assert not Market.objects.filter(pk=market.pk).exists()
    assert not MarketDay.objects.filter(market_id=market.pk).exists()


def test_market_delete_refuses_a_market_with_bookings(refused, organizer, market):
    BookingFactory(market_day=MarketDayFactory(market=market))

    with refused("market_has_bookings"):
        market_delete(user=organizer, market_id=market.pk)


def test_market_delete_of_another_organizers_market_is_not_found(refused, organizer, other_market):
    with refused("not_found"):
        market_delete(user=organizer, market_id=other_market.pk)


# market_day_create


def test_market_day_create_schedules_a_day(organizer, market):
    date = market.today() + 3 * ONE_DAY

    day = market_day_create(
        user=organizer,
        market_id=market.pk,
        date=date,
        start_time=datetime.time(8),
        end_time=datetime.time(14),
        note="Harvest fair",
    )

    day.refresh_from_db()
    assert (day.market, day.date, day.status, day.note) == (
        market,
        date,
        MarketDay.Status.SCHEDULED,
        "Harvest fair",
    )


def test_market_day_create_accepts_today_at_the_market(organizer, market):
    day = market_day_create(
        user=organizer,
        market_id=market.pk,
        date=market.today(),
        start_time=datetime.time(8),
        end_time=datetime.time(14),
    )
    assert day.date == market.today()


def test_market_day_create_refuses_a_date_in_the_past(refused, organizer, market):
    yesterday = market.today() - ONE_DAY
    with refused("market_day_in_past") as excinfo:
        market_day_create(
            user=organizer,
            market_id=market.pk,
            date=yesterday,
            start_time=datetime.time(8),
            end_time=datetime.time(14),
        )
    assert excinfo.value.extra == {"date": str(yesterday)}


def test_market_day_create_judges_the_past_in_the_markets_own_time_zone(refused):
    # 25 hours apart: at every instant, "today" differs between these two places, so a rule
    # that used the server's UTC date would get at least one of the two calls below wrong.
    organizer = OrganizerFactory(plan=User.Plan.PAID)
    behind = MarketFactory(organizer=organizer, timezone="Pacific/Pago_Pago")  # UTC-11
    ahead = MarketFactory(organizer=organizer, timezone="Pacific/Kiritimati")  # UTC+14
    times = {"start_time": datetime.time(8), "end_time": datetime.time(14)}

    market_day_create(user=organizer, market_id=behind.pk, date=behind.today(), **times)
    with refused("market_day_in_past"):
        market_day_create(user=organizer, market_id=ahead.pk, date=ahead.today() - ONE_DAY, **times)


def test_market_day_create_refuses_a_date_already_taken(refused, organizer, market, market_day):
    with refused("market_day_date_taken") as excinfo:
        market_day_create(
            user=organizer,
            market_id=market.pk,
            date=market_day.date,
            start_time=datetime.time(15),
            end_time=datetime.time(18),
        )
    assert excinfo.value.extra == {"date": str(market_day.date)}


def test_the_same_date_is_free_in_another_market(organizer, market, other_market):
    day = MarketDayFactory(market=other_market)

    market_day_create(
        user=organizer,
        market_id=market.pk,
        date=day.date,
        start_time=datetime.time(8),
        end_time=datetime.time(14),
    )


@pytest.mark.parametrize(("start", "end"), [(14, 14), (15, 9)])
def test_market_day_create_refuses_an_end_not_after_the_start(
    refused, organizer, market, start, end
):
    with refused("invalid") as excinfo:
        market_day_create(
            user=organizer,
            market_id=market.pk,
            date=market.today() + ONE_DAY,
            start_time=datetime.time(start),
            end_time=datetime.time(end),
        )
    assert excinfo.value.extra["fields"] == {"end_time": ["The end time must be after the start."]}


def test_market_day_create_in_another_organizers_market_is_not_found(
    refused, organizer, other_market
):
    with refused("not_found"):
        market_day_create(
            user=organizer,
            market_id=other_market.pk,
            date=other_market.today() + ONE_DAY,
            start_time=datetime.time(8),
            end_time=datetime.time(14),
        )


# market_day_update


def test_market_day_update_re_times_and_cancels(organizer, market, market_day):
    market_day_update(
        user=organizer,
        market_id=market.pk,
        market_day_id=market_day.pk,
        start_time=datetime.time(9),
        status=MarketDay.Status.CANCELLED,
    )

    market_day.refresh_from_db()
    assert market_day.start_time == datetime.time(9)
    assert market_day.status == MarketDay.Status.CANCELLED


def test_market_day_update_moves_a_day_without_bookings(organizer, market, market_day):
    new_date = market_day.date + 30 * ONE_DAY

    market_day_update(
        user=organizer, market_id=market.pk, market_day_id=market_day.pk, date=new_date
    )

    market_day.refresh_from_db()
    assert market_day.date == new_date


def test_market_day_update_re_times_a_day_with_bookings(organizer, market, market_day):
    BookingFactory(market_day=market_day)

    market_day_update(
        user=organizer, market_id=market.pk, market_day_id=market_day.pk, end_time=datetime.time(15)
    )

    market_day.refresh_from_db()
    assert market_day.end_time == datetime.time(15)


def test_market_day_update_refuses_to_move_a_day_with_bookings(
    refused, organizer, market, market_day
):
    BookingFactory(market_day=market_day)

    with refused("market_day_has_bookings"):
        market_day_update(
            user=organizer,
            market_id=market.pk,
            market_day_id=market_day.pk,
            date=market_day.date + ONE_DAY,
        )


def test_market_day_update_refuses_a_day_in_the_past(refused, organizer, market):
    day = past_day(market)

    with refused("market_day_in_past"):
        market_day_update(
            user=organizer, market_id=market.pk, market_day_id=day.pk, note="Too late"
        )


def test_market_day_update_refuses_a_move_into_the_past(refused, organizer, market, market_day):
    with refused("market_day_in_past"):
        market_day_update(
            user=organizer,
            market_id=market.pk,
            market_day_id=market_day.pk,
            date=market.today() - ONE_DAY,
        )


def test_market_day_update_refuses_a_date_already_taken(refused, organizer, market, market_day):
    other_day = MarketDayFactory(market=market)

    with refused("market_day_date_taken"):
        market_day_update(
            user=organizer, market_id=market.pk, market_day_id=market_day.pk, date=other_day.date
        )


def test_market_day_update_refuses_an_end_before_the_start(refused, organizer, market, market_day):
    with refused("invalid") as excinfo:
        market_day_update(
            user=organizer,
            market_id=market.pk,
            market_day_id=market_day.pk,
            start_time=datetime.time(14),
            end_time=datetime.time(10),
        )
    assert list(excinfo.value.extra["fields"]) == ["end_time"]


def test_market_day_update_refuses_an_unknown_status(refused, organizer, market, market_day):
    with refused("invalid") as excinfo:
        market_day_update(
            user=organizer, market_id=market.pk, market_day_id=market_day.pk, status="postponed"
        )
    assert list(excinfo.value.extra["fields"]) == ["status"]


def test_market_day_update_in_another_organizers_market_is_not_found(
    refused, organizer, other_market
):
    day = MarketDayFactory(market=other_market)

    with refused("not_found"):
        market_day_update(
            user=organizer, market_id=other_market.pk, market_day_id=day.pk, note="Mine now"
        )


def test_market_day_update_of_a_day_of_another_market_is_not_found(
    refused, organizer, market, other_market
):
    # The organizer's own market id with another market's day id: mixed ids are not found.
    day = MarketDayFactory(market=other_market)

    with refused("not_found"):
        market_day_update(user=organizer, market_id=market.pk, market_day_id=day.pk, note="Mine")


# market_day_delete


def test_market_day_delete_removes_a_day_without_bookings(organizer, market, market_day):
    market_day_delete(user=organizer, market_id=market.pk, market_day_id=market_day.pk)

    assert not MarketDay.objects.filter(pk=market_day.pk).exists()


def test_market_day_delete_refuses_a_day_with_bookings(refused, organizer, market, market_day):
    BookingFactory(market_day=market_day)

    with refused("market_day_has_bookings"):
        market_day_delete(user=organizer, market_id=market.pk, market_day_id=market_day.pk)


def test_market_day_delete_in_another_organizers_market_is_not_found(
    refused, organizer, market, other_market
):
    day = MarketDayFactory(market=other_market)

    with refused("not_found"):
        market_day_delete(user=organizer, market_id=other_market.pk, market_day_id=day.pk)
    with refused("not_found"):
        market_day_delete(user=organizer, market_id=market.pk, market_day_id=day.pk)


# The shared model validation behind every service


def test_full_clean_raises_validation_failed_with_field_messages(organizer):
    market = Market(organizer=organizer, name="", slug="ok", timezone="Nowhere", currency="EUR")

    with pytest.raises(ValidationFailedError) as excinfo:
        full_clean(market, exclude=["organizer"])

    assert excinfo.value.code == "invalid"
    assert set(excinfo.value.extra["fields"]) == {"name", "timezone"}
    assert "“Nowhere” is not an IANA time zone." in excinfo.value.extra["fields"]["timezone"]


def test_full_clean_passes_a_valid_instance(organizer):
    full_clean(MarketFactory.build(organizer=organizer), exclude=["organizer"])


# market_day_cancel, market_day_reinstate: MARKET_DAY_TRANSITIONS


def history_of(market_day) -> list[str]:
    return list(
        LogEntry.objects.filter(object_id=str(market_day.pk))
        .order_by("pk")
        .values_list("change_message", flat=True)
    )


def test_a_cancelled_day_keeps_its_bookings_and_takes_no_new_ones(
    refused, organizer, market, market_day
):
    booking = BookingFactory(market_day=market_day, payment_status="unpaid")

    cancelled = market_day_cancel(user=organizer, market_id=market.pk, market_day_id=market_day.pk)

    market_day.refresh_from_db()
    assert cancelled.status == market_day.status == MarketDay.Status.CANCELLED
    assert history_of(market_day) == ["Cancelled (was scheduled)."]
    booking.refresh_from_db()  # kept: its fee can still be waived or refunded
    vendor, stall = AcceptedApplicationFactory(market=market).vendor, StallFactory(market=market)
    with refused("market_day_cancelled"):
        booking_create(
            user=organizer,
            market_id=market.pk,
            market_day_id=market_day.pk,
            stall_id=stall.pk,
            vendor_id=vendor.pk,
        )


def test_a_reinstated_day_is_scheduled_again_with_its_bookings(organizer, market, market_day):
    booking = BookingFactory(market_day=market_day)
    market_day_cancel(user=organizer, market_id=market.pk, market_day_id=market_day.pk)

    market_day_reinstate(user=organizer, market_id=market.pk, market_day_id=market_day.pk)

    market_day.refresh_from_db()
    assert market_day.status == MarketDay.Status.SCHEDULED
    assert list(market_day.bookings.all()) == [booking]
    assert history_of(market_day) == ["Cancelled (was scheduled).", "Scheduled (was cancelled)."]


@pytest.mark.parametrize(
    ("service", "status", "target"),
    [
        (market_day_cancel, "cancelled", "cancelled"),
        (market_day_reinstate, "scheduled", "scheduled"),
    ],
)
def test_a_day_already_in_the_state_is_an_invalid_transition(
    refused, organizer, market, service, status, target
):
    day = MarketDayFactory(market=market, status=status)

    with refused("invalid_transition") as excinfo:
        service(user=organizer, market_id=market.pk, market_day_id=day.pk)

    assert excinfo.value.extra == {"current": status, "target": status}
    assert history_of(day) == []


@pytest.mark.parametrize("service", [market_day_cancel, market_day_reinstate])
def test_a_day_that_has_passed_keeps_its_status(refused, organizer, market, service):
    day = past_day(market, status="scheduled" if service is market_day_cancel else "cancelled")

    with refused("market_day_in_past"):
        service(user=organizer, market_id=market.pk, market_day_id=day.pk)


@pytest.mark.parametrize("service", [market_day_cancel, market_day_reinstate])
def test_another_organizers_day_is_not_found(refused, organizer, other_market, service):
    day = MarketDayFactory(market=other_market)

    with refused("not_found"):
        service(user=organizer, market_id=other_market.pk, market_day_id=day.pk)


def test_a_status_given_to_market_day_update_follows_the_same_rule(organizer, market, market_day):
    def update(**fields):
        return market_day_update(
            user=organizer, market_id=market.pk, market_day_id=market_day.pk, **fields
        )

    update(status="scheduled", note="Same status: no transition")
    update(status="cancelled", note="Storm warning")
    update(status="cancelled")  # as PATCH says what it is: nothing to do
    update(status="scheduled")

    market_day.refresh_from_db()
    assert (market_day.status, market_day.note) == ("scheduled", "Storm warning")
    assert history_of(market_day) == ["Cancelled (was scheduled).", "Scheduled (was cancelled)."]
