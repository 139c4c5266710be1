"""Documents in S3-compatible object storage: django-storages' S3 backend over HTTP against
moto's S3 server on loopback (conftest.s3_endpoint), never a mock of either."""

import datetime
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from PIL import Image

from applications.models import Application
from applications.services import application_purge_unconfirmed, application_submit
from applications.tests.factories import AcceptedApplicationFactory
from conftest import S3_CREDENTIALS, free_port, s3_client, s3_keys
from marketflow.errors import DomainError
from marketflow.models import new_id
from marketflow.settings import object_storage
from vendors.errors import DocumentStorageUnavailableError
from vendors.models import Vendor, VendorDocument
from vendors.services import (
    DocumentUpload,
    vendor_directory_update,
    vendor_document_upload,
    vendor_documents_delete,
    vendor_documents_store,
)
from vendors.tests.uploads import PDF, PNG, pdf, png

pytestmark = pytest.mark.django_db

RANDOM_KEY = re.compile(r"vendor-documents/[0-9a-f]{32}\.(pdf|png)")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload_page(client: Client, file) -> str:
    response = client.post("/vendor/documents/new/", {"document_type": "insurance", "file": file})
    return response.content.decode() if response.status_code == 200 else ""


def test_an_upload_is_a_private_object_under_a_random_key(s3_endpoint, s3_bucket, vendor_user):
    document = vendor_document_upload(
        user=vendor_user, document_type="insurance", file=pdf("Hillside Farm insurance.pdf")
    )

    assert s3_keys(s3_endpoint, s3_bucket) == {document.file.name}
    assert RANDOM_KEY.fullmatch(document.file.name)
    vendor = vendor_user.vendor
    for revealing in (vendor.pk.hex, str(vendor.pk), "Hillside", vendor.email):
        assert revealing not in document.file.name
    stored = s3_client(s3_endpoint).get_object(Bucket=s3_bucket, Key=document.file.name)
    assert stored["Body"].read() == PDF
    # No public grant: anyone without the keys is refused.
    anonymous = requests.get(f"{s3_endpoint}/{s3_bucket}/{document.file.name}", timeout=10)
    assert anonymous.status_code == 403


def test_two_uploads_of_one_name_get_two_keys(s3_endpoint, s3_bucket, vendor_user):
    first = vendor_document_upload(user=vendor_user, document_type="insurance", file=pdf())
    second = vendor_document_upload(user=vendor_user, document_type="insurance", file=pdf())

    assert first.file.name != second.file.name
    assert s3_keys(s3_endpoint, s3_bucket) == {first.file.name, second.file.name}


def test_download_checks_access_then_redirects_to_a_60_second_link_with_our_name_and_type(
    s3_bucket, vendor_user, other_organizer
):
    document = vendor_document_upload(
        user=vendor_user, document_type="product_photo", file=png("stand.svg")
    )

    response = signed_in(vendor_user).get(f"/documents/{document.pk}/")

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    link = response["Location"]
    query = parse_qs(urlsplit(link).query)
    assert query["X-Amz-Expires"] == ["60"]
    served = requests.get(link, timeout=10)
    assert served.status_code == 200
    assert served.content == PNG
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["Content-Disposition"] == 'attachment; filename="stand.png"'
    # The check still comes first: no link for someone else, nor for a visitor.
    assert signed_in(other_organizer).get(f"/documents/{document.pk}/").status_code == 404
    assert Client().get(f"/documents/{document.pk}/")["Location"].startswith("/accounts/")


def test_a_tampered_link_is_refused_by_the_store(s3_bucket, vendor_user):
    document = vendor_document_upload(user=vendor_user, document_type="insurance", file=pdf())
    link = signed_in(vendor_user).get(f"/documents/{document.pk}/")["Location"]

    other_key = link.replace(document.file.name, "vendor-documents/" + "0" * 32 + ".pdf")

    assert requests.get(other_key, timeout=10).status_code == 403


