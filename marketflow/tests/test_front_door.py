"""What a visitor meets first: the home page, HEAD requests, the favicon, and the API's 404
in development (DEBUG on)."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_the_home_page_says_what_marketflow_is_and_leads_in(client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "farmers and artisan markets" in html
    assert "market's own link" in html  # vendors: no list of markets to browse
    assert 'href="/accounts/sign-in/"' in html and 'href="/signup/"' in html


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/m/{slug}/",
        "/m/{slug}/apply/",
        "/m/{slug}/apply/done/",
        "/m/{slug}/qr.svg",
        "/signup/",
        "/signup/done/",
        "/signup/resend/",
        "/accounts/sign-in/",
        "/accounts/password-reset/",
        "/vendor/activate/",
    ],
)
def test_head_answers_like_get_without_a_body(client, market, path):
    path = path.format(slug=market.slug)
    get = client.get(path)
    head = client.head(path)

    assert get.status_code == 200, path
    assert head.status_code == 200
    assert head["Content-Type"] == get["Content-Type"]
    assert head.content == b""


def test_other_methods_on_read_only_pages_are_still_refused(client, market):
    assert client.delete("/").status_code == 405
    assert client.post(f"/m/{market.slug}/qr.svg").status_code == 405


def test_every_page_names_the_favicon_and_favicon_ico_leads_to_it(client, organizer_admin):
    icon = '<link rel="icon" href="/static/marketflow/favicon.svg" type="image/svg+xml">'
    assert icon in client.get("/").content.decode()
    assert icon in organizer_admin.get("/admin/").content.decode()
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/marketflow/favicon.svg"


@pytest.mark.parametrize("debug", [True, False])
def test_an_unknown_api_url_answers_the_json_error_body_with_debug_on_or_off(client, debug):
    with override_settings(DEBUG=debug):
        response = client.get("/api/no-such-endpoint/")
        page = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found.", "extra": {}}
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_with_debug_on_a_views_own_404_and_a_missing_slash_keep_their_answers(organizer_client, db):
    with override_settings(DEBUG=True):
        missing = organizer_client.get(
            "/api/markets/00000000-0000-7000-8000-000000000000/", HTTP_ACCEPT="application/json"
        )
        redirect = organizer_client.get("/api/markets")

    assert missing.status_code == 404 and missing.json()["detail"] == "Market not found."
    assert redirect.status_code == 301 and redirect["Location"] == "/api/markets/"
