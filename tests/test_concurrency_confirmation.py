"""Confirming an application, raced against a second confirmation and against the purge, and
two purges at once, on the real PostgreSQL with real transactions (helpers and conventions of
tests/test_concurrency.py).

A confirmation locks the unconfirmed application's row and checks it is still unconfirmed
and within its 7 days; the purge locks the expired rows it deletes, skipping rows another
transaction holds. So two confirmations confirm once, and a confirmation and the purge end as
one order would: confirmed with its documents, or purged with its files and the link refused;
two purges at once share the work.
The NEGATIVE CONTROLS take the locks away and hold every thread after its check until all
have checked: the race then breaks the invariants the main tests assert.
"""

import datetime
import threading

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.utils import timezone

import applications.services as application_services
from applications.models import Application
from applications.services import application_confirm, application_purge_unconfirmed
from applications.tokens import confirmation_token
from marketflow.errors import DomainError
from tests.test_concurrency import (
    BARRIER_TIMEOUT,
    run_together,
    wait_after,
    without_select_for_update,
)
from vendors.models import VendorDocument
from vendors.services import DocumentUpload
from vendors.tests.uploads import pdf

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 3


def submit(market, email="ana@hillside.example") -> Application:
    return application_services.application_submit(
        market=market,
        email=email,
        business_name="Hillside Honey",
        contact_name="Ana",
        product_categories=["produce"],
        documents=[DocumentUpload(document_type="insurance", file=pdf())],
    )


def attempt(call):
    """What a call ended with: its result, a domain error's code, or any other error."""

    def run():
        try:
            return call()
        except DomainError as error:
            return error.code
        except Exception as error:
            return type(error).__name__

    return run


def confirm(application):
    token = confirmation_token(application.pk)
    return attempt(lambda: application_confirm(token=token).status)


def new_application_mails() -> int:
    return sum("waiting for your review" in message.body for message in mail.outbox)


def hold_after_check(monkeypatch, *names: str) -> None:
    """Take every lock away and hold each named selector's caller until all have read."""
    without_select_for_update(monkeypatch)
    barrier = threading.Barrier(len(names), timeout=BARRIER_TIMEOUT)
    for name in names:
        monkeypatch.setattr(
            application_services, name, wait_after(getattr(application_services, name), barrier)
        )


# Two confirmations of one application


def test_two_confirmations_of_one_application_confirm_it_once(market):
    application = submit(market)

    results = run_together([confirm(application), confirm(application)])

    assert sorted(results) == ["link_invalid", "pending"]
    assert Application.objects.get().status == "pending"
    assert new_application_mails() == 1


def test_control_two_confirmations_without_the_lock_both_confirm(monkeypatch, market):
    """NEGATIVE CONTROL: without the row lock both read "unconfirmed", both confirm, and the
    organizer is told twice, which the main test catches."""
    application = submit(market)
    hold_after_check(monkeypatch, "unconfirmed_application_get")

    results = run_together([confirm(application), confirm(application)])

    assert results == ["pending", "pending"]
    assert new_application_mails() == 2


# A confirmation against the purge


def due_for_the_purge(market, email: str) -> Application:
    """Sent 6 days 23 hours ago: still confirmable now, and due for a purge that runs as if
    it were 2 hours later."""
    application = submit(market, email)
    then = timezone.now() - datetime.timedelta(days=6, hours=23)
    Application.unconfirmed.filter(pk=application.pk).update(created_at=then)
    return application


def purge():
    return attempt(
        lambda: application_purge_unconfirmed(now=timezone.now() + datetime.timedelta(hours=2))
    )


def one_order(application, document_file: str, outcome: tuple) -> bool:
    """Whether the rows and files are what one order or the other leaves."""
    confirmed = Application.objects.filter(pk=application.pk, status="pending").exists()
    documents = VendorDocument.objects.filter(applications=application, vendor__isnull=False)
    if outcome == ("pending", 0):
        return confirmed and documents.exists() and default_storage.exists(document_file)
    if outcome == ("link_invalid", 1):
        gone = not Application.unconfirmed.filter(pk=application.pk).exists()
        return gone and not confirmed and not default_storage.exists(document_file)
    return False


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_confirmation_racing_the_purge_ends_as_one_order_would(market, round_):
    application = due_for_the_purge(market, f"round{round_}@x.org")
    document_file = VendorDocument.objects.get().file.name

    outcome = tuple(run_together([confirm(application), purge()]))

    assert one_order(application, document_file, outcome), outcome


def test_control_confirmation_and_purge_without_locks_break_the_invariant(monkeypatch, market):
    """NEGATIVE CONTROL: without the locks both pass their checks; the purge deletes what the
    confirmation confirms (or a confirmation that the purge removed fails), which no order
    gives and the main test catches."""
    application = due_for_the_purge(market, "control@x.org")
    document_file = VendorDocument.objects.get().file.name
    hold_after_check(monkeypatch, "unconfirmed_application_get", "unconfirmed_expired_lock")

    outcome = tuple(run_together([confirm(application), purge()]))

    assert not one_order(application, document_file, outcome), outcome


# Two purges at once


def test_two_purges_at_once_delete_each_application_once(market):
    applications = [due_for_the_purge(market, f"twice{n}@x.org") for n in range(5)]
    files = [document.file.name for document in VendorDocument.objects.all()]

    deleted = run_together([purge(), purge()])

    assert sum(deleted) == len(applications)  # skip-locked: no row twice, none waited for
    assert not Application.unconfirmed.exists() and not VendorDocument.objects.exists()
    assert not any(default_storage.exists(name) for name in files)
