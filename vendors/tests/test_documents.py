"""Vendor documents: judged by content, limited in size, stored under generated names."""

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from marketflow.errors import DomainError
from vendors.models import VendorDocument, validate_document_file
from vendors.services import (
    DocumentUpload,
    vendor_document_upload,
    vendor_documents_check,
    vendor_documents_store,
)
from vendors.tests.uploads import JPEG, PDF, PNG, WEBP, disguised, pdf, png, upload

pytestmark = pytest.mark.django_db


def stored_files() -> set[str]:
    root = settings.MEDIA_ROOT
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(PDF, "application/pdf"), (JPEG, "image/jpeg"), (PNG, "image/png"), (WEBP, "image/webp")],
    ids=["pdf", "jpeg", "png", "webp"],
)
def test_the_four_allowed_types_are_recognised_by_content(content, content_type):
    # The name and declared type say otherwise: only the bytes count.
    assert validate_document_file(upload("file.txt", content, "text/plain")) == content_type


@pytest.mark.parametrize(
    "content",
    [
        b"GIF89a" + b"\x00" * 20,
        b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 20,  # RIFF, but not WebP
        b"<html><script>alert(1)</script></html>",
        b"PK\x03\x04" + b"\x00" * 20,
    ],
    ids=["gif", "wav", "html", "zip"],
)
def test_other_contents_are_refused_whatever_the_name(content):
    with pytest.raises(ValidationError) as excinfo:
        validate_document_file(upload("photo.png", content, "image/png"))

    assert excinfo.value.code == "document_type_not_allowed"


def test_empty_and_oversized_files_are_refused():
    exactly_10_mb = PDF + b"0" * (10 * 1024 * 1024 - len(PDF))

    assert validate_document_file(upload("ok.pdf", exactly_10_mb)) == "application/pdf"
    with pytest.raises(ValidationError) as too_big:
        validate_document_file(upload("big.pdf", exactly_10_mb + b"0"))
    with pytest.raises(ValidationError) as empty:
        validate_document_file(upload("empty.pdf", b""))
    assert (too_big.value.code, empty.value.code) == ("document_too_large", "document_empty")


def test_store_uses_generated_names_and_keeps_the_original_one(vendor):
    first, second = vendor_documents_store(
        vendor=vendor,
        uploads=[
            DocumentUpload(document_type="insurance", file=pdf("../../etc/passwd.pdf")),
            DocumentUpload(document_type="product_photo", file=png("stand.png")),
        ],
    )

    assert first.original_filename == "passwd.pdf"
    assert first.file.name.startswith("vendor-documents/") and first.file.name.endswith(".pdf")
    assert second.file.name.endswith(".png") and second.content_type == "image/png"
    assert "passwd" not in first.file.name and "stand" not in second.file.name
    assert {first.file.name, second.file.name} <= stored_files()


def test_a_failed_store_removes_the_files_it_already_wrote(vendor):
    before = stored_files()

    with pytest.raises(DomainError) as excinfo:
        vendor_documents_store(
            vendor=vendor,
            uploads=[
                DocumentUpload(document_type="insurance", file=pdf()),
                DocumentUpload(document_type="passport", file=pdf()),  # not a document type
            ],
        )

    assert excinfo.value.code == "invalid"
    assert "document_type" in excinfo.value.extra["fields"]
    assert stored_files() == before


def test_check_reports_each_bad_file_under_its_document_type():
    uploads = [
        DocumentUpload(document_type="insurance", file=pdf()),
        DocumentUpload(document_type="health_permit", file=disguised()),
    ]

    with pytest.raises(DomainError) as excinfo:
        vendor_documents_check(uploads=uploads)

    assert excinfo.value.extra["fields"] == {
        "health_permit": ["Upload a PDF, JPEG, PNG or WebP file."]
    }


def test_vendor_uploads_a_document_with_an_expiry_date(vendor_user):
    document = vendor_document_upload(
        user=vendor_user,
        document_type="health_permit",
        file=pdf("permit.pdf"),
        expires_on=datetime.date(2030, 5, 31),
    )

    assert document.vendor == vendor_user.vendor
    assert document.expires_on == datetime.date(2030, 5, 31)
    assert not document.is_expired


def test_a_disguised_upload_is_refused_and_changes_nothing(vendor_user, refused):
    before = stored_files()

    with refused("invalid") as excinfo:
        vendor_document_upload(user=vendor_user, document_type="insurance", file=disguised())

    assert excinfo.value.extra["fields"] == {"file": ["Upload a PDF, JPEG, PNG or WebP file."]}
    assert stored_files() == before
    assert not VendorDocument.objects.exists()


def test_a_user_without_a_vendor_cannot_upload(organizer, refused):
    with refused("not_a_vendor"):
        vendor_document_upload(user=organizer, document_type="insurance", file=pdf())
