"""Shared assertions of the HTTP contract: one error body shape, one list page shape."""

import re

from django.urls import URLPattern, URLResolver

from marketflow.urls import api_patterns

ERROR_KEYS = {"code", "detail", "extra"}
PAGE_KEYS = {"next", "previous", "results"}


def assert_error(response, status: int, code: str) -> dict:
    """The response is ``status`` with the one error body shape and the given ``code``."""
    assert response.status_code == status, (response.status_code, response.content)
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"], body
    assert isinstance(body["extra"], dict), body
    return body


def assert_page(response) -> list[dict]:
    """A 200 list response ``{"next", "previous", "results"}``; returns the results."""
    assert response.status_code == 200, (response.status_code, response.content)
    body = response.json()
    assert set(body) == PAGE_KEYS, body
    assert isinstance(body["results"], list)
    return body["results"]


def ids(rows: list[dict]) -> list[str]:
    return [row["id"] for row in rows]


def api_routes(patterns=None, prefix: str = "/api/"):
    """Every (path template, view class) of ``marketflow.urls.api_patterns``, as
    ``/api/markets/{market_id}/stalls/`` style OpenAPI templates."""
    for pattern in api_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        if isinstance(pattern, URLResolver):
            yield from api_routes(pattern.url_patterns, template)
        elif isinstance(pattern, URLPattern):
            yield template, pattern.callback.view_class


def view_methods(view_class) -> list[str]:
    """The HTTP methods a view implements, other than OPTIONS and HEAD."""
    return [
        method.upper()
        for method in view_class.http_method_names
        if method not in {"options", "head", "trace"} and hasattr(view_class, method)
    ]
