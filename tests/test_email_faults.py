"""A mail server that fails: decisions, applications and bookings still commit, the failure is
logged, and the e-mail is tried again (marketflow/email_tasks.py) until it goes out or the
attempts run out.

The mail server is replaced by e-mail backends that raise, as it leaves the machine; the
database and the task queue are the real ones.
"""

import datetime
import logging
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from applications.models import Application
from applications.tests.factories import ApplicationFactory
from conftest import token_client
from marketflow.email_tasks import retry_delay
from marketflow.tests.factories import MarketFactory, OrganizerFactory, UserFactory
from stalls.models import Booking
from stalls.tests.factories import StallFactory
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


class DownMailServer(BaseEmailBackend):
    """Every send fails as an unreachable SMTP server does."""

    calls = 0

    def send_messages(self, email_messages):
        type(self).calls += 1
        raise ConnectionRefusedError("[Errno 111] Connection refused")


class FlakyMailServer(LocmemBackend):
    """Drops the connection on the first ``failures`` sends, then delivers (to mail.outbox)."""

    failures = 2
    calls = 0

    def send_messages(self, email_messages):
        type(self).calls += 1
        if type(self).calls <= type(self).failures:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(email_messages)


class SecondMessageFailsOnce(LocmemBackend):
    """Delivers the first message, drops the connection on the second, then delivers."""

    calls = 0

    def send_messages(self, email_messages):
        type(self).calls += 1
        if type(self).calls == 2:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(email_messages)


@pytest.fixture(autouse=True)
def reset_mail_servers():
    DownMailServer.calls = 0
    FlakyMailServer.calls = 0
    SecondMessageFailsOnce.calls = 0


@pytest.fixture
def mail_server_down(settings):
    settings.EMAIL_BACKEND = f"{__name__}.DownMailServer"


@pytest.fixture
def flaky_mail_server(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyMailServer"


def accept_url(application) -> str:
    return reverse(
        "api:application-accept",
        kwargs={"market_id": application.market_id, "application_id": application.pk},
    )


def log_messages(caplog, level: int) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == level and record.name == "marketflow.email_tasks"
    ]


# -- the immediate backend: retried at once, within the task's run ---------------------------


