"""The OpenAPI schema and the API docs: complete, honest about errors, served without a CDN."""

from html.parser import HTMLParser
from io import StringIO

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS

from tests.api_contract import PAGE_KEYS, api_routes, view_methods

ERROR_REF = "#/components/schemas/Error"
DOC_PATHS = {"/api/schema/", "/api/docs/", "/api/redoc/"}

# Every error status the API is known to answer per operation (the API tests exercise each);
# the schema must document at least these. 503 (database down) applies everywhere.
KNOWN_ERRORS = {
    ("POST", "/webhooks/stripe/"): {400, 409},
    ("POST", "/api/auth/token/"): {400, 401, 429},
    ("POST", "/api/auth/logout/"): {401},
    ("POST", "/api/auth/logout-all/"): {401},
    ("GET", "/api/auth/tokens/"): {401, 404},
    ("DELETE", "/api/auth/tokens/{token_id}/"): {401, 404},
    ("GET", "/api/me/"): {401},
    ("GET", "/api/public/markets/{market_id}/"): {404},
    ("GET", "/api/public/markets/{market_id}/vendors/"): {400, 404, 429},
    ("POST", "/api/public/markets/{market_id}/apply/"): {400, 401, 404, 409, 429},
    ("GET", "/api/markets/"): {401, 403, 404},
    ("POST", "/api/markets/"): {400, 401, 402, 403, 409},
    ("GET", "/api/markets/{market_id}/"): {401, 403, 404},
    ("PUT", "/api/markets/{market_id}/"): {400, 401, 403, 404, 409},
    ("PATCH", "/api/markets/{market_id}/"): {400, 401, 403, 404, 409},
    ("DELETE", "/api/markets/{market_id}/"): {401, 403, 404, 409},
    ("GET", "/api/markets/{market_id}/stalls/"): {401, 403, 404},
    ("GET", "/api/markets/{market_id}/fees/"): {401, 403, 404},
    ("GET", "/api/markets/{market_id}/payouts/"): {401, 403, 404},
    ("POST", "/api/markets/{market_id}/payouts/{vendor_id}/settle/"): {400, 401, 403, 404, 409},
    ("POST", "/api/markets/{market_id}/stalls/"): {400, 401, 403, 404, 409},
    ("GET", "/api/markets/{market_id}/stalls/{stall_id}/"): {401, 403, 404},
    ("PATCH", "/api/markets/{market_id}/stalls/{stall_id}/"): {400, 401, 403, 404, 409},
    ("DELETE", "/api/markets/{market_id}/stalls/{stall_id}/"): {401, 403, 404, 409},
    ("GET", "/api/markets/{market_id}/market-days/"): {401, 403, 404},
    ("POST", "/api/markets/{market_id}/market-days/"): {400, 401, 403, 404, 409},
    ("GET", "/api/markets/{market_id}/market-days/{market_day_id}/"): {401, 403, 404},
    ("PATCH", "/api/markets/{market_id}/market-days/{market_day_id}/"): {400, 401, 403, 404},
    ("DELETE", "/api/markets/{market_id}/market-days/{market_day_id}/"): {401, 403, 404, 409},
    ("GET", "/api/markets/{market_id}/market-days/{market_day_id}/board/"): {401, 403, 404},
    ("GET", "/api/markets/{market_id}/market-days/{market_day_id}/bookings/"): {401, 403, 404},
    ("POST", "/api/markets/{market_id}/market-days/{market_day_id}/bookings/"): {
        400,
        401,
        403,
        404,
        409,
    },
    ("GET", "/api/markets/{market_id}/market-days/{market_day_id}/bookings/{booking_id}/"): {
        401,
        403,
        404,
    },
    ("PATCH", "/api/markets/{market_id}/market-days/{market_day_id}/bookings/{booking_id}/"): {
        400,
        401,
        403,
        404,
    },
    ("DELETE", "/api/markets/{market_id}/market-days/{market_day_id}/bookings/{booking_id}/"): {
        401,
        403,
        404,
        409,
    },
    (
        "POST",
        "/api/markets/{market_id}/market-days/{market_day_id}/bookings/{booking_id}/attendance/",
    ): {400, 401, 403, 404, 409},
    ("GET", "/api/markets/{market_id}/applications/"): {400, 401, 403, 404},
    ("GET", "/api/markets/{market_id}/applications/{application_id}/"): {401, 403, 404},
    ("POST", "/api/markets/{market_id}/applications/{application_id}/accept/"): {
        401,
        402,
        403,
        404,
        409,
    },
    ("POST", "/api/markets/{market_id}/applications/{application_id}/reject/"): {
        400,
        401,
        403,
        404,
        409,
    },
    ("POST", "/api/markets/{market_id}/applications/{application_id}/waitlist/"): {
        401,
        403,
        404,
        409,
    },
    ("POST", "/api/markets/{market_id}/applications/{application_id}/reopen/"): {
        400,
        401,
        403,
        404,
        409,
    },
    ("POST", "/api/markets/{market_id}/applications/{application_id}/revoke/"): {
        400,
        401,
        403,
        404,
        409,
    },
    ("GET", "/api/markets/{market_id}/applications/{application_id}/documents/"): {
        401,
        403,
        404,
    },
    ("GET", "/api/markets/{market_id}/vendors/"): {401, 403, 404},
    ("GET", "/api/markets/{market_id}/seasons/"): {401, 403, 404},
    ("POST", "/api/markets/{market_id}/seasons/"): {400, 401, 403, 404, 409},
    ("POST", "/api/markets/{market_id}/seasons/preview/"): {400, 401, 403, 404},
    ("GET", "/api/markets/{market_id}/seasons/{season_id}/"): {401, 403, 404},
    ("PATCH", "/api/markets/{market_id}/seasons/{season_id}/"): {400, 401, 403, 404, 409},
    ("DELETE", "/api/markets/{market_id}/seasons/{season_id}/"): {401, 403, 404},
    ("POST", "/api/markets/{market_id}/seasons/{season_id}/preview/"): {400, 401, 403, 404},
    ("GET", "/api/markets/{market_id}/seasons/{season_id}/vendors/"): {401, 403, 404},
    ("POST", "/api/markets/{market_id}/seasons/{season_id}/vendors/"): {400, 401, 403, 404, 409},
    ("DELETE", "/api/markets/{market_id}/seasons/{season_id}/vendors/{season_vendor_id}/"): {
        401,
        403,
        404,
    },
    ("POST", "/api/markets/{market_id}/documents/{document_id}/review/"): {400, 401, 403, 404},
    ("GET", "/api/markets/{market_id}/readiness/"): {401, 403, 404},
    ("GET", "/api/markets/{market_id}/sales/summary/"): {400, 401, 403, 404},
    ("GET", "/api/markets/{market_id}/sales/summary.csv"): {400, 401, 403, 404},
    ("GET", "/api/markets/{market_id}/sales/reports/"): {400, 401, 403, 404},
    ("GET", "/api/me/vendor/"): {401, 403},
    ("PATCH", "/api/me/vendor/"): {400, 401, 403},
    ("GET", "/api/me/vendor/directory/"): {401, 403},
    ("PATCH", "/api/me/vendor/directory/"): {400, 401, 403, 503},
    ("GET", "/api/me/applications/"): {401, 403, 404},
    ("POST", "/api/me/applications/{application_id}/withdraw/"): {401, 403, 404, 409},
    ("GET", "/api/me/bookings/"): {401, 403, 404},
    ("GET", "/api/me/fees/"): {401, 403},
    ("GET", "/api/me/sales/"): {400, 401, 403, 404},
    ("GET", "/api/me/bookings/{booking_id}/sales/"): {401, 403, 404},
    ("PUT", "/api/me/bookings/{booking_id}/sales/"): {400, 401, 403, 404, 409},
    ("GET", "/api/markets/{market_id}/market-days/{market_day_id}/bookings/{booking_id}/sales/"): {
        401,
        403,
        404,
    },
    ("PUT", "/api/markets/{market_id}/market-days/{market_day_id}/bookings/{booking_id}/sales/"): {
        400,
        401,
        403,
        404,
        409,
    },
    ("GET", "/api/me/documents/"): {401, 403, 404},
    ("GET", "/api/markets/{market_id}/market-days/{market_day_id}/waitlist/"): {401, 403, 404},
    ("PATCH", "/api/markets/{market_id}/market-days/{market_day_id}/waitlist/{entry_id}/"): {
        400,
        401,
        403,
        404,
    },
    ("GET", "/api/markets/{market_id}/market-days/{market_day_id}/offers/"): {401, 403, 404},
    ("POST", "/api/markets/{market_id}/market-days/{market_day_id}/offers/pause/"): {
        400,
        401,
        403,
        404,
    },
    ("GET", "/api/me/waitlist/"): {401, 403, 404},
    ("POST", "/api/me/waitlist/"): {400, 401, 403, 404, 409},
    ("GET", "/api/me/offers/"): {401, 403, 404},
    ("POST", "/api/me/offers/{offer_id}/accept/"): {401, 403, 404, 409},
    ("POST", "/api/me/offers/{offer_id}/decline/"): {401, 403, 404, 409},
}
PUBLIC_OPERATIONS = {
    ("POST", "/webhooks/stripe/"),
    ("POST", "/api/auth/token/"),
    ("GET", "/api/public/markets/{market_id}/"),
    ("GET", "/api/public/markets/{market_id}/vendors/"),
    ("POST", "/api/public/markets/{market_id}/apply/"),
}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method.upper(), path, operation


