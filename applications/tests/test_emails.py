"""Which e-mails go out on which events; none when the transaction rolls back; a failed send
never undoes a decision."""

import logging

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from applications.models import Application
from applications.services import (
    application_accept,
    application_confirm,
    application_reject,
    application_submit,
    application_waitlist,
)
from applications.tests.factories import ApplicationFactory
from applications.tokens import confirmation_token
from marketflow.errors import DomainError
from marketflow.tests.factories import MarketFactory, OrganizerFactory
from vendors.models import Vendor
from vendors.services import DocumentUpload
from vendors.tests.factories import VendorFactory
from vendors.tests.uploads import pdf

pytestmark = pytest.mark.django_db


class UnreachableMailServer(BaseEmailBackend):
    """The one thing mocked: the mail server, which is outside the process."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP server unreachable")


def submit(market, **overrides):
    fields = {
        "market": market,
        "email": "ana@hillside.example",
        "business_name": "Hillside <Honey> & Co",
        "contact_name": "Ana O'Neill",
        "product_categories": ["produce"],
    }
    return application_submit(**{**fields, **overrides})


def pdf_upload() -> DocumentUpload:
    return DocumentUpload(document_type="insurance", file=pdf())


def html_of(message) -> str:
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    return html


def test_a_confirmed_submission_mails_the_vendor_and_the_organizer(
    market, django_capture_on_commit_callbacks
):
    submitted = submit(market, documents=[pdf_upload()], message="See you in May.")
    with django_capture_on_commit_callbacks(execute=True):
        application = application_confirm(token=confirmation_token(submitted.pk))

    to_vendor, to_organizer = mail.outbox
    assert to_vendor.to == ["ana@hillside.example"]
    assert to_vendor.subject == f"We received your application to {market.name}"
    assert "What happens next" in to_vendor.body and "Ana O'Neill" in to_vendor.body
    assert "Insurance certificate (insurance.pdf)" in to_vendor.body
    assert to_organizer.to == [market.organizer.email]
    assert to_organizer.subject == f"New application for {market.name}: Hillside <Honey> & Co"
    assert "See you in May." in to_organizer.body
    assert "Sells: Produce" in to_organizer.body  # the category's label, not its code
    review_url = f"http://testserver/admin/applications/application/{application.pk}/change/"
    assert review_url in to_organizer.body
    assert "Insurance certificate (insurance.pdf)" in to_organizer.body
    assert "Hillside &lt;Honey&gt; &amp; Co" in html_of(to_organizer)  # escaped in HTML only
    assert "Hillside <Honey> & Co" in to_organizer.body


def test_a_refused_submission_sends_nothing(
    market, application, vendor_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError) as excinfo:
        submit(market, email=application.vendor.email, applicant=vendor_user)

    assert excinfo.value.code == "application_already_open"
    assert mail.outbox == []


def test_acceptance_carries_a_one_time_activation_link_for_a_vendor_without_account(
    client, organizer, application, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application_accept(
            user=organizer, market_id=application.market_id, application_id=application.pk
        )

    (message,) = mail.outbox
    assert message.to == [application.vendor.email]
    assert message.subject == f"You are accepted at {application.market.name}"
    link = next(line for line in message.body.splitlines() if "/vendor/activate/" in line)
    assert link.startswith("http://testserver/vendor/activate/")
    assert link in html_of(message)
    assert client.get(link.removeprefix("http://testserver")).status_code == 200


def test_acceptance_of_a_vendor_with_an_account_links_the_portal(
    organizer, application, vendor_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application_accept(
            user=organizer, market_id=application.market_id, application_id=application.pk
        )

    (message,) = mail.outbox
    assert "/vendor/activate/" not in message.body
    assert "http://testserver/vendor/" in message.body


def test_rejection_gives_the_reason(organizer, application, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        application_reject(
            user=organizer,
            market_id=application.market_id,
            application_id=application.pk,
            reason="We already have three honey stands.",
        )

    (message,) = mail.outbox
    assert message.subject == f"Your application to {application.market.name}"
    assert "The reason given: We already have three honey stands." in message.body
    assert "We already have three honey stands." in html_of(message)


def test_waitlisting_says_so(organizer, application, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        application_waitlist(
            user=organizer, market_id=application.market_id, application_id=application.pk
        )

    (message,) = mail.outbox
    assert message.subject == f"You are on the waiting list of {application.market.name}"
    assert "waiting list" in message.body


def test_a_decision_through_the_api_mails_the_vendor(
    organizer_client, application, django_capture_on_commit_callbacks
):
    url = f"/api/markets/{application.market_id}/applications/{application.pk}/reject/"
    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(url, {"reason": "Full."}, format="json")

    assert response.status_code == 200
    assert [message.to for message in mail.outbox] == [[application.vendor.email]]


def test_a_rolled_back_decision_sends_nothing(
    organizer, application, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        application_accept(
            user=organizer, market_id=application.market_id, application_id=application.pk
        )
        raise RuntimeError("a later step of the same transaction fails")

    assert callbacks == []
    assert mail.outbox == []
    application.refresh_from_db()
    assert application.status == Application.Status.PENDING


def test_a_failed_send_neither_undoes_nor_hides_the_decision(
    organizer_client, application, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "applications.tests.test_emails.UnreachableMailServer"
    url = f"/api/markets/{application.market_id}/applications/{application.pk}/accept/"

    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(url, {}, format="json")

    assert response.status_code == 200
    application.refresh_from_db()
    assert application.status == Application.Status.ACCEPTED
    assert mail.outbox == []
    failures = [r for r in caplog.records if "send_application_decision" in r.getMessage()]
    assert failures and "ConnectionRefusedError" in failures[0].exc_text


@pytest.mark.django_db(transaction=True)
def test_with_real_commits_a_committed_decision_mails_and_a_rolled_back_one_does_not():
    organizer = OrganizerFactory()
    market = MarketFactory(organizer=organizer)
    first = ApplicationFactory(market=market, vendor=VendorFactory())
    second = ApplicationFactory(market=market, vendor=VendorFactory())

    application_waitlist(user=organizer, market_id=market.pk, application_id=first.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        application_reject(user=organizer, market_id=market.pk, application_id=second.pk)
        raise RuntimeError("rolled back")

    assert [message.to for message in mail.outbox] == [[first.vendor.email]]
    second.refresh_from_db()
    assert second.status == Application.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_with_real_commits_the_apply_page_mails_the_link_and_confirming_it_the_rest(client):
    market = MarketFactory()

    response = client.post(
        f"/m/{market.slug}/apply/",
        {
            "business_name": "Hillside Honey",
            "contact_name": "Ana",
            "email": "ana@hillside.example",
            "product_categories": ["produce"],
        },
    )

    assert response.status_code == 302
    (link_message,) = mail.outbox
    assert link_message.to == ["ana@hillside.example"] and not Vendor.objects.exists()
    link = next(line for line in link_message.body.splitlines() if "/apply/confirm/" in line)
    assert client.post(link.removeprefix("http://testserver")).status_code == 200
    assert sorted(message.to[0] for message in mail.outbox[1:]) == sorted(
        ["ana@hillside.example", market.organizer.email]
    )
    assert Vendor.objects.get().email == "ana@hillside.example"


@pytest.mark.django_db(transaction=True)
def test_with_the_database_backend_a_decision_is_queued_and_the_worker_sends_it(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    organizer = OrganizerFactory()
    market = MarketFactory(organizer=organizer)
    kept = ApplicationFactory(market=market, vendor=VendorFactory())
    rolled_back = ApplicationFactory(market=market, vendor=VendorFactory())

    application_accept(user=organizer, market_id=market.pk, application_id=kept.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        application_reject(user=organizer, market_id=market.pk, application_id=rolled_back.pk)
        raise RuntimeError("rolled back")

    assert mail.outbox == []  # queued, not sent in the request
    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == "applications.tasks.send_application_decision"
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert [message.to for message in mail.outbox] == [[kept.vendor.email]]
