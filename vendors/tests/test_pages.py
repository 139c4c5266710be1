"""The vendor's pages: profile, document upload, and account activation from the e-mail."""

import pytest
from django.test import Client

from marketflow.models import User
from marketflow.tests.factories import MarketFactory, UserFactory
from marketflow.tokens import encode_id
from vendors.models import DocumentReview, VendorDocument
from vendors.tests.factories import VendorDocumentFactory, VendorFactory
from vendors.tests.uploads import PDF, disguised, pdf
from vendors.tokens import vendor_activation_token

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-42-lantern"


@pytest.fixture
def vendor_page(vendor_user) -> Client:
    client = Client()
    client.force_login(vendor_user)
    return client


def activation_link(vendor) -> str:
    return f"/vendor/activate/{encode_id(vendor.pk)}/{vendor_activation_token.make_token(vendor)}/"


@pytest.mark.parametrize("path", ["/vendor/profile/", "/vendor/documents/new/"])
def test_vendor_pages_ask_a_visitor_to_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/sign-in/?next={path}"


@pytest.mark.parametrize("path", ["/vendor/profile/", "/vendor/documents/new/"])
def test_vendor_pages_refuse_an_account_without_a_vendor(client, organizer, path):
    client.force_login(organizer)

    response = client.get(path)

    assert response.status_code == 403
    assert "This account is not linked to a vendor." in response.content.decode()


# Profile.


def test_profile_form_is_filled_in_with_the_profile(vendor_page, vendor):
    response = vendor_page.get("/vendor/profile/")

    assert response.status_code == 200
    assert "pages/vendor_profile.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert f'value="{vendor.business_name}"' in html
    assert 'value="produce" id="id_product_categories_0" checked' in html
    assert vendor.email in html and 'name="email"' not in html


def test_profile_update_goes_through_the_service(vendor_page, vendor):
    response = vendor_page.post(
        "/vendor/profile/",
        {
            "business_name": "Valley Bakery",
            "contact_name": "Jo",
            "phone": "",
            "product_categories": ["baked_goods", "beverages"],
            "description": "Sourdough.",
            "email": "new@example.com",  # not a field of the form: ignored, never changed
        },
    )

    assert response.status_code == 302 and response["Location"] == "/vendor/"
    vendor.refresh_from_db()
    assert vendor.business_name == "Valley Bakery"
    assert vendor.product_categories == ["baked_goods", "beverages"]
    assert vendor.email.startswith("vendor")


