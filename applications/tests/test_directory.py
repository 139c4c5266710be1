"""The public vendor directory: who is listed (opted in and accepted at THAT market), the
vendor's listing (service, portal page, API), the public API (cached, throttled, cursor
pages), the pages with their JSON-LD and Open Graph, the photos and the sitemap."""

import io
import json
import re
import uuid

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from applications import services as application_services
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow import services as market_services
from marketflow.tests.factories import MarketDayFactory, MarketFactory
from stalls import services as stall_services
from vendors import services
from vendors.models import Vendor
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def photo_upload(size=(64, 48), fmt="PNG", name="stand.png", **save) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt, **save)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def listed(market, **vendor_fields) -> Vendor:
    """A vendor accepted at ``market`` who opted in to the directory."""
    vendor = VendorFactory(directory_listed=True, **vendor_fields)
    AcceptedApplicationFactory(market=market, vendor=vendor)
    return vendor


def api(market) -> str:
    return f"/api/public/markets/{market.id}/vendors/"


def names(body) -> list[str]:
    return [row["business_name"] for row in body["results"]]


# -- who is listed ------------------------------------------------------------------------------


def test_only_opted_in_vendors_accepted_at_that_market_are_listed(anon_client, market):
    shown = listed(market, business_name="Shown")
    not_opted_in = VendorFactory(business_name="Quiet")
    AcceptedApplicationFactory(market=market, vendor=not_opted_in)
    pending = VendorFactory(business_name="Pending", directory_listed=True)
    ApplicationFactory(market=market, vendor=pending)
    elsewhere = listed(MarketFactory(), business_name="Elsewhere")  # another organizer's market

    body = anon_client.get(api(market)).json()

    assert names(body) == ["Shown"]
    assert body["results"][0]["id"] == str(shown.pk)
    assert elsewhere.business_name not in json.dumps(body)


def test_the_api_answers_readable_public_fields_only(anon_client, market):
    vendor = listed(
        market,
        business_name="Hill Bakery",
        product_categories=["baked_goods", "prepared_food"],
        public_description="Sourdough since 1990.",
        phone="+1 555 0100",
    )

    row = anon_client.get(api(market)).json()["results"][0]

    assert row == {
        "id": str(vendor.pk),
        "business_name": "Hill Bakery",
        "categories": ["Baked goods", "Prepared food"],
        "description": "Sourdough since 1990.",
        "photo_url": None,
        "url": f"/m/{market.slug}/vendors/{vendor.pk}/",
    }
    assert vendor.email not in json.dumps(row) and vendor.phone not in json.dumps(row)


