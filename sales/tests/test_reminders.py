"""Sales reminders: one e-mail a day per vendor, listing the days still to report."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command

from marketflow.models import MarketDay, SuppressedAddress
from marketflow.tests.factories import MarketDayFactory, MarketFactory
from sales.models import SalesReminder
from sales.services import sales_reminders_send, sales_report_submit
from sales.tasks import send_sales_reminder
from sales.tests.factories import past_day
from stalls.tests.factories import BookingFactory, accepted_vendor_with_account
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 1)  # the platform's date of the run: only recorded


def booked(market, vendor, days_ago=1, **fields):
    date = market.today() - datetime.timedelta(days=days_ago)
    day = MarketDay.objects.filter(market=market, date=date).first() or past_day(market, days_ago)
    return BookingFactory(market_day=day, vendor=vendor, **fields)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """``sales_reminders_send``, its e-mails sent as the transactions commit."""

    def run(today=TODAY):
        with django_capture_on_commit_callbacks(execute=True):
            return sales_reminders_send(today=today)

    return run


def test_one_email_per_vendor_lists_the_open_days_across_markets(market, send):
    vendor, user = accepted_vendor_with_account(market)
    other_market = MarketFactory(name="Riverside Market")
    first = booked(market, vendor, 1)
    second = booked(other_market, vendor, 2)
    reported = booked(market, vendor, 3)
    sales_report_submit(user=user, booking_id=reported.pk, amounts={"cash": 100})
    closed = booked(market, vendor, market.sales_report_days + 1)

    (reminder,) = send()

    assert (reminder.vendor, reminder.sent_on) == (vendor, TODAY)
    assert sorted(reminder.bookings) == sorted([str(first.pk), str(second.pk)])
    (message,) = mail.outbox
    assert message.to == [vendor.email]
    assert message.subject == "Report your sales of 2 market days"
    for booking in (first, second):
        assert f"/vendor/sales/{booking.pk}/" in message.body
    assert "Riverside Market" in message.body
    for left_out in (reported, closed):
        assert str(left_out.pk) not in message.body
    assert f'/vendor/sales/{first.pk}/">Report the sales of' in message.alternatives[0][0]


def test_at_most_one_a_day_per_vendor(market, send):
    vendor, _user = accepted_vendor_with_account(market)
    booked(market, vendor)

    assert len(send()) == 1
    assert send() == []
    assert len(mail.outbox) == 1

    assert len(send(TODAY + datetime.timedelta(days=1))) == 1
    assert len(mail.outbox) == 2


def test_nothing_to_remind_of(market, send):
    reported_vendor, user = accepted_vendor_with_account(market)
    sales_report_submit(
        user=user, booking_id=booked(market, reported_vendor).pk, amounts={"cash": 1}
    )
    under_way, _user = accepted_vendor_with_account(market)
    now = datetime.datetime.now(market.tz)
    if now.hour >= 1 and now.hour < 23:  # a day that started and has not ended yet
        BookingFactory(
            market_day=MarketDayFactory(
                market=market,
                date=now.date(),
                start_time=(now - datetime.timedelta(hours=1)).time(),
                end_time=(now + datetime.timedelta(minutes=30)).time(),
            ),
            vendor=under_way,
        )
    cancelled, _user = accepted_vendor_with_account(market)
    booked(market, cancelled, cancelled_at=datetime.datetime.now(datetime.UTC))

    assert send() == []
    assert mail.outbox == [] and not SalesReminder.objects.exists()


def test_a_day_reported_before_the_email_goes_is_left_out(market, send):
    vendor, user = accepted_vendor_with_account(market)
    first, second = booked(market, vendor, 1), booked(market, vendor, 2)
    (reminder,) = send()
    mail.outbox.clear()
    sales_report_submit(user=user, booking_id=first.pk, amounts={"cash": 1})

    send_sales_reminder.call(reminder_id=str(reminder.pk))

    (message,) = mail.outbox
    assert str(second.pk) in message.body and str(first.pk) not in message.body
    assert message.subject.startswith("Report your sales of ")


def test_a_suppressed_address_gets_nothing(market, send):
    vendor, _user = accepted_vendor_with_account(market)
    booked(market, vendor)
    SuppressedAddress.objects.create(email=vendor.email.lower(), kind="bounced")

    assert len(send()) == 1
    assert mail.outbox == []


def test_the_command_says_how_many(market, capsys, django_capture_on_commit_callbacks):
    vendor, _user = accepted_vendor_with_account(market)
    booked(market, vendor)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_sales_reminders")

    assert capsys.readouterr().out.strip() == "Sent 1 sales reminder(s)."
    assert len(mail.outbox) == 1


def test_a_vendor_without_an_account_gets_the_link_that_sets_one_up(market, send):
    vendor = VendorFactory()
    booked(market, vendor)

    assert len(send()) == 1
    (message,) = mail.outbox
    assert message.to == [vendor.email]
    assert "/vendor/activate/" in message.body

    mail.outbox.clear()
    with_account, _user = accepted_vendor_with_account(market)
    booked(market, with_account)
    send(TODAY + datetime.timedelta(days=1))
    assert (
        "/vendor/activate/" not in [m for m in mail.outbox if m.to == [with_account.email]][0].body
    )
