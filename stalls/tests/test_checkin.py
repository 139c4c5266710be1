"""Check-in on the market day (issue 15 §4): attendance recorded on the day, through the
service, the API and the admin's phone page; late cancellations; the counts per vendor this
season on the vendor's admin page and the applications list; the no-show fee on the
statement. An organizer reaches only their own markets' bookings (404 for another's)."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.db.models import OuterRef
from django.urls import reverse
from django.utils import timezone

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.models import Market, MarketDay
from marketflow.tests.factories import MarketDayFactory
from stalls import services
from stalls.models import Booking, LateCancellation
from stalls.selectors import strike_counts, strike_season, vendor_fee_statements
from stalls.tests.factories import BookingFactory, StallFactory
from tests.admin_support import admin_url, count_queries
from tests.test_concurrency_controls import booking_url

pytestmark = pytest.mark.django_db

Attendance = Booking.Attendance


def booked_today(market, *, label="A1", **vendor_fields):
    """A booking of an accepted vendor on ``market``'s day today (created if need be)."""
    day = MarketDay.objects.filter(market=market, date=market.today()).first()
    day = day or MarketDayFactory(market=market, date=market.today())
    vendor = AcceptedApplicationFactory(market=market, **vendor_fields).vendor
    return BookingFactory(
        market_day=day, stall=StallFactory(market=market, label=label), vendor=vendor
    )


def record(organizer, booking, attendance):
    return services.booking_record_attendance(
        user=organizer,
        market_id=booking.market_day.market_id,
        market_day_id=booking.market_day_id,
        booking_id=booking.pk,
        attendance=attendance,
    )


def attendance_url(booking) -> str:
    return f"{booking_url(booking)}attendance/"


# -- the service ---------------------------------------------------------------------------------


def test_check_in_records_the_answer_its_time_and_who_and_audits_it(organizer, market):
    booking = booked_today(market)

    record(organizer, booking, Attendance.ARRIVED)

    booking.refresh_from_db()
    assert (booking.attendance, booking.attendance_by, booking.no_show_fee_cents) == (
        "arrived",
        organizer,
        0,
    )
    assert booking.attendance_at is not None
    entry = LogEntry.objects.get(object_id=str(booking.pk))
    assert entry.change_message.startswith("Check-in on stall A1")
    assert "arrived (was not recorded)" in entry.change_message


def test_tapping_the_same_answer_twice_changes_nothing(organizer, market):
    booking = booked_today(market)
    first = record(organizer, booking, Attendance.LATE)

    again = record(organizer, booking, Attendance.LATE)

    assert again.attendance_at == first.attendance_at
    assert LogEntry.objects.filter(object_id=str(booking.pk)).count() == 1


def test_the_last_answer_wins_and_a_no_show_carries_the_markets_fee(organizer, market):
    Market.objects.filter(pk=market.pk).update(no_show_fee_cents=1500)
    booking = booked_today(market)

    record(organizer, booking, Attendance.NO_SHOW)
    booking.refresh_from_db()
    assert (booking.attendance, booking.no_show_fee_cents) == ("no_show", 1500)

    record(organizer, booking, Attendance.LATE)  # came after all
    booking.refresh_from_db()
    assert (booking.attendance, booking.no_show_fee_cents) == ("late", 0)
    messages = LogEntry.objects.filter(object_id=str(booking.pk)).order_by("pk")
    assert [entry.change_message.split(": ")[-1] for entry in messages] == [
        "no-show (was not recorded), no-show fee 15.00 EUR.",
        "late (was no-show).",
    ]


@pytest.mark.parametrize("days", [-1, 1])
def test_check_in_is_refused_on_another_day_than_today(organizer, market, refused, days):
    booking = booked_today(market)
    MarketDay.objects.filter(pk=booking.market_day_id).update(
        date=market.today() + datetime.timedelta(days=days)
    )
    with refused("market_day_not_today") as excinfo:
        record(organizer, booking, Attendance.ARRIVED)
    assert excinfo.value.extra["today"] == str(market.today())


def test_check_in_is_refused_on_a_cancelled_day(organizer, market, refused):
    booking = booked_today(market)
    MarketDay.objects.filter(pk=booking.market_day_id).update(status=MarketDay.Status.CANCELLED)
    with refused("market_day_cancelled"):
        record(organizer, booking, Attendance.ARRIVED)


def test_an_unknown_answer_is_invalid(organizer, market, refused):
    booking = booked_today(market)
    with refused("invalid"):
        record(organizer, booking, "asleep")


def test_another_organizers_booking_is_not_found(other_organizer, market, refused):
    booking = booked_today(market)
    with refused("not_found"):
        record(other_organizer, booking, Attendance.ARRIVED)


