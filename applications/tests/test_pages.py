"""The public market page, its QR code, the application form and its confirmation."""

import io
import re

import pytest
import segno
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client

from applications.models import Application
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from vendors.models import Vendor, VendorDocument
from vendors.tests.factories import VendorFactory
from vendors.tests.uploads import PDF, disguised, pdf, png, upload

pytestmark = pytest.mark.django_db


def apply_url(market) -> str:
    return f"/m/{market.slug}/apply/"


def stored_files() -> set[str]:
    root = settings.MEDIA_ROOT
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def form_data(**overrides) -> dict:
    data = {
        "business_name": "Hillside Honey",
        "contact_name": "Ana Weber",
        "email": "ana@hillside.example",
        "phone": "+49 170 1234567",
        "product_categories": ["produce", "baked_goods"],
        "description": "Honey and beeswax candles.",
        "message": "We have been at the spring fair for years.",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# The market page and its QR code.


def test_market_page_shows_the_market_its_days_and_the_apply_button(client, market, market_day):
    response = client.get(f"/m/{market.slug}/")

    assert response.status_code == 200
    assert "pages/market.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert market.name in html and market.location in html and market.description in html
    assert f"{market_day.date:%Y}" in html and f"{market_day.date.day}" in html
    assert f'href="{apply_url(market)}"' in html
    assert "Baked goods" in html


def test_market_page_lists_the_documents_the_market_requires(client, market):
    market.required_document_types = ["insurance", "health_permit"]
    market.save()

    html = client.get(f"/m/{market.slug}/").content.decode()

    assert "Documents you will need" in html
    assert "Insurance certificate" in html and "Health permit" in html


@pytest.mark.parametrize("path", ["/m/{slug}/", "/m/{slug}/apply/", "/m/{slug}/qr.svg"])
def test_an_inactive_market_has_no_public_pages(client, market, path):
    market.is_active = False
    market.save()

    response = client.get(path.format(slug=market.slug))

    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]


