"""A vendor's document deleted and replaced at once (two tabs, a double submit), in the
style of tests/test_concurrency.py: real PostgreSQL, real transactions, threads, and a
NEGATIVE CONTROL that removes the locks and shows the race then happens and is caught.

The rule: the two end as one order would. Deleted first, the replacement finds no document;
replaced first, the deletion finds none (the old one is gone), and every application that
listed the old document lists the new one.
"""

import threading

import pytest

import applications.services as application_services
from applications.models import Application
from applications.tests.factories import ApplicationFactory
from marketflow.errors import DomainError
from tests.test_concurrency import DECISION_ROUNDS, run_together, wait_after
from vendors.models import VendorDocument
from vendors.selectors import vendor_document_get, vendor_for_user
from vendors.services import DocumentUpload, vendor_documents_store
from vendors.tests.uploads import pdf

pytestmark = pytest.mark.django_db(transaction=True)

# (deletion, replacement, documents left, what the application lists)
SERIAL = {
    (None, "not_found", 0, "nothing"),  # deleted first
    ("not_found", None, 1, "the new document"),  # replaced first
}


def attempt(service, **kwargs) -> str | None:
    """None for a success, else the refusal's code."""
    try:
        service(**kwargs)
    except DomainError as error:
        return error.code
    return None


def delete_and_replace(vendor_user, market):
    vendor = vendor_user.vendor
    (document,) = vendor_documents_store(
        vendor=vendor, uploads=[DocumentUpload(document_type="insurance", file=pdf())]
    )
    # A closed application lists it: the deletion is allowed, the replacement relinks it.
    application = ApplicationFactory(
        market=market, vendor=vendor, status=Application.Status.REJECTED
    )
    application.documents.add(document)
    calls = [
        lambda: attempt(
            application_services.vendor_document_delete,
            user=vendor_user,
            document_id=document.pk,
        ),
        lambda: attempt(
            application_services.vendor_document_replace,
            user=vendor_user,
            document_id=document.pk,
            file=pdf("renewed.pdf"),
        ),
    ]
    return vendor, application, calls


def result(vendor, application, codes) -> tuple:
    documents = list(VendorDocument.objects.filter(vendor=vendor))
    listed = list(application.documents.all())
    if not listed:
        lists = "nothing"
    elif listed == documents and listed[0].original_filename == "renewed.pdf":
        lists = "the new document"
    else:
        lists = f"something else: {listed}"
    VendorDocument.objects.filter(vendor=vendor).delete()  # the next round starts afresh
    application.delete()
    return (*codes, len(documents), lists)


def test_deleting_and_replacing_a_document_at_once_ends_as_one_order_would(vendor_user, market):
    for _round in range(DECISION_ROUNDS):
        vendor, application, calls = delete_and_replace(vendor_user, market)

        assert result(vendor, application, run_together(calls)) in SERIAL


def test_control_without_the_locks_both_succeed(monkeypatch, vendor_user, market):
    """NEGATIVE CONTROL: the document is read without locking the vendor row or the
    applications, and each call waits until both have read it. Both then succeed (the
    deletion also unlinks the replacement from the application): no serial order gives
    that, so the race test above would catch it."""
    both_read = threading.Barrier(2)

    def unlocked(*, user, document_id):
        vendor = vendor_for_user(user=user)
        return vendor_document_get(vendor=vendor, document_id=document_id)

    monkeypatch.setattr(
        application_services, "_own_document_for_update", wait_after(unlocked, both_read)
    )
    vendor, application, calls = delete_and_replace(vendor_user, market)

    found = result(vendor, application, run_together(calls))

    assert found[:2] == (None, None)
    assert found not in SERIAL