def test_a_checked_in_booking_is_kept_not_cancelled_nor_released(organizer, market, refused):
    booking = booked_today(market)
    record(organizer, booking, Attendance.NO_SHOW)

    with refused("booking_attendance_recorded"):
        services.booking_cancel(
            user=organizer,
            market_id=market.pk,
            market_day_id=booking.market_day_id,
            booking_id=booking.pk,
        )
    application = booking.vendor.applications.get(market=market)
    services.application_revoke(
        user=organizer, market_id=market.pk, application_id=application.pk, reason="Gone."
    )
    assert Booking.objects.filter(pk=booking.pk).exists()


# -- late cancellations --------------------------------------------------------------------------


def cancel(organizer, booking):
    services.booking_cancel(
        user=organizer,
        market_id=booking.market_day.market_id,
        market_day_id=booking.market_day_id,
        booking_id=booking.pk,
    )


def test_a_cancellation_within_the_markets_hours_before_the_start_is_late(organizer, market):
    Market.objects.filter(pk=market.pk).update(late_cancellation_hours=48)
    market.refresh_from_db()
    starts_soon = timezone.now() + datetime.timedelta(hours=30)
    in_time = timezone.now() + datetime.timedelta(hours=60)
    bookings = []
    for label, start in (("S1", starts_soon), ("S2", in_time)):
        local = start.astimezone(market.tz)
        day = MarketDayFactory(
            market=market,
            date=local.date(),
            start_time=local.time().replace(microsecond=0, second=0),
            end_time=datetime.time(23, 59),
        )
        vendor = AcceptedApplicationFactory(market=market).vendor
        bookings.append(
            BookingFactory(
                market_day=day, stall=StallFactory(market=market, label=label), vendor=vendor
            )
        )

    for booking in bookings:
        cancel(organizer, booking)

    (late,) = LateCancellation.objects.all()
    assert (late.vendor_id, late.stall_label, late.cancelled_by) == (
        bookings[0].vendor_id,
        "S1",
        organizer,
    )


def test_a_withdrawal_counts_late_cancellations_a_revocation_does_not(
    organizer, market, vendor_user, vendor
):
    revoked = booked_today(market, label="A2")
    AcceptedApplicationFactory(market=market, vendor=vendor)
    withdrawn = BookingFactory(  # today: late whatever the hours
        market_day=revoked.market_day, vendor=vendor, stall=StallFactory(market=market)
    )
    application = withdrawn.vendor.applications.get(market=market)

    services.application_withdraw(user=vendor_user, application_id=application.pk)
    services.application_revoke(
        user=organizer,
        market_id=market.pk,
        application_id=revoked.vendor.applications.get(market=market).pk,
        reason="Broke the rules.",
    )

    assert list(LateCancellation.objects.values_list("vendor_id", flat=True)) == [
        withdrawn.vendor_id
    ]


# -- the counts across the season ---------------------------------------------------------------


def strike(market, vendor, *, no_show=False, date=None):
    day = MarketDayFactory(market=market, date=date or market.today())
    if no_show:
        BookingFactory(market_day=day, vendor=vendor, attendance=Attendance.NO_SHOW)
    else:
        LateCancellation.objects.create(market_day=day, vendor=vendor, stall_label="X")


def test_counts_are_per_vendor_and_market_within_the_season(market, other_market):
    vendor = AcceptedApplicationFactory(market=market).vendor
    today = market.today()
    strike(market, vendor, no_show=True, date=today - datetime.timedelta(days=1))
    strike(market, vendor, no_show=True, date=today - datetime.timedelta(days=2))
    strike(market, vendor, date=today - datetime.timedelta(days=3))
    strike(market, vendor, no_show=True, date=datetime.date(today.year - 1, 6, 1))  # last year
    strike(other_market, vendor, no_show=True)  # another market

    counts = (
        Market.objects.filter(pk=market.pk)
        .annotate(
            **strike_counts(vendor=vendor.pk, market=OuterRef("pk"), season=strike_season(today))
        )
        .values("no_show_count", "late_cancellation_count")
        .get()
    )

    assert counts == {"no_show_count": 2, "late_cancellation_count": 1}


def test_the_applications_list_shows_the_counts_at_each_applications_market(
    organizer, market, organizer_admin
):
    application = AcceptedApplicationFactory(market=market)
    strike(market, application.vendor, no_show=True, date=market.today() - datetime.timedelta(1))
    strike(market, application.vendor, date=market.today() - datetime.timedelta(2))
    AcceptedApplicationFactory(market=market)

    response = organizer_admin.get(admin_url("application"))

    by_id = {row.pk: row for row in response.context["cl"].result_list}
    assert (by_id[application.pk].no_show_count, by_id[application.pk].late_cancellation_count) == (
        1,
        1,
    )
    assert "no-shows / late cancellations this year" in response.content.decode().lower()


