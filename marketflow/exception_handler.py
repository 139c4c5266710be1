"""The API's exception handler (``REST_FRAMEWORK["EXCEPTION_HANDLER"]``): the one translation
from errors to HTTP, every answer in ``errors.error_body``'s shape. ``not_found`` answers the
same shape for an ``/api/`` URL that matches no route (``handler404``; with DEBUG on,
``api_not_found_in_debug``), ``bad_request`` for a request Django refuses before any view
(``handler400``)."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from marketflow import errors
from marketflow.errors import error_body
from marketflow.faults import is_api_request, is_database_unavailable
from marketflow.validation import validation_error_fields

logger = logging.getLogger(__name__)

DOMAIN_STATUS: list[tuple[type[errors.DomainError], int]] = [
    (errors.ValidationFailedError, status.HTTP_400_BAD_REQUEST),
    (errors.NotFoundError, status.HTTP_404_NOT_FOUND),
    (errors.PermissionDeniedError, status.HTTP_403_FORBIDDEN),
    (errors.ConflictError, status.HTTP_409_CONFLICT),
    (errors.PlanLimitReachedError, status.HTTP_402_PAYMENT_REQUIRED),
    (errors.QuotaExceededError, status.HTTP_429_TOO_MANY_REQUESTS),
    (errors.ServiceUnavailableError, status.HTTP_503_SERVICE_UNAVAILABLE),
]


def domain_error_status(error: errors.DomainError) -> int:
    for family, http_status in DOMAIN_STATUS:
        if isinstance(error, family):
            return http_status
    return status.HTTP_400_BAD_REQUEST


def not_found(request, exception=None):
    """``handler404``: a URL under ``/api/`` that matches no route (an id that is not a UUID,
    say) answers in the API's error shape; any other path gets the 404 page."""
    if is_api_request(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return page_not_found(request, exception)


def api_not_found_in_debug(get_response):
    """Middleware: with DEBUG on, Django answers a URL that matches no route with its
    technical 404 page instead of ``handler404``; under ``/api/`` that is ``not_found``'s
    JSON body all the same, as clients (and ``make run`` users) get it in production."""

    def middleware(request):
        response = get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and request.resolver_match is None  # no route: a view's own 404 stays as it is
            and is_api_request(request)
        ):
            return not_found(request)
        return response

    return middleware


def bad_request(request, exception=None):
    """``handler400``: a request refused before any view (a NUL character in its address, an
    admin lookup Django does not allow). The API gets its error body, other paths the 400
    page, rendered with the request so that its style carries the CSP nonce."""
    if is_api_request(request):
        return JsonResponse(error_body("invalid", "The request is not valid."), status=400)
    return render(request, "400.html", status=400)


def _flatten(detail) -> dict | list:
    """DRF's nested ErrorDetail structure as plain strings."""
    if isinstance(detail, dict):
        return {str(key): _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, errors.DomainError):
        set_rollback()
        return Response(exc.body(), status=domain_error_status(exc))

    if isinstance(exc, DjangoValidationError):
        exc = errors.ValidationFailedError(fields=validation_error_fields(exc))
        set_rollback()
        return Response(exc.body(), status=400)

    if is_database_unavailable(exc):
        logger.error("Database unavailable: %s", exc)
        error = errors.ServiceUnavailableError()
        response = Response(error.body(), status=503)
        response["Retry-After"] = "5"
        return response

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, exceptions.ParseError):  # a body that is not JSON is invalid input
        exc = exceptions.ValidationError({"non_field_errors": [exc.detail]})
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: let Django log it and answer 500

    set_rollback()
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        if not isinstance(fields, dict):
            fields = {"non_field_errors": fields}
        body = error_body("invalid", "The submitted data is not valid.", {"fields": fields})
    else:
        code = exc.get_codes()
        code = code if isinstance(code, str) else exc.default_code
        body = error_body(
            code,
            str(exc.detail) if not isinstance(exc.detail, list | dict) else str(exc.default_detail),
        )
    return Response(body, status=exc.status_code, headers=headers)
