"""No 500 from input (issue 11, finding 6): deeply nested JSON and NUL characters are refused as
the client's error on every face: a 400 ``invalid`` in the API, a form error on pages, the 400
page elsewhere (the admin's own fuzzing is in tests/test_admin_fuzz.py)."""

import base64

import pytest
from django.test import Client
from rest_framework.test import APIClient

from conftest import token_client
from marketflow.parsers import MAX_DEPTH
from tests.api_contract import api_routes, assert_error, view_methods
from tests.two_markets import build_world

pytestmark = pytest.mark.django_db

NESTED = "[" * 3000  # about 6 KB: Python's json raised RecursionError, a 500


def post_json(client, path: str, body: str, method: str = "post"):
    return getattr(client, method)(path, body, content_type="application/json")


def test_deeply_nested_json_to_the_anonymous_endpoints_is_invalid(market):
    for path in ["/api/auth/token/", f"/api/public/markets/{market.pk}/apply/"]:
        assert_error(post_json(APIClient(), path, NESTED), 400, "invalid")


def test_deeply_nested_json_to_any_json_endpoint_is_never_a_server_error():
    """Every write operation of the API, as each actor: parsed, the body is a 400 ``invalid``;
    refused before parsing (no credentials, another's row), whatever the view answers."""
    world = build_world()
    ids = world.x.path_ids()
    clients = {  # a new token for each request: one of the requests is a sign-out
        "organizer": lambda: token_client(world.x.organizer),
        "vendor": lambda: token_client(world.x.vendor.user),
        "anonymous": APIClient,
    }
    parsed = set()
    for template, view_class in api_routes():
        path = template.format(**ids)
        for method in set(view_methods(view_class)) & {"POST", "PUT", "PATCH"}:
            for actor, client in clients.items():
                response = post_json(client(), path, NESTED, method.lower())
                assert response.status_code < 500, (method, path, actor)
                if response.status_code == 400:
                    assert_error(response, 400, "invalid")
                    parsed.add((method, template))
    assert ("POST", "/api/markets/") in parsed
    assert ("PATCH", "/api/me/vendor/") in parsed


def test_json_nested_deeper_than_the_limit_is_invalid(organizer_client):
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    shallow = "[" * MAX_DEPTH + "]" * MAX_DEPTH

    body = assert_error(post_json(organizer_client, "/api/markets/", deep), 400, "invalid")
    assert "nested" in str(body["extra"]["fields"])
    body = assert_error(post_json(organizer_client, "/api/markets/", shallow), 400, "invalid")
    assert "nested" not in str(body["extra"])  # parsed, then refused by the serializer


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "Farm\\u0000ers"}',
        '{"accepted_categories": ["produce\\u0000"]}',
        '{"name": "Farmers", "nul\\u0000key": 1}',
    ],
)
def test_a_nul_character_in_json_is_invalid(organizer_client, market, body):
    response = post_json(organizer_client, f"/api/markets/{market.pk}/", body, "patch")

    assert_error(response, 400, "invalid")
    market.refresh_from_db()
    assert market.name != "Farmers"


def test_malformed_json_is_invalid(organizer_client):
    assert_error(post_json(organizer_client, "/api/markets/", '{"name": '), 400, "invalid")


def test_escaped_backslashes_are_text_not_nul(organizer_client, market):
    body = '{"name": "a \\\\u0000 b"}'  # a backslash, then "u0000"
    response = post_json(organizer_client, f"/api/markets/{market.pk}/", body, "patch")

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "a \\u0000 b"


def forged_cursor(position: str) -> str:
    return base64.b64encode(f"o=0&r=0&p={position}".encode()).decode()


@pytest.mark.parametrize("list_name", ["stalls", "vendors"])
def test_a_nul_character_in_a_cursor_is_invalid(organizer_client, market, stall, list_name):
    path = f"/api/markets/{market.pk}/{list_name}/"

    assert_error(organizer_client.get(path, {"cursor": forged_cursor("%00")}), 400, "invalid")
    assert_error(organizer_client.get(path, {"cursor": "\x00"}), 400, "invalid")
    assert organizer_client.get(path, {"cursor": forged_cursor("A")}).status_code == 200


@pytest.mark.parametrize(
    "query", [{"status": "\x00"}, {"category": "pro\x00duce"}, {"page_size": "\x00"}]
)
def test_a_nul_character_in_an_api_query_string_is_invalid(organizer_client, market, query):
    path = f"/api/markets/{market.pk}/applications/"

    assert_error(organizer_client.get(path, query), 400, "invalid")


def test_a_nul_character_in_an_api_path_is_not_found(organizer_client):
    assert_error(organizer_client.get("/api/markets/%00/"), 404, "not_found")


# -- pages ----------------------------------------------------------------------------------


def test_a_nul_character_in_a_page_query_string_is_the_400_page(market):
    response = Client().get(f"/m/{market.slug}/apply/", {"ref": "qr\x00"})

    assert response.status_code == 400
    assert "This request cannot be answered" in response.content.decode()
    assert "nonce=" in response.content.decode()  # the page's style survives the CSP


def test_a_nul_character_in_a_page_path_is_the_404_page():
    assert Client().get("/vendor/activate/%00/%00/").status_code == 404


def test_a_nul_character_in_a_sign_in_form_is_a_form_error(vendor_user):
    response = Client().post(
        "/accounts/sign-in/", {"username": f"{vendor_user.email}\x00", "password": "x\x00"}
    )

    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()


def test_a_nul_character_in_the_apply_form_is_a_form_error(market):
    response = Client().post(
        f"/m/{market.slug}/apply/",
        {"business_name": "Farm\x00", "email": "v@example.com", "contact_name": "V\x00"},
    )

    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