def test_the_api_filters_by_category_and_refuses_an_unknown_one(anon_client, market):
    listed(market, business_name="Baker", product_categories=["baked_goods"])
    listed(market, business_name="Farmer", product_categories=["produce"])

    assert names(anon_client.get(api(market), {"category": "produce"}).json()) == ["Farmer"]
    refused = anon_client.get(api(market), {"category": "weapons"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid" and "category" in refused.json()["extra"]["fields"]


def test_the_api_pages_with_a_cursor_in_name_order(anon_client, market):
    for name in ["Delta", "Alpha", "Charlie", "Bravo", "Echo"]:
        listed(market, business_name=name)

    first = anon_client.get(api(market), {"page_size": 2}).json()
    second = anon_client.get(first["next"]).json()
    third = anon_client.get(second["next"]).json()

    assert names(first) + names(second) + names(third) == [
        "Alpha", "Bravo", "Charlie", "Delta", "Echo"
    ]  # fmt: skip
    assert third["next"] is None


def test_an_inactive_or_unknown_market_has_no_directory(anon_client):
    inactive = MarketFactory(is_active=False)
    listed(inactive)
    assert anon_client.get(api(inactive)).status_code == 404
    assert anon_client.get(f"/api/public/markets/{uuid.uuid4()}/vendors/").status_code == 404
    assert anon_client.get(f"/m/{inactive.slug}/vendors/").status_code == 404


def test_the_api_is_throttled_per_address(anon_client, market, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "public_directory": "2/minute",
        },
    }
    assert [anon_client.get(api(market)).status_code for _ in range(3)] == [200, 200, 429]
    assert anon_client.get(api(market)).json()["code"] == "throttled"
    assert anon_client.get(api(market), REMOTE_ADDR="10.9.8.7").status_code == 200


# -- the cache: a second read reads nothing, every change shows at once -------------------------


def test_a_second_read_runs_no_query(anon_client, market, django_assert_num_queries):
    vendor = listed(market)
    paths = [api(market), f"/m/{market.slug}/", f"/m/{market.slug}/vendors/"]
    for path in paths:
        anon_client.get(path)
    with django_assert_num_queries(0):
        for path in paths:
            assert vendor.business_name in anon_client.get(path).content.decode()


def test_opting_in_and_out_and_editing_show_at_once(anon_client, market, vendor, vendor_user):
    AcceptedApplicationFactory(market=market, vendor=vendor)
    assert names(anon_client.get(api(market)).json()) == []

    services.vendor_directory_update(user=vendor_user, directory_listed=True)
    assert names(anon_client.get(api(market)).json()) == [vendor.business_name]

    services.vendor_directory_update(user=vendor_user, public_description="Fresh eggs")
    assert anon_client.get(api(market)).json()["results"][0]["description"] == "Fresh eggs"

    services.vendor_update(user=vendor_user, business_name="Renamed Farm")
    assert names(anon_client.get(api(market)).json()) == ["Renamed Farm"]

    services.vendor_directory_update(user=vendor_user, directory_listed=False)
    assert names(anon_client.get(api(market)).json()) == []


def test_a_revoked_or_withdrawn_vendor_disappears_at_once(
    anon_client, organizer, market, vendor_user
):
    revoked = listed(market, business_name="Revoked")
    stays = listed(market, business_name="Stays")
    withdrawing = Vendor.objects.get(user=vendor_user)
    withdrawing.directory_listed = True
    withdrawing.save()
    withdrawn_application = AcceptedApplicationFactory(market=market, vendor=withdrawing)
    assert len(names(anon_client.get(api(market)).json())) == 3
    assert anon_client.get(f"/m/{market.slug}/").status_code == 200

    stall_services.application_revoke(
        user=organizer,
        market_id=market.pk,
        application_id=revoked.applications.get().pk,
        reason="No insurance.",
    )
    stall_services.application_withdraw(user=vendor_user, application_id=withdrawn_application.pk)

    assert names(anon_client.get(api(market)).json()) == [stays.business_name]
    page = anon_client.get(f"/m/{market.slug}/").content.decode()
    assert "Stays" in page and "Revoked" not in page
    assert anon_client.get(f"/m/{market.slug}/vendors/{revoked.pk}/").status_code == 404


def test_a_new_market_slug_shows_in_the_links_at_once(anon_client, organizer, market):
    vendor = listed(market)
    assert anon_client.get(api(market)).json()["results"][0]["url"].startswith(f"/m/{market.slug}/")

    market_services.market_update(user=organizer, market_id=market.pk, slug="renamed-market")

    url = anon_client.get(api(market)).json()["results"][0]["url"]
    assert url == f"/m/renamed-market/vendors/{vendor.pk}/"


def test_an_accepted_application_shows_at_once(anon_client, organizer, market):
    vendor = VendorFactory(directory_listed=True, business_name="Newcomer")
    application = ApplicationFactory(market=market, vendor=vendor)
    assert names(anon_client.get(api(market)).json()) == []

    application_services.application_accept(
        user=organizer, market_id=market.pk, application_id=application.pk
    )

    assert names(anon_client.get(api(market)).json()) == ["Newcomer"]


# -- the vendor's listing: service, API, portal page ---------------------------------------------


def test_the_photo_is_stored_re_encoded_and_served_publicly(anon_client, market, vendor_user):
    vendor = Vendor.objects.get(user=vendor_user)
    AcceptedApplicationFactory(market=market, vendor=vendor)
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x010E] = "Home at 52.52N 13.40E"  # ImageDescription
    exif[0x0112] = 6  # Orientation: the camera was turned, so the picture stands upright
    upload = photo_upload(size=(3000, 1500), fmt="JPEG", name="me.jpg", exif=exif.tobytes())

    vendor = services.vendor_directory_update(user=vendor_user, directory_listed=True, photo=upload)

    stored = default_storage.open(vendor.photo.name).read()
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and image.size == (600, 1200)
    assert not image.getexif() and b"SecretCam" not in stored and b"52.52N" not in stored
    assert stored != upload.read()
    response = anon_client.get(vendor.photo_path)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == stored