def test_the_vendors_admin_page_shows_the_counts_at_the_users_markets_only(
    organizer, market, other_market, organizer_admin
):
    vendor = AcceptedApplicationFactory(market=market).vendor
    AcceptedApplicationFactory(market=other_market, vendor=vendor)
    strike(market, vendor, no_show=True, date=market.today() - datetime.timedelta(1))
    strike(other_market, vendor, date=other_market.today() - datetime.timedelta(1))

    response = organizer_admin.get(admin_url("vendor", "change", vendor.pk))

    assert [
        (m.name, m.no_show_count, m.late_cancellation_count) for m in response.context["strikes"]
    ] == [(market.name, 1, 0)]
    assert 'id="vendor-strikes"' in response.content.decode()


# -- the no-show fee on the statement ------------------------------------------------------------


def test_the_no_show_fee_is_a_line_of_its_own_on_the_vendors_statement(organizer, market):
    Market.objects.filter(pk=market.pk).update(no_show_fee_cents=1500)
    booking = booked_today(market)
    record(organizer, booking, Attendance.NO_SHOW)

    (statement,) = vendor_fee_statements(vendor_id=booking.vendor_id, market=market)

    assert statement["no_show_fees_cents"] == 1500
    assert [
        (line["stall__label"], line["no_show_fee_cents"]) for line in statement["no_show_fees"]
    ] == [("A1", 1500)]
    assert statement["due_cents"] == booking.fee_cents  # the stall fee stays its own line


def test_the_vendors_fees_page_and_api_show_the_no_show_fee(
    organizer, market, vendor_user, vendor, vendor_client, client
):
    Market.objects.filter(pk=market.pk).update(no_show_fee_cents=1500)
    AcceptedApplicationFactory(market=market, vendor=vendor)
    day = MarketDayFactory(market=market, date=market.today())
    booking = BookingFactory(
        market_day=day, vendor=vendor, stall=StallFactory(market=market, label="B7")
    )
    record(organizer, booking, Attendance.NO_SHOW)

    body = vendor_client.get("/api/me/fees/").json()
    (statement,) = body["markets"]
    assert statement["no_show_fees_cents"] == 1500
    assert statement["no_show_fees"] == [
        {
            "booking_id": str(booking.pk),
            "date": day.date.isoformat(),
            "stall_label": "B7",
            "fee_cents": 1500,
        }
    ]
    client.force_login(vendor_user)
    page = client.get("/vendor/fees/").content.decode()
    assert 'class="no-show-fee"' in page
    assert "No-show fee" in page and "15.00 EUR" in page


# -- the API -------------------------------------------------------------------------------------