def test_the_purge_deletes_the_objects_of_unconfirmed_applications(
    s3_endpoint, s3_bucket, market, django_capture_on_commit_callbacks
):
    upload = DocumentUpload(document_type="insurance", file=pdf())
    application = application_submit(
        market=market,
        email="ana@hillside.example",
        business_name="Hillside",
        contact_name="Ana",
        product_categories=["produce"],
        documents=[upload],
    )
    (key,) = s3_keys(s3_endpoint, s3_bucket)
    later = application.created_at + datetime.timedelta(days=8)

    with django_capture_on_commit_callbacks(execute=True):
        assert application_purge_unconfirmed(now=later) == 1

    assert not Application.objects.exists() and not VendorDocument.objects.exists()
    assert key not in s3_keys(s3_endpoint, s3_bucket)
    assert s3_keys(s3_endpoint, s3_bucket) == set()


def test_a_rolled_back_purge_keeps_the_objects(
    s3_endpoint, s3_bucket, vendor, django_capture_on_commit_callbacks
):
    """The negative control of the test above: the deletion waits for the commit."""

    (document,) = vendor_documents_store(
        vendor=vendor, uploads=[DocumentUpload(document_type="insurance", file=pdf())]
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        vendor_documents_delete(documents=[document])
        transaction.set_rollback(True)

    assert s3_keys(s3_endpoint, s3_bucket) == {document.file.name}
    assert VendorDocument.objects.filter(pk=document.pk).exists()


def test_a_failed_storage_write_leaves_no_row_and_says_so_on_the_page(
    s3_endpoint, settings, vendor_user
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": object_storage(
            bucket_name="no-such-bucket", endpoint_url=s3_endpoint, **S3_CREDENTIALS
        ),
    }

    html = upload_page(signed_in(vendor_user), pdf())

    assert "Files cannot be stored just now; nothing was saved." in html
    assert not VendorDocument.objects.exists()


def test_an_unreachable_store_refuses_the_upload_and_leaves_no_row(settings, vendor_user):
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.STORAGES = {
        **settings.STORAGES,
        "default": object_storage(bucket_name="docs", endpoint_url=nowhere, **S3_CREDENTIALS),
    }

    with pytest.raises(DocumentStorageUnavailableError):
        vendor_document_upload(user=vendor_user, document_type="insurance", file=pdf())

    assert not VendorDocument.objects.exists()


def test_a_failed_row_write_leaves_no_object(s3_endpoint, s3_bucket, vendor):
    ghost = Vendor(pk=new_id(), email="ghost@example.com")  # no such row: the insert fails
    with transaction.atomic():
        connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
        with pytest.raises(IntegrityError):
            vendor_documents_store(
                vendor=ghost, uploads=[DocumentUpload(document_type="insurance", file=pdf())]
            )
        transaction.set_rollback(True)

    assert s3_keys(s3_endpoint, s3_bucket) == set()


def test_a_refused_second_upload_leaves_no_object_of_the_first(s3_endpoint, s3_bucket, vendor):
    with pytest.raises(DomainError) as excinfo:
        vendor_documents_store(
            vendor=vendor,
            uploads=[
                DocumentUpload(document_type="insurance", file=pdf()),
                DocumentUpload(document_type="passport", file=pdf()),
            ],
        )

    assert excinfo.value.code == "invalid"
    assert s3_keys(s3_endpoint, s3_bucket) == set()


def test_the_sweep_deletes_objects_no_row_names_once_old_enough(s3_endpoint, s3_bucket, vendor):
    (kept,) = vendor_documents_store(
        vendor=vendor, uploads=[DocumentUpload(document_type="insurance", file=pdf())]
    )
    with transaction.atomic():  # a later step of the same write fails: the row is gone
        (orphan,) = vendor_documents_store(
            vendor=vendor, uploads=[DocumentUpload(document_type="insurance", file=pdf())]
        )
        transaction.set_rollback(True)
    assert s3_keys(s3_endpoint, s3_bucket) == {kept.file.name, orphan.file.name}

    young = io.StringIO()
    call_command("sweep_orphan_documents", "--hours", "1", stdout=young)
    assert s3_keys(s3_endpoint, s3_bucket) == {kept.file.name, orphan.file.name}
    out = io.StringIO()
    call_command("sweep_orphan_documents", "--hours", "0", stdout=out)
    call_command("sweep_orphan_documents", "--hours", "0", stdout=io.StringIO())  # again

    assert s3_keys(s3_endpoint, s3_bucket) == {kept.file.name}
    assert f"Deleted {orphan.file.name}" in out.getvalue()
    assert "Deleted 0 file(s)" in young.getvalue()