def test_a_new_photo_replaces_the_old_file_and_remove_deletes_it(
    django_capture_on_commit_callbacks, vendor_user
):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.vendor_directory_update(user=vendor_user, photo=photo_upload()).photo.name
    with django_capture_on_commit_callbacks(execute=True):
        second = services.vendor_directory_update(user=vendor_user, photo=photo_upload()).photo.name
    assert first != second
    assert not default_storage.exists(first) and default_storage.exists(second)

    with django_capture_on_commit_callbacks(execute=True):
        vendor = services.vendor_directory_update(user=vendor_user, remove_photo=True)
    assert not vendor.photo and not default_storage.exists(second)


def test_an_unlisted_vendors_photo_is_not_served(anon_client, market, vendor_user):
    vendor = Vendor.objects.get(user=vendor_user)
    AcceptedApplicationFactory(market=market, vendor=vendor)
    vendor = services.vendor_directory_update(user=vendor_user, photo=photo_upload())

    assert anon_client.get(vendor.photo_path).status_code == 404
    assert anon_client.get("/vendor-photos/" + "0" * 32 + ".jpg").status_code == 404


def test_the_listing_api_reads_and_updates_the_vendors_own_listing(vendor_client):
    url = "/api/me/vendor/directory/"
    assert vendor_client.get(url).json() == {
        "directory_listed": False,
        "public_description": "",
        "photo_url": None,
    }

    response = vendor_client.patch(
        url,
        {"directory_listed": "true", "public_description": "Honey", "photo": photo_upload()},
        format="multipart",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["directory_listed"] is True and body["public_description"] == "Honey"
    assert re.fullmatch(r"/vendor-photos/[0-9a-f]{32}\.jpg", body["photo_url"])


def test_the_listing_api_refuses_a_bad_photo_with_a_stable_code(vendor_client, vendor):
    response = vendor_client.patch(
        "/api/me/vendor/directory/",
        {"directory_listed": "true", "photo": SimpleUploadedFile("x.png", b"not an image")},
        format="multipart",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "photo_invalid" and body["extra"]["reason"] == "photo_not_an_image"
    assert "photo" in body["extra"]["fields"]
    vendor.refresh_from_db()
    assert not vendor.directory_listed and not vendor.photo  # nothing half-written


def test_the_listing_api_is_the_vendors_only(organizer_client, anon_client):
    assert organizer_client.get("/api/me/vendor/directory/").status_code == 403
    assert anon_client.patch("/api/me/vendor/directory/", {}).status_code == 401


def test_a_refused_photo_changes_nothing(refused, vendor_user):
    with refused("photo_invalid") as excinfo:
        services.vendor_directory_update(
            user=vendor_user,
            directory_listed=True,
            photo=SimpleUploadedFile("x.jpg", b"\xff\xd8\xff" + b"\x00" * 50),
        )
    assert excinfo.value.extra["reason"] == "photo_not_an_image"


def test_a_too_long_description_is_refused(refused, vendor_user):
    with refused("invalid") as excinfo:
        services.vendor_directory_update(user=vendor_user, public_description="x" * 501)
    assert "public_description" in excinfo.value.extra["fields"]


def test_the_portal_listing_page_opts_in_with_a_photo(client, market, vendor_user):
    vendor = Vendor.objects.get(user=vendor_user)
    AcceptedApplicationFactory(market=market, vendor=vendor)
    client.force_login(vendor_user)
    assert "/vendor/listing/" in client.get("/vendor/").content.decode()

    response = client.post(
        "/vendor/listing/",
        {"directory_listed": "on", "public_description": "Apples", "photo": photo_upload()},
    )

    assert response.status_code == 302
    vendor.refresh_from_db()
    assert vendor.directory_listed and vendor.public_description == "Apples" and vendor.photo
    page = client.get("/vendor/listing/").content.decode()
    assert f"/m/{market.slug}/vendors/{vendor.pk}/" in page and vendor.photo_path in page


def test_the_portal_listing_page_shows_a_bad_photo_as_a_form_error(client, vendor_user):
    client.force_login(vendor_user)
    bomb = photo_upload(size=(8000, 6000), fmt="PNG")  # 48 megapixels in a small file

    response = client.post("/vendor/listing/", {"directory_listed": "on", "photo": bomb})

    assert response.status_code == 200
    assert "more than 40 megapixels" in response.content.decode()
    assert not Vendor.objects.get(user=vendor_user).directory_listed


# -- pages ----------------------------------------------------------------------------------------


def test_the_market_page_lists_vendors_and_filters_by_category(client, market):
    market.accepted_categories = ["produce", "baked_goods"]
    market.save()
    listed(market, business_name="Baker", product_categories=["baked_goods"])
    listed(
        market, business_name="Farmer", product_categories=["produce"], public_description="Kale"
    )
    listed(MarketFactory(), business_name="Foreigner")

    page = client.get(f"/m/{market.slug}/").content.decode()
    filtered = client.get(f"/m/{market.slug}/", {"category": "produce"}).content.decode()

    assert "Baker" in page and "Farmer" in page and "Kale" in page and "Foreigner" not in page
    assert "Farmer" in filtered and "Baker" not in filtered
    assert f'href="/m/{market.slug}/vendors/?category=produce"' in filtered
    assert f'href="/m/{market.slug}/vendors/"' in page


def test_the_directory_pages_its_vendors(client, market):
    for n in range(30):
        listed(market, business_name=f"Vendor {n:02}")

    first = client.get(f"/m/{market.slug}/vendors/")
    second = client.get(f"/m/{market.slug}/vendors/", {"page": 2})

    assert [v.business_name for v in first.context["vendor_page"]][:2] == ["Vendor 00", "Vendor 01"]
    assert len(first.context["vendor_page"]) == 24 and len(second.context["vendor_page"]) == 6
    assert "Next page" in first.content.decode() and "Vendor 29" in second.content.decode()


def test_a_vendor_page_shows_the_public_listing_only(client, market):
    vendor = listed(market, public_description="Goat cheese", phone="+1 555 0199")
    other_market = MarketFactory()

    page = client.get(f"/m/{market.slug}/vendors/{vendor.pk}/").content.decode()

    assert vendor.business_name in page and "Goat cheese" in page
    assert vendor.email not in page and "555 0199" not in page and vendor.contact_name not in page
    assert client.get(f"/m/{other_market.slug}/vendors/{vendor.pk}/").status_code == 404


def json_ld(page: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', page, re.S)
    return [json.loads(block) for block in blocks]


def test_market_days_are_events_in_json_ld_with_open_graph(client, market):
    market.timezone = "America/Chicago"
    market.save()
    day = MarketDayFactory(market=market)

    page = client.get(f"/m/{market.slug}/").content.decode()

    (event,) = json_ld(page)
    assert event["@type"] == "Event" and event["name"] == market.name
    assert event["startDate"].startswith(day.date.isoformat() + "T")
    assert event["startDate"].endswith(("-06:00", "-05:00"))
    assert f'<meta property="og:title" content="{market.name}">' in page


def test_json_ld_cannot_be_broken_out_of(client, market):
    evil = '</script><script>alert("x")</script><!--'
    vendor = listed(market, business_name=evil, public_description="a & b </SCRIPT>")

    page = client.get(f"/m/{market.slug}/vendors/{vendor.pk}/").content.decode()

    (business,) = json_ld(page)
    assert business["@type"] == "LocalBusiness"
    assert business["name"] == evil and business["description"] == "a & b </SCRIPT>"
    assert '<script>alert("x")' not in page
    assert page.count("</script>") == 1  # the JSON-LD block's own end


def test_the_sitemap_lists_active_markets_and_their_directories(client, market):
    inactive = MarketFactory(is_active=False)

    index = client.get("/sitemap.xml").content.decode()
    sections = re.findall(r"<loc>http://testserver(/sitemap-\w+\.xml)</loc>", index)
    sitemap = "".join(client.get(section).content.decode() for section in sections)

    assert sections == ["/sitemap-markets.xml", "/sitemap-directories.xml"]
    assert f"/m/{market.slug}/</loc>" in sitemap and f"/m/{market.slug}/vendors/</loc>" in sitemap
    assert f"/m/{inactive.slug}/" not in sitemap