def test_an_unknown_market_is_the_404_page(client, db):
    response = client.get("/m/no-such-market/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_qr_code_is_an_svg_of_the_apply_page(client, market):
    response = client.get(f"/m/{market.slug}/qr.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    expected = segno.make(f"http://testserver{apply_url(market)}", error="m")
    buffer = io.BytesIO()
    expected.save(buffer, kind="svg", scale=8, border=4, title=f"Apply to {market.name}")
    assert response.content == buffer.getvalue()
    # A standalone SVG file renders in an <img> (the admin's market page) only with its namespace.
    assert b'xmlns="http://www.w3.org/2000/svg"' in response.content


# The application form.


def test_apply_form_has_every_field_labelled_and_a_csrf_token(client, market):
    response = client.get(apply_url(market))

    assert response.status_code == 200
    assert "pages/apply.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert "csrfmiddlewaretoken" in html
    for name in ["business_name", "contact_name", "email", "phone", "description", "message"]:
        assert f'<label for="id_{name}">' in html
    for name in ["insurance", "health_permit", "product_photo"]:
        assert f'<label for="id_{name}">' in html and f'type="file" name="{name}"' in html
    assert html.count('type="checkbox" name="product_categories"') == 6


def test_applying_with_a_pdf_creates_the_application_and_stores_the_file(client, market):
    before = stored_files()

    response = client.post(apply_url(market), form_data(insurance=pdf("my insurance.pdf")))

    assert response.status_code == 302
    assert response["Location"] == f"/m/{market.slug}/apply/done/"
    application = Application.objects.get(market=market)
    assert application.vendor.email == "ana@hillside.example"
    assert application.product_categories == ["produce", "baked_goods"]
    assert application.message == "We have been at the spring fair for years."
    document = application.documents.get()
    assert document.vendor == application.vendor
    assert document.document_type == "insurance"
    assert document.original_filename == "my insurance.pdf"
    assert document.content_type == "application/pdf" and document.size == len(PDF)
    assert re.fullmatch(r"vendor-documents/[0-9a-f]{32}\.pdf", document.file.name)
    assert stored_files() - before == {document.file.name}
    with document.file.open("rb") as stored:
        assert stored.read() == PDF


def test_confirmation_page_says_what_happens_next(client, market):
    response = client.post(apply_url(market), form_data(insurance=pdf()), follow=True)

    assert "pages/apply_done.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert "Thank you, Hillside Honey" in html
    assert "ana@hillside.example" in html
    assert "What happens next" in html


def test_confirmation_page_without_an_application_is_generic(client, market):
    response = client.get(f"/m/{market.slug}/apply/done/")

    assert response.status_code == 200
    assert "Thank you" not in response.content.decode()
    assert "What happens next" in response.content.decode()


def test_several_product_photos_in_one_input(client, market):
    client.post(apply_url(market), form_data(product_photo=[png("a.png"), png("b.png")]))

    documents = Application.objects.get(market=market).documents.all()
    assert sorted(d.original_filename for d in documents) == ["a.png", "b.png"]
    assert {d.document_type for d in documents} == {"product_photo"}


def test_form_with_errors_comes_back_with_the_input_kept(client, market):
    response = client.post(
        apply_url(market), form_data(email="not-an-e-mail", product_categories=None)
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="error-summary"' in html
    assert '<a href="#id_email">' in html and '<a href="#id_product_categories_0">' in html
    assert 'id="id_email_error"' in html and 'aria-invalid="true"' in html
    assert re.search(r'aria-describedby="[^"]*id_email_error', html)
    assert "Choose at least one product category." in html
    assert 'value="Hillside Honey"' in html and 'value="not-an-e-mail"' in html
    assert "We have been at the spring fair for years." in html
    assert not Application.objects.exists() and not Vendor.objects.exists()


def test_too_long_input_is_refused_under_the_models_limit(client, market):
    response = client.post(apply_url(market), form_data(business_name="x" * 201))

    assert "Ensure this value has at most 200 characters" in response.content.decode()
    assert not Application.objects.exists()


def test_a_required_document_that_is_missing_is_a_field_error(client, market):
    market.required_document_types = ["insurance"]
    market.save()

    response = client.post(apply_url(market), form_data(health_permit=pdf("permit.pdf")))

    assert response.status_code == 200
    assert response.context["form"].errors["insurance"] == [
        "This market requires your insurance certificate."
    ]
    assert not Application.objects.exists() and not VendorDocument.objects.exists()


def test_a_required_document_that_is_there_is_accepted(client, market):
    market.required_document_types = ["insurance"]
    market.save()

    response = client.post(apply_url(market), form_data(insurance=pdf()))

    assert response.status_code == 302
    assert Application.objects.get().documents.count() == 1


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (disguised(), "Upload a PDF, JPEG, PNG or WebP file."),
        (upload("empty.pdf", b""), "The submitted file is empty."),
    ],
)
def test_disguised_or_empty_uploads_are_refused_and_nothing_is_stored(
    client, market, file, message
):
    before = stored_files()

    response = client.post(apply_url(market), form_data(insurance=file))

    assert response.status_code == 200
    assert response.context["form"].errors["insurance"] == [message]
    assert stored_files() == before
    assert not Application.objects.exists() and not VendorDocument.objects.exists()


def test_an_oversized_upload_is_refused_and_nothing_is_stored(client, market):
    before = stored_files()
    too_big = upload("big.pdf", PDF + b"0" * (10 * 1024 * 1024 + 1 - len(PDF)), "application/pdf")

    response = client.post(apply_url(market), form_data(insurance=too_big))

    assert response.context["form"].errors["insurance"] == ["The file is larger than 10 MB."]
    assert stored_files() == before
    assert not Application.objects.exists()


def test_more_product_photos_than_allowed_are_refused(client, market):
    photos = [png(f"{n}.png") for n in range(6)]

    response = client.post(apply_url(market), form_data(product_photo=photos))

    assert response.context["form"].errors["product_photo"] == ["Attach at most 5 files here."]
    assert not Application.objects.exists()


def test_an_open_application_for_the_same_vendor_gets_a_clear_message(client, market):
    vendor = VendorFactory(email="ana@hillside.example")
    ApplicationFactory(market=market, vendor=vendor)

    response = client.post(apply_url(market), form_data(email="ANA@hillside.example"))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "You already have an open application to this market. "
        "You will hear from the organizer once it has been reviewed."
    ]
    assert Application.objects.filter(market=market).count() == 1