# Outside /api/, in the schema all the same: Stripe posts its events here.
WEBHOOK_OPERATIONS = {("POST", "/webhooks/stripe/")}


def api_operations() -> set[tuple[str, str]]:
    return {
        (method, template)
        for template, view in api_routes()
        if template not in DOC_PATHS
        for method in view_methods(view)
    } | WEBHOOK_OPERATIONS


def test_schema_is_openapi_3_and_needs_no_credentials(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Marketflow API"


def test_schema_lists_every_url_and_method_of_the_api(schema):
    documented = {(method, path) for method, path, _ in operations(schema)}

    assert documented == api_operations()
    assert len(documented) == len(KNOWN_ERRORS)


def test_error_component_is_the_one_error_body(schema):
    error = schema["components"]["schemas"]["Error"]

    assert set(error["properties"]) == {"code", "detail", "extra"}
    assert set(error["required"]) == {"code", "detail", "extra"}


def test_every_operation_documents_its_errors_with_the_error_component(schema):
    for method, path, operation in operations(schema):
        responses = operation["responses"]
        errors = {int(status) for status in responses if int(status) >= 400}
        expected = KNOWN_ERRORS[(method, path)] | {503}
        assert expected <= errors, (method, path, sorted(expected - errors))
        for status in errors:
            content = responses[str(status)]["content"]["application/json"]["schema"]
            assert content == {"$ref": ERROR_REF}, (method, path, status)
            assert responses[str(status)]["description"], (method, path, status)


def test_private_operations_require_token_auth_and_public_ones_do_not(schema):
    for method, path, operation in operations(schema):
        security = operation.get("security", [])
        if (method, path) in PUBLIC_OPERATIONS:  # anonymous callers welcome
            assert not security or {} in security, (method, path)
        else:
            assert {"tokenAuth": []} in security, (method, path)


def test_list_operations_answer_a_cursor_page(schema):
    list_operations = {
        ("GET", template)
        for template, view in api_routes()
        if getattr(view, "cursor_ordering", None)
    }
    assert len(list_operations) == 20
    paths = schema["paths"]
    for _, path in list_operations:
        body = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        page = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
        assert set(page["properties"]) == PAGE_KEYS, path
        assert {"cursor", "page_size"} <= {p["name"] for p in paths[path]["get"]["parameters"]}


def test_application_filters_are_documented_with_their_choices(schema):
    parameters = {
        p["name"]: p
        for p in schema["paths"]["/api/markets/{market_id}/applications/"]["get"]["parameters"]
    }

    assert set(parameters["status"]["schema"]["enum"]) == {
        "pending",
        "accepted",
        "rejected",
        "waitlisted",
        "withdrawn",
        "revoked",
    }
    assert "crafts" in parameters["category"]["schema"]["enum"]


class AssetCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.assets: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in {"script", "img"} and attrs.get("src"):
            self.assets.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.assets.append(attrs["href"])


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_are_html_with_assets_from_our_own_static_path(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    collector = AssetCollector()
    collector.feed(html)
    assert collector.assets, "the page loads its UI from somewhere"
    static_prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    assert static_prefix == "/static/"
    for asset in collector.assets:
        assert asset.startswith(static_prefix), asset
        assert finders.find(asset.removeprefix(static_prefix)), f"{asset} is not a static file"
    for cdn in ("//cdn.", "jsdelivr", "unpkg", "cdnjs", "googleapis"):
        assert cdn not in html
    assert "/api/schema/" in html


@pytest.mark.django_db
def test_swagger_ui_does_not_call_the_online_validator(client):
    html = client.get("/api/docs/").content.decode()

    assert '"validatorUrl": null' in html


def test_spectacular_command_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    GENERATOR_STATS.reset()  # count this run's warnings only

    call_command(
        "spectacular", "--fail-on-warn", "--validate", "--file", str(target), stdout=StringIO()
    )

    written = yaml.safe_load(target.read_text())
    assert written["openapi"].startswith("3.")
    assert len(written["paths"]) == len({path for _, path in api_operations()})
