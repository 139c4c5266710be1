"""``send_sales_reminders`` run twice at once (two cron hosts, an hourly timer and a
hand-started run): each vendor gets one e-mail. Real PostgreSQL, real transactions, threads
with their own connections, in the style of tests/test_concurrency_reminders.py.

Both runs are held after reading the days to remind of, before either records a reminder, so
both have decided to e-mail the same vendors. The unique constraint on (vendor, sent_on) is
the only guard: the NEGATIVE CONTROL removes it and shows both runs then send, which the main
test's assertions would catch.
"""

import datetime
import threading

import pytest
from django.core import mail

import sales.services as sales_services
from sales.models import SalesReminder
from sales.tests.factories import past_day
from stalls.tests.factories import BookingFactory, accepted_vendor_with_account
from tests.test_concurrency import BARRIER_TIMEOUT, constraint_removed, run_together

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = datetime.date(2026, 6, 1)
VENDORS = 3


@pytest.fixture
def vendors_to_remind(market):
    day = past_day(market, 1)
    vendors = [accepted_vendor_with_account(market)[0] for _ in range(VENDORS)]
    for vendor in vendors:
        BookingFactory(market_day=day, vendor=vendor)
    return vendors


def two_runs_after_reading(monkeypatch) -> list:
    """Two calls of ``sales_reminders_send`` that both read the days to remind of before
    either records its first reminder."""
    both_read = threading.Barrier(2)
    record = sales_services.sales_reminder_record
    first_of_run = threading.local()

    def record_after_both_read(**kwargs):
        if not getattr(first_of_run, "passed", False):
            first_of_run.passed = True
            both_read.wait(timeout=BARRIER_TIMEOUT)
        return record(**kwargs)

    monkeypatch.setattr(sales_services, "sales_reminder_record", record_after_both_read)
    run = lambda: sales_services.sales_reminders_send(today=TODAY)  # noqa: E731
    return run_together([run, run])


def test_two_runs_at_once_send_one_email_per_vendor(vendors_to_remind, monkeypatch):
    first, second = two_runs_after_reading(monkeypatch)

    assert len(first) + len(second) == VENDORS
    assert SalesReminder.objects.count() == VENDORS
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        vendor.email for vendor in vendors_to_remind
    )


def test_control_without_the_constraint_both_runs_send(vendors_to_remind, monkeypatch):
    """NEGATIVE CONTROL: without the unique constraint both runs record and e-mail every
    vendor: the main test's assertions fail."""
    with constraint_removed(SalesReminder, "sales_reminder_one_per_day"):
        first, second = two_runs_after_reading(monkeypatch)
        assert SalesReminder.objects.count() == 2 * VENDORS

    assert len(first) + len(second) == 2 * VENDORS
    assert len(mail.outbox) == 2 * VENDORS