def test_a_decision_commits_while_the_mail_server_is_down(
    mail_server_down, settings, organizer_client, application, caplog,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(accept_url(application), format="json")

    assert response.status_code == 200
    application.refresh_from_db()
    assert application.status == Application.Status.ACCEPTED
    attempts = settings.MARKETFLOW_EMAIL_MAX_ATTEMPTS
    assert DownMailServer.calls == attempts  # tried again, and not forever
    assert len(log_messages(caplog, logging.WARNING)) == attempts - 1
    (gave_up,) = log_messages(caplog, logging.ERROR)
    assert f"send_application_decision failed {attempts} times; giving up" in gave_up
    assert str(application.pk) in gave_up
    assert mail.outbox == []


def test_a_decision_mail_goes_out_once_the_server_answers(
    flaky_mail_server, organizer_client, application, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(accept_url(application), format="json")

    assert response.status_code == 200
    assert FlakyMailServer.calls == 3
    assert [message.to for message in mail.outbox] == [[application.vendor.email]]
    warnings = log_messages(caplog, logging.WARNING)
    assert len(warnings) == 2 and all("SMTPServerDisconnected" in w for w in warnings)
    assert log_messages(caplog, logging.ERROR) == []


def test_a_public_application_commits_while_the_mail_server_is_down(
    mail_server_down, anon_client, market, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = anon_client.post(
            reverse("api:public-apply", kwargs={"market_id": market.pk}),
            {
                "email": "new.vendor@example.com",
                "business_name": "Hillside Honey",
                "contact_name": "Ada Hill",
                "product_categories": ["produce"],
            },
            format="json",
        )

    assert response.status_code == 201
    assert Application.unconfirmed.filter(email="new.vendor@example.com").count() == 1
    assert DownMailServer.calls > 0  # the confirmation link was tried, and failed


def test_a_booking_commits_while_the_mail_server_is_down(
    mail_server_down, organizer_client, market_day, accepted_application,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    stall = StallFactory(market=market_day.market)

    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(
            reverse(
                "api:booking-list",
                kwargs={"market_id": market_day.market_id, "market_day_id": market_day.pk},
            ),
            {"stall_id": str(stall.pk), "vendor_id": str(accepted_application.vendor_id)},
            format="json",
        )

    assert response.status_code == 201
    assert Booking.objects.filter(market_day=market_day, stall=stall).exists()


def test_a_failure_that_is_not_the_mail_server_s_is_not_retried(
    settings, organizer_client, application, caplog, django_capture_on_commit_callbacks
):
    """A missing template will not fix itself: one attempt, the task fails, the decision
    stands."""
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [], "APP_DIRS": False, "OPTIONS": {}},
    ]

    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(accept_url(application), format="json")

    assert response.status_code == 200
    application.refresh_from_db()
    assert application.status == Application.Status.ACCEPTED
    assert log_messages(caplog, logging.WARNING) == []
    failed = [r for r in caplog.records if "send_application_decision" in r.getMessage()]
    assert failed and "TemplateDoesNotExist" in failed[0].exc_text


# -- the database queue: retried later, as a new task ------------------------------------------


def run_worker() -> None:
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)


def queued(status: str | None = None):
    results = DBTaskResult.objects.filter(task_path="applications.tasks.send_application_decision")
    return results.filter(status=status) if status else results


@pytest.mark.django_db(transaction=True)
def test_the_database_queue_retries_later_with_a_growing_delay(settings, caplog):
    settings.TASKS = DATABASE_QUEUE
    settings.EMAIL_BACKEND = f"{__name__}.DownMailServer"
    organizer = OrganizerFactory()
    application = ApplicationFactory(market=MarketFactory(organizer=organizer))

    response = token_client(organizer).post(accept_url(application), format="json")

    assert response.status_code == 200  # committed; the e-mail waits in the queue
    assert queued().count() == 1 and DownMailServer.calls == 0

    started = timezone.now()
    with caplog.at_level(logging.WARNING):
        run_worker()

    # The first attempt failed and is recorded as run; the second waits a minute.
    assert DownMailServer.calls == 1
    assert queued(TaskResultStatus.SUCCESSFUL).count() == 1
    (second,) = queued(TaskResultStatus.READY)
    assert second.args_kwargs["kwargs"]["email_attempt"] == 2
    assert second.args_kwargs["kwargs"]["application_id"] == str(application.pk)
    assert second.run_after >= started + retry_delay(2)
    assert retry_delay(2) == datetime.timedelta(seconds=60)
    assert retry_delay(3) == datetime.timedelta(seconds=120)
    assert "attempt 2 of 5 in 60 s" in log_messages(caplog, logging.WARNING)[0]

    # Not before its time: a worker run now leaves it waiting.
    run_worker()
    assert DownMailServer.calls == 1

    # A minute later, the server is back and the mail goes out.
    queued(TaskResultStatus.READY).update(run_after=timezone.now())
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run_worker()

    assert [message.to for message in mail.outbox] == [[application.vendor.email]]
    assert queued(TaskResultStatus.READY).count() == 0
    assert queued(TaskResultStatus.SUCCESSFUL).count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_database_queue_gives_up_after_the_last_attempt(settings, caplog):
    settings.TASKS = DATABASE_QUEUE
    settings.EMAIL_BACKEND = f"{__name__}.DownMailServer"
    settings.MARKETFLOW_EMAIL_MAX_ATTEMPTS = 3
    organizer = OrganizerFactory()
    application = ApplicationFactory(
        market=MarketFactory(organizer=organizer), vendor=VendorFactory()
    )
    assert token_client(organizer).post(accept_url(application)).status_code == 200

    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            queued(TaskResultStatus.READY).update(run_after=timezone.now())
            run_worker()

    assert DownMailServer.calls == 3
    assert queued(TaskResultStatus.READY).count() == 0  # nothing more scheduled
    (last,) = queued(TaskResultStatus.FAILED)
    assert last.args_kwargs["kwargs"]["email_attempt"] == 3
    assert any("failed 3 times; giving up" in m for m in log_messages(caplog, logging.ERROR))
    application.refresh_from_db()
    assert application.status == Application.Status.ACCEPTED


@pytest.mark.django_db(transaction=True)
def test_a_retry_sends_only_what_did_not_go_out(settings):
    """A signed-in vendor's apply has one task that mails the vendor, then the organizer. The
    organizer's mail fails: the retry sends it alone, and the vendor gets their mail once."""
    settings.TASKS = DATABASE_QUEUE
    settings.EMAIL_BACKEND = f"{__name__}.SecondMessageFailsOnce"
    market = MarketFactory()
    vendor = VendorFactory(email="ana@hillside.example")
    vendor.user = UserFactory(email=vendor.email)
    vendor.save(update_fields=["user", "updated_at"])
    url = reverse("api:public-apply", kwargs={"market_id": market.pk})
    body = {"email": "ana@hillside.example", "business_name": "Hillside Honey",
            "contact_name": "Ana", "product_categories": ["produce"]}  # fmt: skip
    assert token_client(vendor.user).post(url, body, format="json").status_code == 201

    (task,) = DBTaskResult.objects.all()
    assert task.task_path == "applications.tasks.send_application_submitted"
    run_worker()
    assert [message.to for message in mail.outbox] == [["ana@hillside.example"]]
    retry = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert retry.get().args_kwargs["kwargs"]["email_sent"] == 1
    retry.update(run_after=timezone.now())
    run_worker()

    assert [message.to for message in mail.outbox] == [
        ["ana@hillside.example"],
        [market.organizer.email],
    ]
    assert SecondMessageFailsOnce.calls == 3
