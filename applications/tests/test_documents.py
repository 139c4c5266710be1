"""Who may download a vendor's document, and the API's list of an application's documents."""

import pytest
from django.test import Client

from applications.tests.factories import ApplicationFactory
from conftest import token_client
from marketflow.tests.factories import UserFactory
from tests.api_contract import assert_error, assert_page
from vendors.services import DocumentUpload, vendor_documents_store
from vendors.tests.factories import VendorFactory
from vendors.tests.uploads import PDF, PNG, pdf, png, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(application):
    """An insurance PDF of the vendor's, submitted with the application to ``market``."""
    (stored,) = vendor_documents_store(
        vendor=application.vendor,
        uploads=[DocumentUpload(document_type="insurance", file=pdf("cover.pdf"))],
    )
    application.documents.add(stored)
    return stored


def download_url(document) -> str:
    return f"/documents/{document.pk}/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_vendor_downloads_their_own_document(vendor_user, document):
    response = signed_in(vendor_user).get(download_url(document))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="cover.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize(
    ("uploaded_as", "file", "downloaded_as", "content_type"),
    [
        ("x.html", PDF, "x.pdf", "application/pdf"),
        ("stand.svg", PNG, "stand.png", "image/png"),
        ("no-extension", PDF, "no-extension.pdf", "application/pdf"),
        (".html", PNG, "document.png", "image/png"),
    ],
)
def test_a_download_is_named_by_the_type_its_content_was_judged_to_be(
    vendor, vendor_user, uploaded_as, file, downloaded_as, content_type
):
    """Finding 9: the uploader's extension is not kept; a browser or a mail client that
    trusts the name opens the file as what it really is."""
    (stored,) = vendor_documents_store(
        vendor=vendor,
        uploads=[DocumentUpload(document_type="insurance", file=upload(uploaded_as, file))],
    )

    response = signed_in(vendor_user).get(download_url(stored))

    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{downloaded_as}"'


def test_the_organizer_of_the_market_downloads_a_submitted_document(organizer, document):
    response = signed_in(organizer).get(download_url(document))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


def test_another_organizer_gets_404(other_organizer, other_market, document):
    # Even with an application of the same vendor to their own market, without this document.
    ApplicationFactory(market=other_market, vendor=document.vendor)

    response = signed_in(other_organizer).get(download_url(document))

    assert response.status_code == 404


def test_another_vendor_gets_404(document):
    other_vendor = VendorFactory()
    other_vendor.user = UserFactory(email=other_vendor.email)
    other_vendor.save()

    response = signed_in(other_vendor.user).get(download_url(document))

    assert response.status_code == 404


def test_an_organizer_does_not_see_a_document_not_submitted_to_their_market(organizer, vendor):
    (unsubmitted,) = vendor_documents_store(
        vendor=vendor, uploads=[DocumentUpload(document_type="health_permit", file=pdf())]
    )
    ApplicationFactory(market__organizer=organizer, vendor=vendor)  # applied, but without it

    assert signed_in(organizer).get(download_url(unsubmitted)).status_code == 404


def test_an_unknown_document_is_404(vendor_user):
    response = signed_in(vendor_user).get("/documents/00000000-0000-7000-8000-000000000000/")

    assert response.status_code == 404


def test_a_visitor_is_asked_to_sign_in(client, document):
    response = client.get(download_url(document))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/sign-in/?next={download_url(document)}"


def test_files_are_not_served_from_the_media_url(client, document):
    assert client.get(f"/media/{document.file.name}").status_code == 404


# The API: GET /api/markets/{market_id}/applications/{application_id}/documents/


def documents_url(application) -> str:
    return f"/api/markets/{application.market_id}/applications/{application.pk}/documents/"


def test_api_lists_an_applications_documents_with_download_links(
    organizer_client, application, document
):
    (photo,) = vendor_documents_store(
        vendor=application.vendor,
        uploads=[DocumentUpload(document_type="product_photo", file=png())],
    )
    application.documents.add(photo)

    rows = assert_page(organizer_client.get(documents_url(application)))

    assert [row["id"] for row in rows] == [str(photo.pk), str(document.pk)]
    assert rows[1] == {
        "id": str(document.pk),
        "document_type": "insurance",
        "original_filename": "cover.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
        "expires_on": None,
        "created_at": rows[1]["created_at"],
        "download_url": f"http://testserver/documents/{document.pk}/",
        "review_status": None,  # not reviewed for this market yet
        "review_reason": None,
    }
    download = organizer_client.get(rows[0]["download_url"])  # the API token is enough
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG


def test_api_documents_of_another_organizers_application_are_404(
    other_organizer_client, application, document
):
    assert_error(other_organizer_client.get(documents_url(application)), 404, "not_found")


def test_api_documents_need_an_organizer(vendor_user, application, document):
    response = token_client(vendor_user).get(documents_url(application))

    assert_error(response, 403, "not_an_organizer")


def test_an_api_token_of_someone_else_cannot_download(other_organizer, document):
    response = token_client(other_organizer).get(download_url(document))

    assert response.status_code == 404