def test_profile_errors_come_back_next_to_their_fields(vendor_page, vendor):
    response = vendor_page.post(
        "/vendor/profile/",
        {"business_name": "", "contact_name": "Jo", "product_categories": ["fireworks"]},
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["business_name"] == ["This field is required."]
    assert "fireworks" in errors["product_categories"][0]
    vendor.refresh_from_db()
    assert vendor.business_name.startswith("Green Acres")


# Documents.


def test_upload_page_offers_the_document_types_and_a_file_input(vendor_page):
    response = vendor_page.get("/vendor/documents/new/")

    assert response.status_code == 200
    assert "pages/vendor_document_upload.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html and 'type="file" name="file"' in html
    assert '<option value="health_permit">Health permit</option>' in html


def test_upload_page_stores_a_document_with_its_expiry(vendor_page, vendor):
    response = vendor_page.post(
        "/vendor/documents/new/",
        {"document_type": "insurance", "file": pdf("cover.pdf"), "expires_on": "2031-03-31"},
    )

    assert response.status_code == 302 and response["Location"] == "/vendor/"
    document = VendorDocument.objects.get(vendor=vendor)
    assert (document.original_filename, str(document.expires_on)) == ("cover.pdf", "2031-03-31")
    with document.file.open("rb") as stored:
        assert stored.read() == PDF


def test_upload_page_refuses_a_disguised_file(vendor_page):
    response = vendor_page.post(
        "/vendor/documents/new/", {"document_type": "insurance", "file": disguised()}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["Upload a PDF, JPEG, PNG or WebP file."]
    assert not VendorDocument.objects.exists()


# Activation.


def test_activation_link_shows_the_password_form(client, vendor):
    response = client.get(activation_link(vendor))

    assert response.status_code == 200
    assert "pages/vendor_activate.html" in [t.name for t in response.templates]
    assert vendor.email in response.content.decode()


def test_activation_creates_the_user_links_the_vendor_and_signs_in(client, vendor):
    link = activation_link(vendor)

    response = client.post(link, {"password": STRONG, "password_again": STRONG})

    assert response.status_code == 302 and response["Location"] == "/vendor/"
    vendor.refresh_from_db()
    assert vendor.user.email == vendor.email and vendor.user.check_password(STRONG)
    assert not vendor.user.is_staff
    assert client.get("/vendor/").status_code == 200
    assert Client().login(email=vendor.email, password=STRONG)
    assert client.get(link).status_code == 400  # one time only


def test_activation_refuses_an_existing_account_then_connects_it_once_signed_in(client, vendor):
    existing = UserFactory(email=vendor.email)
    link = activation_link(vendor)

    refused = client.post(link, {"password": STRONG, "password_again": STRONG})
    client.force_login(existing)
    page = client.get(link)
    connected = client.post(link)

    assert "Sign in with it" in refused.content.decode()
    assert "Connect and continue" in page.content.decode()
    assert connected.status_code == 302 and connected["Location"] == "/vendor/"
    existing.refresh_from_db()
    vendor.refresh_from_db()
    assert vendor.user == existing and User.objects.count() == 1
    assert existing.check_password("correct-horse-battery")  # the password stays
    assert client.get(link).status_code == 400  # one time only


def test_activation_refuses_a_weak_password(client, vendor):
    response = client.post(activation_link(vendor), {"password": "1234", "password_again": "1234"})

    assert response.status_code == 200
    assert any("too short" in e for e in response.context["form"].errors["password"])
    vendor.refresh_from_db()
    assert vendor.user is None


def test_a_wrong_activation_link_is_refused(client, vendor):
    other = VendorFactory()
    wrong = f"/vendor/activate/{encode_id(vendor.pk)}/{vendor_activation_token.make_token(other)}/"

    for link in [wrong, "/vendor/activate/%%%/token/"]:
        response = client.post(link, {"password": STRONG, "password_again": STRONG})
        assert response.status_code == 400
        assert "Get a new link" in response.content.decode()
    assert not User.objects.exists()


def test_an_activation_link_of_a_vendor_with_an_account_is_refused(client, vendor_user):
    response = client.get(activation_link(vendor_user.vendor))

    assert response.status_code == 400


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_an_expired_document_uploads_with_a_warning(vendor_page, vendor):
    response = vendor_page.post(
        "/vendor/documents/new/",
        {"document_type": "insurance", "file": pdf(), "expires_on": "2020-01-31"},
        follow=True,
    )

    assert VendorDocument.objects.get(vendor=vendor).is_expired
    (warning,) = response.context["messages"]
    assert warning.level_tag == "warning"
    assert "expired on Fri 31 Jan 2020" in str(warning)
    ok = vendor_page.post(
        "/vendor/documents/new/",
        {"document_type": "insurance", "file": pdf(), "expires_on": "2040-01-31"},
        follow=True,
    )
    assert page_messages(ok) == ["Insurance certificate uploaded."]


def test_the_portal_offers_replace_and_delete_and_delete_asks_first(vendor_page, vendor):
    vendor_page.post("/vendor/documents/new/", {"document_type": "insurance", "file": pdf()})
    document = VendorDocument.objects.get(vendor=vendor)
    portal = vendor_page.get("/vendor/").content.decode()
    assert f'href="/vendor/documents/{document.pk}/replace/"' in portal
    assert f'href="/vendor/documents/{document.pk}/delete/"' in portal

    confirm = vendor_page.get(f"/vendor/documents/{document.pk}/delete/")
    assert confirm.status_code == 200 and VendorDocument.objects.filter(pk=document.pk).exists()
    done = vendor_page.post(f"/vendor/documents/{document.pk}/delete/", follow=True)
    assert page_messages(done)[-1] == "Insurance certificate deleted."
    assert not VendorDocument.objects.filter(pk=document.pk).exists()


def test_deleting_a_document_an_open_application_has_is_a_message(vendor_page, vendor, market):
    from applications.tests.factories import ApplicationFactory

    vendor_page.post("/vendor/documents/new/", {"document_type": "insurance", "file": pdf()})
    document = VendorDocument.objects.get(vendor=vendor)
    ApplicationFactory(market=market, vendor=vendor).documents.add(document)

    response = vendor_page.post(f"/vendor/documents/{document.pk}/delete/", follow=True)

    assert response.status_code == 200
    *_uploaded, message = page_messages(response)
    assert market.name in message and "Replace it" in message
    assert VendorDocument.objects.filter(pk=document.pk).exists()


def test_replacing_a_document_from_the_portal(vendor_page, vendor):
    vendor_page.post("/vendor/documents/new/", {"document_type": "health_permit", "file": pdf()})
    old = VendorDocument.objects.get(vendor=vendor)
    page = vendor_page.get(f"/vendor/documents/{old.pk}/replace/").content.decode()
    assert "Replace your health permit" in page and 'name="document_type"' not in page

    bad = vendor_page.post(f"/vendor/documents/{old.pk}/replace/", {"file": disguised()})
    assert (
        bad.status_code == 200 and "Upload a PDF, JPEG, PNG or WebP file." in bad.content.decode()
    )
    vendor_page.post(
        f"/vendor/documents/{old.pk}/replace/", {"file": pdf("new.pdf"), "expires_on": "2039-05-01"}
    )

    (new,) = VendorDocument.objects.filter(vendor=vendor)
    assert (new.document_type, new.original_filename) == ("health_permit", "new.pdf")
    assert new.pk != old.pk


def test_another_vendors_document_pages_are_404(vendor_page):
    from vendors.services import DocumentUpload, vendor_documents_store
    from vendors.tests.factories import VendorFactory

    (theirs,) = vendor_documents_store(
        vendor=VendorFactory(), uploads=[DocumentUpload(document_type="insurance", file=pdf())]
    )
    for action in ("replace", "delete"):
        assert vendor_page.get(f"/vendor/documents/{theirs.pk}/{action}/").status_code == 404
        assert vendor_page.post(f"/vendor/documents/{theirs.pk}/{action}/").status_code == 404
    assert VendorDocument.objects.filter(pk=theirs.pk).exists()


def test_the_portal_shows_each_market_s_review_and_the_refusal_reason(vendor_page, vendor):
    document = VendorDocumentFactory(vendor=vendor)
    approving, refusing = MarketFactory(name="Riverside"), MarketFactory(name="Hilltop")
    DocumentReview.objects.create(market=approving, document=document, status="approved")
    DocumentReview.objects.create(
        market=refusing, document=document, status="refused", reason="The name is not yours."
    )

    content = vendor_page.get("/vendor/").content.decode()

    assert "Hilltop: <strong>refused</strong> (The name is not yours.)" in content
    assert "Riverside: approved" in content
