"""Reminders of required documents that expire: ``document_reminders_send`` and
``manage.py send_reminders`` (their concurrency: tests/test_concurrency_reminders.py)."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from applications.models import Application
from applications.services import document_reminders_send, reminder_threshold
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from vendors.models import DocumentReminder
from vendors.tests.factories import VendorDocumentFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 1)
Threshold = DocumentReminder.Threshold


@pytest.fixture
def rules(market):
    market.name = "Riverside"
    market.required_document_types = ["insurance", "business_license"]
    market.expiring_document_types = ["insurance"]
    market.save()
    return market


def expiring(rules, days_left, document_type="insurance", status=Application.Status.ACCEPTED):
    application = ApplicationFactory(market=rules, status=status)
    return VendorDocumentFactory(
        vendor=application.vendor,
        document_type=document_type,
        expires_on=TODAY + datetime.timedelta(days=days_left),
    )


def send(django_capture_on_commit_callbacks, today=TODAY):
    with django_capture_on_commit_callbacks(execute=True):
        return document_reminders_send(today=today)


@pytest.mark.parametrize(
    ("days_left", "threshold"),
    [
        (31, None),
        (30, Threshold.DAYS_30),
        (8, Threshold.DAYS_30),
        (7, Threshold.DAYS_7),
        (0, Threshold.DAYS_7),  # the last valid day
        (-1, Threshold.LAPSED),  # the day it lapses
        (-7, Threshold.LAPSED),
        (-8, None),
    ],
)
def test_which_reminder_is_due(days_left, threshold):
    assert reminder_threshold(days_left) == threshold


def test_each_reminder_is_sent_once_per_document_and_threshold(
    rules, django_capture_on_commit_callbacks
):
    document = expiring(rules, 30)

    (reminder,) = send(django_capture_on_commit_callbacks)
    assert send(django_capture_on_commit_callbacks) == []  # run again the same day
    tomorrow = TODAY + datetime.timedelta(days=1)
    assert send(django_capture_on_commit_callbacks, tomorrow) == []  # still the 30-day one

    assert (reminder.document_id, reminder.threshold) == (document.pk, Threshold.DAYS_30)
    (message,) = mail.outbox
    assert message.to == [document.vendor.email]
    assert message.subject == "Your insurance certificate expires on Wed 1 Jul 2026"
    assert "Riverside requires a valid one" in message.body
    assert "/vendor/" in message.body

    week_before = document.expires_on - datetime.timedelta(days=7)
    assert [r.threshold for r in send(django_capture_on_commit_callbacks, week_before)] == [
        Threshold.DAYS_7
    ]
    lapsed_on = document.expires_on + datetime.timedelta(days=1)
    assert [r.threshold for r in send(django_capture_on_commit_callbacks, lapsed_on)] == [
        Threshold.LAPSED
    ]
    assert "has lapsed" in mail.outbox[-1].subject
    assert len(mail.outbox) == 3
    assert DocumentReminder.objects.count() == 3


def test_a_new_expiry_date_earns_new_reminders(rules, django_capture_on_commit_callbacks):
    document = expiring(rules, 20)
    send(django_capture_on_commit_callbacks)
    document.expires_on += datetime.timedelta(days=1)
    document.save()

    assert len(send(django_capture_on_commit_callbacks)) == 1
    assert len(mail.outbox) == 2


def test_no_reminder_for_documents_that_never_expire_or_that_no_open_application_needs(
    rules, other_market, django_capture_on_commit_callbacks
):
    expiring(rules, 7, document_type="business_license")  # "never expires" at this market
    expiring(rules, 7, status=Application.Status.REJECTED)  # no open application
    expiring(rules, 7, status=Application.Status.WITHDRAWN)
    AcceptedApplicationFactory(market=other_market)  # requires nothing
    VendorDocumentFactory(
        vendor=AcceptedApplicationFactory(market=other_market).vendor,
        expires_on=TODAY + datetime.timedelta(days=7),
    )
    expiring(rules, 45)
    expiring(rules, -30)  # lapsed long ago

    assert send(django_capture_on_commit_callbacks) == []
    assert mail.outbox == []


def test_a_pending_applicant_is_reminded_too_naming_each_market_once(
    rules, other_market, django_capture_on_commit_callbacks
):
    document = expiring(rules, 7, status=Application.Status.PENDING)
    other_market.required_document_types = other_market.expiring_document_types = ["insurance"]
    other_market.save()
    AcceptedApplicationFactory(market=other_market, vendor=document.vendor)

    (reminder,) = send(django_capture_on_commit_callbacks)

    assert reminder.threshold == Threshold.DAYS_7
    (message,) = mail.outbox
    assert f"{', '.join(sorted([rules.name, other_market.name]))} requires" in message.body


def test_the_command_says_how_many_it_sent(rules, django_capture_on_commit_callbacks):
    document = expiring(rules, 0)
    document.expires_on = timezone.localdate()
    document.save()
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=out)
        call_command("send_reminders", stdout=out)

    assert out.getvalue() == "Sent 1 document reminder(s).\nSent 0 document reminder(s).\n"
    assert len(mail.outbox) == 1