def test_the_sweep_on_the_local_disk(settings, vendor, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assert "Deleted 0 file(s)" in run("sweep_orphan_documents")  # no folder yet
    with transaction.atomic():
        (orphan,) = vendor_documents_store(
            vendor=vendor, uploads=[DocumentUpload(document_type="insurance", file=pdf())]
        )
        transaction.set_rollback(True)

    run("sweep_orphan_documents", "--hours", "0")

    assert not (tmp_path / orphan.file.name).exists()


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_move_documents_to_storage_moves_local_files_into_the_bucket_and_can_run_again(
    s3_endpoint, settings, vendor, vendor_user, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    first, second = vendor_documents_store(
        vendor=vendor,
        uploads=[
            DocumentUpload(document_type="insurance", file=pdf()),
            DocumentUpload(document_type="product_photo", file=png()),
        ],
    )
    assert isinstance(default_storage, FileSystemStorage)
    with pytest.raises(CommandError, match="AWS_STORAGE_BUCKET_NAME"):
        run("move_documents_to_storage")
    bucket = "moved-documents"
    s3_client(s3_endpoint).create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": object_storage(bucket_name=bucket, endpoint_url=s3_endpoint, **S3_CREDENTIALS),
    }

    output = run("move_documents_to_storage", "--from", str(tmp_path))
    again = run("move_documents_to_storage", "--from", str(tmp_path))

    assert "Moved 2 file(s); 0 already in the bucket; 0 missing." in output
    assert "Moved 0 file(s); 2 already in the bucket; 0 missing." in again
    assert s3_keys(s3_endpoint, bucket) == {first.file.name, second.file.name}
    assert not FileSystemStorage(location=tmp_path).exists(first.file.name)  # moved, not copied
    link = signed_in(vendor_user).get(f"/documents/{first.pk}/")["Location"]
    assert requests.get(link, timeout=10).content == PDF


def test_move_documents_to_storage_reports_a_file_found_nowhere(
    s3_endpoint, s3_bucket, settings, vendor, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    (document,) = vendor_documents_store(
        vendor=vendor, uploads=[DocumentUpload(document_type="insurance", file=pdf())]
    )
    s3_client(s3_endpoint).delete_object(Bucket=s3_bucket, Key=document.file.name)
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 document file"):
        call_command("move_documents_to_storage", "--from", str(tmp_path), stderr=err)

    assert document.file.name in err.getvalue()


def real_png() -> SimpleUploadedFile:
    """A PNG that decodes (uploads.PNG is only its structure)."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (90, 160, 70)).save(buffer, format="PNG")
    return SimpleUploadedFile("stand.png", buffer.getvalue())


def test_a_listing_photo_is_a_re_encoded_object_served_through_the_app(
    s3_endpoint, s3_bucket, vendor_user, market, django_capture_on_commit_callbacks
):
    """The public photo goes through the same storage API: a JPEG under a random key in the
    bucket (never the uploaded PNG), served by the app's public view; a new one replaces it."""
    AcceptedApplicationFactory(market=market, vendor=vendor_user.vendor)
    with django_capture_on_commit_callbacks(execute=True):
        first = vendor_directory_update(user=vendor_user, directory_listed=True, photo=real_png())
    stored = s3_client(s3_endpoint).get_object(Bucket=s3_bucket, Key=first.photo.name)
    body = stored["Body"].read()

    assert re.fullmatch(r"vendor-photos/[0-9a-f]{32}\.jpg", first.photo.name)
    assert body.startswith(b"\xff\xd8\xff")
    response = Client().get(first.photo_path)
    assert response.status_code == 200 and b"".join(response.streaming_content) == body

    with django_capture_on_commit_callbacks(execute=True):
        second = vendor_directory_update(user=vendor_user, photo=real_png())
    assert s3_keys(s3_endpoint, s3_bucket) == {second.photo.name}