def test_honeypot_filled_looks_like_success_but_stores_nothing(client, market):
    response = client.post(apply_url(market), form_data(website="http://spam.example"))

    assert response.status_code == 302
    assert response["Location"] == f"/m/{market.slug}/apply/done/"
    assert not Application.objects.exists() and not Vendor.objects.exists()
    assert mail.outbox == []


def test_apply_form_is_rate_limited_per_address(client, market, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "public_apply": "2/hour",
        },
    }
    for n in range(2):
        response = client.post(apply_url(market), form_data(email=f"v{n}@example.com"))
        assert response.status_code == 302

    refused = client.post(apply_url(market), form_data(email="v3@example.com"))
    other_address = client.post(
        apply_url(market), form_data(email="v4@example.com"), REMOTE_ADDR="10.9.8.7"
    )

    assert refused.status_code == 429
    assert "Too many applications" in refused.content.decode()
    assert other_address.status_code == 302
    assert sorted(Vendor.objects.values_list("email", flat=True)) == [
        "v0@example.com",
        "v1@example.com",
        "v4@example.com",
    ]


def test_the_api_and_the_form_count_against_one_budget_per_address(client, market, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "public_apply": "2/hour",
        },
    }
    api = f"/api/public/markets/{market.pk}/apply/"
    fields = {**form_data(email="v1@example.com"), "product_categories": ["produce"]}

    assert client.post(apply_url(market), form_data(email="v0@example.com")).status_code == 302
    assert client.post(api, fields, content_type="application/json").status_code == 201
    refused = client.post(api, {**fields, "email": "v2@example.com"}, "application/json")

    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert client.post(apply_url(market), form_data(email="v3@example.com")).status_code == 429
    assert Vendor.objects.count() == 2


def test_a_post_without_the_csrf_token_is_refused(market):
    client = Client(enforce_csrf_checks=True)

    response = client.post(apply_url(market), form_data())

    assert response.status_code == 403
    assert "The form expired or your browser blocked a cookie" in response.content.decode()
    assert not Application.objects.exists()


# A new activation link for an accepted vendor without an account.


def test_activation_request_sends_a_link_to_an_accepted_vendor(
    client, market, django_capture_on_commit_callbacks
):
    application = AcceptedApplicationFactory(market=market)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/vendor/activate/", {"email": application.vendor.email.upper()})

    assert response.status_code == 200
    assert "a link to set a password is on its way" in response.content.decode()
    assert [message.to for message in mail.outbox] == [[application.vendor.email]]
    assert "/vendor/activate/" in mail.outbox[0].body


@pytest.mark.parametrize("who", ["unknown", "pending", "has_account"])
def test_activation_request_answers_the_same_and_sends_nothing_otherwise(
    client, market, vendor_user, who, django_capture_on_commit_callbacks
):
    vendor = vendor_user.vendor
    if who == "pending":
        vendor = VendorFactory()
        ApplicationFactory(market=market, vendor=vendor)
    elif who == "has_account":
        AcceptedApplicationFactory(market=market, vendor=vendor)
    email = "nobody@example.com" if who == "unknown" else vendor.email

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/vendor/activate/", {"email": email})

    assert response.status_code == 200
    assert "a link to set a password is on its way" in response.content.decode()
    assert mail.outbox == []


def test_an_empty_post_is_a_form_with_errors_not_a_blank_form(client, market):
    response = client.post(apply_url(market), {})

    assert response.status_code == 200
    assert response.context["form"].errors["business_name"] == ["This field is required."]
    assert 'id="error-summary"' in response.content.decode()


def test_the_market_page_and_the_form_offer_only_the_accepted_categories(client, market):
    market.accepted_categories = ["crafts", "other"]
    market.save(update_fields=["accepted_categories", "updated_at"])

    market_page = client.get(f"/m/{market.slug}/").content.decode()
    form_page = client.get(apply_url(market)).content.decode()

    assert "Crafts" in market_page and "Produce" not in market_page
    assert 'value="crafts"' in form_page and 'value="produce"' not in form_page


def test_a_category_the_market_does_not_accept_is_a_field_error(client, market):
    market.accepted_categories = ["crafts"]
    market.save(update_fields=["accepted_categories", "updated_at"])

    response = client.post(apply_url(market), form_data(product_categories=["produce"]))

    assert response.status_code == 200
    assert "product_categories" in response.context["form"].errors
    assert not Application.objects.exists()
