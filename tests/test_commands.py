"""The operator commands: createorganizer and seed_demo."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tasks.signals import task_started

from applications.models import Application
from marketflow.models import Market, MarketDay, User
from marketflow.plans import FREE_PLAN_MAX_ACTIVE_VENDORS
from sales.models import SalesReport
from stalls.models import Booking, Stall
from stalls.services import booking_fill_from_regulars
from vendors.models import Vendor, VendorDocument

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "plum-tractor-harbour"


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# createorganizer


def test_createorganizer_creates_a_free_organizer_who_can_sign_in():
    output = run("createorganizer", " Ada@Example.com ", "--password", GOOD_PASSWORD)

    user = User.objects.get()
    assert user.email == "ada@example.com"
    assert user.is_organizer
    assert user.is_staff  # the admin site is the organizers' back office
    assert user.plan == User.Plan.FREE
    assert user.check_password(GOOD_PASSWORD)
    assert "ada@example.com" in output


def test_createorganizer_sets_the_paid_plan_and_full_name():
    run("createorganizer", "bo@example.com", "--password", GOOD_PASSWORD, "--plan", "paid")
    run("createorganizer", "cy@example.com", "--password", GOOD_PASSWORD, "--full-name", "Cy Oh")

    assert User.objects.get(email="bo@example.com").plan == User.Plan.PAID
    assert User.objects.get(email="cy@example.com").full_name == "Cy Oh"


def test_createorganizer_refuses_a_duplicate_email_in_any_case(organizer):
    with pytest.raises(CommandError, match="already exists"):
        run("createorganizer", organizer.email.upper(), "--password", GOOD_PASSWORD)

    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("x" * 129, "too long"),  # all-digit passwords are allowed (ASVS: no composition rules)
        ("dana.smith@example.com", "too similar"),
    ],
)
def test_createorganizer_runs_the_password_validators(password, reason):
    with pytest.raises(CommandError, match=reason):
        run("createorganizer", "dana.smith@example.com", "--password", password)

    assert not User.objects.exists()


def test_createorganizer_refuses_an_unknown_plan():
    with pytest.raises(CommandError, match="invalid choice: 'gold'"):
        run("createorganizer", "ed@example.com", "--password", GOOD_PASSWORD, "--plan", "gold")

    assert not User.objects.exists()


def test_createorganizer_refuses_an_invalid_email():
    with pytest.raises(CommandError, match="email: Enter a valid email address"):
        run("createorganizer", "not-an-email", "--password", GOOD_PASSWORD)

    assert not User.objects.exists()


def test_createorganizer_requires_a_password():
    with pytest.raises(CommandError, match="--password"):
        run("createorganizer", "fay@example.com")

    assert not User.objects.exists()


# seed_demo


def demo_counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "markets": Market.objects.count(),
        "stalls": Stall.objects.count(),
        "market_days": MarketDay.objects.count(),
        "vendors": Vendor.objects.count(),
        "applications": Application.objects.count(),
        "bookings": Booking.objects.count(),
    }


def test_seed_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        run("seed_demo")

    assert demo_counts() == dict.fromkeys(demo_counts(), 0)


def test_seed_demo_loads_the_demo_market(settings):
    settings.DEBUG = True

    output = run("seed_demo")

    organizer = User.objects.get(email="organizer@example.com")
    assert organizer.is_organizer and organizer.is_staff
    assert organizer.check_password("marketflow-demo")
    assert "organizer@example.com / marketflow-demo" in output

    market = Market.objects.get(organizer=organizer)
    assert str(market.pk) in output
    stalls = Stall.objects.filter(market=market)
    assert stalls.count() == 12
    assert all(stall.price_per_day > 0 for stall in stalls)

    today = market.today()
    upcoming = MarketDay.objects.filter(market=market, date__gte=today).order_by("date")
    assert upcoming.count() == 8
    assert MarketDay.objects.filter(market=market).count() == 8 + 6  # and last season's
    dates = [day.date for day in upcoming]
    assert (dates[0] - today).days < 7  # the first is the next one, then one a week
    assert [(day - dates[0]).days for day in dates] == [0, 7, 14, 21, 28, 35, 42, 49]

    applications = Application.objects.filter(market=market)
    assert applications.values("vendor").distinct().count() == 30
    assert Vendor.objects.count() == 30
    reviewed = set(Application.Status.values) - {Application.Status.UNCONFIRMED}  # all confirmed
    assert set(applications.values_list("status", flat=True)) == reviewed
    accepted = applications.filter(status=Application.Status.ACCEPTED)
    assert accepted.count() <= FREE_PLAN_MAX_ACTIVE_VENDORS

    bookings = Booking.objects.filter(market_day=upcoming[0])
    assert bookings.count() == 10
    assert Booking.objects.filter(market_day=upcoming[1]).count() == 6  # a second day sheet
    assert Booking.objects.filter(market_day__date__gte=today).count() == 16
    assert set(Booking.objects.values_list("payment_status", flat=True)) == {
        "paid",
        "waived",
        "unpaid",
    }
    assert set(bookings.values_list("vendor_id", flat=True)) <= set(
        accepted.values_list("vendor_id", flat=True)
    )
    assert all(booking.fee_cents == booking.stall.price_per_day for booking in bookings)

    vendor_user = User.objects.get(email="green-acre-farm@example.com")
    assert vendor_user.check_password("vendor-demo-pass")
    assert vendor_user.vendor.applications.get(market=market).status == "accepted"
    assert not vendor_user.is_organizer
    assert "green-acre-farm@example.com / vendor-demo-pass" in output


def test_seed_demo_has_last_season_s_sales_and_days_still_to_report(settings):
    settings.DEBUG = True
    run("seed_demo")
    market = Market.objects.get(slug="riverside-farmers-market")
    past = MarketDay.objects.filter(market=market, date__lt=market.today()).order_by("date")
    assert past.count() == 6
    assert all(day.season_day.season.name == "Last season" for day in past)
    assert [Booking.objects.filter(market_day=day).count() for day in past] == [10] * 6
    reports = SalesReport.objects.filter(market=market)
    assert reports.count() == 6 * 10 - 2
    assert all(report.gross_cents == sum(report.amounts.values()) for report in reports)
    unreported = Booking.objects.filter(market_day=past.last(), sales_report__isnull=True)
    assert unreported.filter(vendor__email="green-acre-farm@example.com").exists()
    # The market's rule (the higher of the stall fee and 6%) made some days cost more.
    higher = Booking.objects.filter(market_day__in=past, sales_fee_cents__gt=0)
    assert higher.exists()
    for booking in higher.select_related("sales_report", "stall"):
        gross = booking.sales_report.gross_cents
        assert booking.sales_fee_cents == round(gross * 6 / 100) - booking.fee_cents
        assert "6% of" in booking.sales_fee_note


def test_seed_demo_twice_changes_nothing(settings):
    settings.DEBUG = True
    run("seed_demo")
    first = demo_counts()
    rows = {
        "applications": set(Application.objects.values_list("id", "status", "updated_at")),
        "bookings": set(Booking.objects.values_list("id", "payment_status", "updated_at")),
    }

    output = run("seed_demo")

    assert demo_counts() == first
    assert rows == {
        "applications": set(Application.objects.values_list("id", "status", "updated_at")),
        "bookings": set(Booking.objects.values_list("id", "payment_status", "updated_at")),
    }
    assert "organizer@example.com / marketflow-demo" in output


def test_seed_demo_shows_regulars_and_documents_near_expiry(settings):
    settings.DEBUG = True
    run("seed_demo")
    organizer = User.objects.get(email="organizer@example.com")
    market = Market.objects.get(organizer=organizer)
    second_day = MarketDay.objects.filter(market=market, date__gte=market.today())
    second_day = second_day.order_by("date")[1]

    regulars = Stall.objects.filter(market=market, assigned_vendor__isnull=False)
    assert regulars.count() == 4
    filled = booking_fill_from_regulars(
        user=organizer, market_id=market.pk, market_day_id=second_day.pk
    )
    assert Booking.objects.filter(market_day=second_day).count() == 6 + 4
    assert len(filled.booked) == 4 and filled.skipped == []

    today = market.today()
    documents = VendorDocument.objects.filter(vendor__applications__market=market)
    assert documents.filter(expires_on__lte=today + datetime.timedelta(days=30)).count() >= 3
    assert documents.filter(expires_on__gt=today + datetime.timedelta(days=90)).exists()
    green_acre = Application.objects.get(market=market, vendor__business_name="Green Acre Farm")
    assert green_acre.documents.count() == 2  # the organizer sees them on the application


def test_seed_demo_leaves_a_changed_demo_alone(settings):
    """`make run` runs it on every start: a cancelled booking stays cancelled."""
    settings.DEBUG = True
    run("seed_demo")
    Booking.objects.filter(stall__label="A1", sales_report__isnull=True).delete()
    Stall.objects.filter(label="C2").delete()
    changed = demo_counts()

    output = run("seed_demo")

    assert demo_counts() == changed
    assert not Booking.objects.filter(stall__label="A1", sales_report__isnull=True).exists()
    assert "left as it is" in output
    assert "organizer@example.com / marketflow-demo" in output


def test_seed_demo_does_not_print_a_password_that_was_changed(settings):
    settings.DEBUG = True
    run("seed_demo")
    organizer = User.objects.get(email="organizer@example.com")
    organizer.set_password("a-new-secret-of-mine")
    organizer.save()

    output = run("seed_demo")

    assert "marketflow-demo" not in output
    assert "organizer@example.com (password changed" in output


@pytest.mark.django_db(transaction=True)  # a real commit, so on-commit e-mails would go out
def test_seed_demo_sends_no_email(settings, mailoutbox):
    settings.DEBUG = True
    started = []

    def record(sender, task_result, **kwargs):
        started.append(task_result.task.module_path)

    task_started.connect(record)
    try:
        run("seed_demo")
    finally:
        task_started.disconnect(record)

    assert Application.objects.count() == 30
    assert started == []
    assert mailoutbox == []


def test_seed_demo_runs_without_debug_when_forced(settings):
    settings.DEBUG = False

    run("seed_demo", "--force")

    assert Market.objects.filter(slug="riverside-farmers-market").exists()
