"""``send_reminders`` run twice at once (two cron hosts, a timer and a hand-started run): each
reminder is sent once. Real PostgreSQL, real transactions, threads with their own
connections, in the style of tests/test_concurrency.py.

Both runs are held after reading the due documents, before either records a reminder, so
both have decided to send the same ones. The unique constraint on (document, threshold,
expiry date) is the only guard: the NEGATIVE CONTROL removes it and shows both runs then
send, which the main test's assertions would catch.
"""

import datetime
import threading

import pytest
from django.core import mail

import applications.services as application_services
from applications.tests.factories import AcceptedApplicationFactory
from tests.test_concurrency import BARRIER_TIMEOUT, constraint_removed, run_together
from vendors.models import DocumentReminder
from vendors.tests.factories import VendorDocumentFactory

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = datetime.date(2026, 6, 1)
DOCUMENTS = 3


@pytest.fixture
def due_documents(market):
    market.required_document_types = market.expiring_document_types = ["insurance"]
    market.save()
    return [
        VendorDocumentFactory(
            vendor=AcceptedApplicationFactory(market=market).vendor,
            expires_on=TODAY + datetime.timedelta(days=7),
        )
        for _ in range(DOCUMENTS)
    ]


def two_runs_after_reading(monkeypatch) -> list:
    """Two calls of ``document_reminders_send`` that both read the due documents before
    either records its first reminder."""
    both_read = threading.Barrier(2)
    record = application_services.document_reminder_record
    first_of_run = threading.local()

    def record_after_both_read(**kwargs):
        if not getattr(first_of_run, "passed", False):
            first_of_run.passed = True
            both_read.wait(timeout=BARRIER_TIMEOUT)
        return record(**kwargs)

    monkeypatch.setattr(application_services, "document_reminder_record", record_after_both_read)
    run = lambda: application_services.document_reminders_send(today=TODAY)  # noqa: E731
    return run_together([run, run])


def test_two_runs_at_once_send_each_reminder_once(due_documents, monkeypatch):
    first, second = two_runs_after_reading(monkeypatch)

    assert len(first) + len(second) == DOCUMENTS
    assert DocumentReminder.objects.count() == DOCUMENTS
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        document.vendor.email for document in due_documents
    )


def test_control_without_the_constraint_both_runs_send(due_documents, monkeypatch):
    """NEGATIVE CONTROL: without the unique constraint both runs record and send every
    reminder: the main test's assertions fail."""
    with constraint_removed(DocumentReminder, "document_reminder_once"):
        first, second = two_runs_after_reading(monkeypatch)
        assert DocumentReminder.objects.count() == 2 * DOCUMENTS

    assert len(first) + len(second) == 2 * DOCUMENTS
    assert len(mail.outbox) == 2 * DOCUMENTS