def test_the_api_records_attendance_and_answers_the_booking(organizer_client, market):
    booking = booked_today(market)

    response = organizer_client.post(attendance_url(booking), {"attendance": "late"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["attendance"], body["no_show_fee_cents"]) == (
        str(booking.pk),
        "late",
        0,
    )
    assert body["attendance_at"] is not None


def test_the_api_answers_409_with_a_code_on_another_day(organizer_client, market):
    booking = booked_today(market)
    MarketDay.objects.filter(pk=booking.market_day_id).update(
        date=market.today() + datetime.timedelta(days=3)
    )
    response = organizer_client.post(attendance_url(booking), {"attendance": "late"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "market_day_not_today")


def test_the_api_answers_400_for_an_unknown_answer(organizer_client, market):
    booking = booked_today(market)
    response = organizer_client.post(attendance_url(booking), {"attendance": "x"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    booking.refresh_from_db()
    assert booking.attendance == ""


def test_the_api_hides_another_organizers_booking_and_refuses_vendors(
    other_organizer_client, vendor_client, anon_client, market
):
    booking = booked_today(market)
    url = attendance_url(booking)

    assert (
        other_organizer_client.post(url, {"attendance": "late"}, format="json").status_code == 404
    )
    assert vendor_client.post(url, {"attendance": "late"}, format="json").status_code == 403
    assert anon_client.post(url, {"attendance": "late"}, format="json").status_code == 401
    booking.refresh_from_db()
    assert booking.attendance == ""


# -- the admin's check-in page -------------------------------------------------------------------


def checkin_url(market_day) -> str:
    return reverse("admin:stalls_booking_checkin", args=[market_day.pk])


def test_the_page_lists_the_days_bookings_in_stall_order_with_what_is_saved(
    organizer, market, organizer_admin
):
    second = booked_today(market, label="B2", business_name="Zed Farm")
    first = booked_today(market, label="A1", business_name="Ann's Apples")
    record(organizer, second, Attendance.ARRIVED)

    response = organizer_admin.get(checkin_url(first.market_day))

    assert response.status_code == 200
    assert [row["stall__label"] for row in response.context["rows"]] == ["A1", "B2"]
    saved = {row["stall__label"]: row["saved"] for row in response.context["rows"]}
    assert saved["A1"] == "Not checked in yet"
    assert saved["B2"].startswith("Arrived at ")
    assert response.content.decode().count('class="checkin-form"') == 2


def test_a_plain_form_post_records_and_comes_back_to_the_row(organizer, market, organizer_admin):
    booking = booked_today(market)
    url = checkin_url(booking.market_day)

    response = organizer_admin.post(url, {"booking": str(booking.pk), "attendance": "no_show"})

    assert (response.status_code, response["Location"]) == (302, f"{url}#checkin-{booking.pk}")
    booking.refresh_from_db()
    assert booking.attendance == "no_show"
    page = organizer_admin.get(admin_url("booking", "change", booking.pk))
    assert page.context["original"].attendance_by == organizer
    assert "Checked in by" in page.content.decode()


def test_a_fetch_post_answers_json_the_saved_state_or_the_refusal(
    organizer, market, organizer_admin
):
    booking = booked_today(market)
    url = checkin_url(booking.market_day)

    response = organizer_admin.post(
        url, {"booking": str(booking.pk), "attendance": "late"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    assert response.json()["attendance"] == "late"
    assert response.json()["saved"].startswith("Late at ")

    MarketDay.objects.filter(pk=booking.market_day_id).update(status=MarketDay.Status.CANCELLED)
    response = organizer_admin.post(
        url, {"booking": str(booking.pk), "attendance": "arrived"}, HTTP_ACCEPT="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (409, "market_day_cancelled")


def test_another_day_shows_what_was_saved_and_says_check_in_is_closed(
    organizer, market, organizer_admin
):
    day = MarketDayFactory(market=market, date=market.today() + datetime.timedelta(days=7))
    vendor = AcceptedApplicationFactory(market=market).vendor
    BookingFactory(market_day=day, vendor=vendor)

    page = organizer_admin.get(checkin_url(day)).content.decode()

    assert 'id="checkin-closed"' in page
    assert 'class="checkin-form"' not in page


def test_another_organizers_day_is_not_found(market, other_organizer_admin):
    booking = booked_today(market)
    url = checkin_url(booking.market_day)
    assert other_organizer_admin.get(url).status_code == 404
    response = other_organizer_admin.post(url, {"booking": str(booking.pk), "attendance": "late"})
    assert response.status_code == 404
    booking.refresh_from_db()
    assert booking.attendance == ""


def test_the_check_in_page_costs_the_same_for_1_and_50_bookings(organizer, market, organizer_admin):
    booking = booked_today(market, label="A000")
    url = checkin_url(booking.market_day)
    queries_for_one, response = count_queries(lambda: organizer_admin.get(url))
    assert len(response.context["rows"]) == 1

    for number in range(1, 50):
        booked_today(market, label=f"A{number:03d}")
    queries_for_fifty, response = count_queries(lambda: organizer_admin.get(url))

    assert len(response.context["rows"]) == 50
    assert queries_for_fifty == queries_for_one <= 8


# -- the market's settings in the admin ----------------------------------------------------------

MARKET_FORM = {
    "name": "Harbour Night Market",
    "slug": "harbour-night",
    "timezone": "Europe/Lisbon",
    "currency": "EUR",
    "is_active": "on",
    "accepted_categories": ["prepared_food"],
    "waitlist_order": "first_come",
    "cancelled_day_policy": "credit",
    "sales_currencies": ["cash", "card"],
    "sales_fee_rule": "flat",
    "market_days-TOTAL_FORMS": "0",
    "market_days-INITIAL_FORMS": "0",
    "stalls-TOTAL_FORMS": "0",
    "stalls-INITIAL_FORMS": "0",
}


def test_the_market_form_takes_the_no_show_fee_in_units_and_the_late_hours(
    organizer, organizer_admin
):
    response = organizer_admin.post(admin_url("market", "add"), MARKET_FORM)
    assert response.status_code == 302
    market = Market.objects.get(slug="harbour-night")
    assert (market.late_cancellation_hours, market.no_show_fee_cents) == (48, 0)  # left empty

    response = organizer_admin.post(
        admin_url("market", "change", market.pk),
        {**MARKET_FORM, "late_cancellation_hours": "24", "no_show_fee_cents": "15.00"},
    )

    assert response.status_code == 302
    market.refresh_from_db()
    assert (market.late_cancellation_hours, market.no_show_fee_cents) == (24, 1500)
