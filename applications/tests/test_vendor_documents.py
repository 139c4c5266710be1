"""A vendor deletes or replaces a document: a document sent with an open application stays
(its organizer relies on it); a replacement takes the old one's place in the applications;
files go through the storage API, and only once the transaction commits."""

import datetime

import pytest
from django.core.files.storage import default_storage

from applications.models import Application
from applications.services import vendor_document_delete, vendor_document_replace
from applications.tests.factories import ApplicationFactory
from conftest import domain_snapshot
from vendors.models import VendorDocument
from vendors.services import DocumentUpload, vendor_documents_store
from vendors.tests.factories import VendorFactory
from vendors.tests.uploads import disguised, pdf, png

pytestmark = pytest.mark.django_db

Status = Application.Status


def stored(vendor, name="insurance.pdf", expires_on=None) -> VendorDocument:
    (document,) = vendor_documents_store(
        vendor=vendor,
        uploads=[DocumentUpload(document_type="insurance", file=pdf(name), expires_on=expires_on)],
    )
    return document


def test_a_document_no_open_application_has_is_deleted_with_its_file(
    vendor_user, market, django_capture_on_commit_callbacks
):
    vendor = vendor_user.vendor
    document = stored(vendor)
    ApplicationFactory(market=market, vendor=vendor, status=Status.REJECTED).documents.add(document)
    name = document.file.name

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        vendor_document_delete(user=vendor_user, document_id=document.pk)
        assert default_storage.exists(name)  # until the commit: a rollback keeps it

    assert not VendorDocument.objects.filter(pk=document.pk).exists()
    for callback in callbacks:
        callback()
    assert not default_storage.exists(name)


@pytest.mark.parametrize("status", [Status.PENDING, Status.WAITLISTED, Status.ACCEPTED])
def test_a_document_sent_with_an_open_application_stays(vendor_user, market, refused, status):
    vendor = vendor_user.vendor
    document = stored(vendor)
    ApplicationFactory(market=market, vendor=vendor, status=status).documents.add(document)

    with refused("document_in_use") as excinfo:
        vendor_document_delete(user=vendor_user, document_id=document.pk)

    assert excinfo.value.extra == {"markets": [market.name]}
    assert market.name in excinfo.value.message
    assert default_storage.exists(document.file.name)


def test_another_vendors_document_is_not_found_and_a_non_vendor_refused(
    vendor_user, organizer, refused
):
    theirs = stored(VendorFactory())
    with refused("not_found"):
        vendor_document_delete(user=vendor_user, document_id=theirs.pk)
    with refused("not_found"):
        vendor_document_replace(user=vendor_user, document_id=theirs.pk, file=pdf())
    with refused("not_a_vendor"):
        vendor_document_delete(user=organizer, document_id=theirs.pk)


def test_a_replacement_takes_the_documents_place_in_its_applications(
    vendor_user, market, other_market, django_capture_on_commit_callbacks
):
    vendor = vendor_user.vendor
    old = stored(vendor, "old.pdf", datetime.date(2020, 1, 31))
    pending = ApplicationFactory(market=market, vendor=vendor)
    accepted = ApplicationFactory(market=other_market, vendor=vendor, status=Status.ACCEPTED)
    pending.documents.add(old)
    accepted.documents.add(old)
    old_name = old.file.name

    with django_capture_on_commit_callbacks(execute=True):
        new = vendor_document_replace(
            user=vendor_user,
            document_id=old.pk,
            file=png("renewed.png"),
            expires_on=datetime.date(2031, 1, 31),
        )

    assert (new.document_type, new.original_filename, new.expires_on) == (
        "insurance",
        "renewed.png",
        datetime.date(2031, 1, 31),
    )
    assert list(pending.documents.all()) == [new] == list(accepted.documents.all())
    assert not VendorDocument.objects.filter(pk=old.pk).exists()
    assert not default_storage.exists(old_name) and default_storage.exists(new.file.name)


def test_a_refused_replacement_changes_nothing(vendor_user, market, refused):
    vendor = vendor_user.vendor
    document = stored(vendor)
    ApplicationFactory(market=market, vendor=vendor).documents.add(document)
    before = domain_snapshot()

    with refused("invalid") as excinfo:
        vendor_document_replace(user=vendor_user, document_id=document.pk, file=disguised())

    assert excinfo.value.extra["fields"] == {"file": ["Upload a PDF, JPEG, PNG or WebP file."]}
    assert domain_snapshot() == before
    assert default_storage.exists(document.file.name)
