"""Our CSPMiddleware (marketflow/middleware.py) writes the headers django-csp's writes.

It only caches the policy of responses without a nonce or a per-view policy; every other
path is django-csp's. Each case runs the same request and response through both.
"""

import pytest
from csp.constants import NONCE, SELF
from csp.decorators import csp_exempt, csp_replace, csp_update
from csp.middleware import CSPMiddleware as UpstreamCSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from marketflow.middleware import CSPMiddleware


def plain(request):
    return HttpResponse("{}", content_type="application/json")


def with_nonce(request):
    return HttpResponse(f"<style nonce='{request.csp_nonce}'></style>")


@csp_replace({"style-src": [SELF, "'unsafe-inline'"]})
def replaced(request):
    return HttpResponse("docs")


@csp_update({"img-src": ["data:"]})
def updated(request):
    return HttpResponse("img")


@csp_exempt()
def exempt(request):
    return HttpResponse("none")


def not_found(request):
    return HttpResponse("missing", status=404)


def headers(middleware_class, view, path="/"):
    request = RequestFactory().get(path)
    middleware = middleware_class(view)
    middleware.process_request(request)
    response = middleware.process_response(request, view(request))
    return {name: value for name, value in response.items() if name.startswith("Content-Security")}


REPORT_ONLY = {"DIRECTIVES": {"default-src": [SELF], "style-src": [SELF, NONCE]}}


@pytest.mark.parametrize("view", [plain, with_nonce, replaced, updated, exempt, not_found])
@pytest.mark.parametrize("report_only", [None, REPORT_ONLY])
def test_same_headers_as_django_csp(view, report_only):
    with override_settings(CONTENT_SECURITY_POLICY_REPORT_ONLY=report_only):
        ours = headers(CSPMiddleware, view)
        theirs = headers(UpstreamCSPMiddleware, view)
    if view is with_nonce:  # a fresh nonce each time: compare with it taken out
        ours = {name: value.split("'nonce-")[0] for name, value in ours.items()}
        theirs = {name: value.split("'nonce-")[0] for name, value in theirs.items()}
    assert ours == theirs
    if view is not exempt:
        assert ours, "a policy is written"


def test_a_changed_setting_is_a_changed_header():
    before = headers(CSPMiddleware, plain)["Content-Security-Policy"]
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        during = headers(CSPMiddleware, plain)["Content-Security-Policy"]
    assert during == "default-src 'none'"
    assert headers(CSPMiddleware, plain)["Content-Security-Policy"] == before != during


def test_excluded_prefixes_are_left_alone():
    policy = {"DIRECTIVES": {"default-src": [SELF]}, "EXCLUDE_URL_PREFIXES": ["/skip/"]}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        assert headers(CSPMiddleware, plain, "/skip/x") == {}
        assert headers(CSPMiddleware, plain, "/kept/") != {}
