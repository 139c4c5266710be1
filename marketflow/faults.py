"""What a request gets when something below the app fails.

The database going away (a restart, a failover, a network cut) raises psycopg's
OperationalError or InterfaceError wherever the next query happens: in a view, while
authenticating before it, in a template. The API's exception handler answers those inside DRF;
``server_error`` (``handler500``) answers everything else, so every path gives a 503 with
``Retry-After`` instead of a 500: the API's error body with ``code: "service_unavailable"``, a
friendly page elsewhere. Neither touches the database again. The transaction of the failed
request has rolled back with its connection, and the next request reconnects by itself
(``CONN_HEALTH_CHECKS``), so the app recovers without a restart when the database is back.
"""

import sys

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from marketflow.errors import ServiceUnavailableError, error_body

RETRY_AFTER_SECONDS = 5


def is_database_unavailable(error: BaseException | None) -> bool:
    """A lost or refused database connection, as opposed to a query that is wrong."""
    return isinstance(error, OperationalError | InterfaceError) or (
        isinstance(error, DatabaseError) and "connection" in str(error).lower()
    )


def is_api_request(request: HttpRequest) -> bool:
    """Answered in the API's error body rather than with a page."""
    return request.path.startswith("/api/")


def _csp_nonce(request: HttpRequest) -> str:
    nonce = getattr(request, "csp_nonce", None)
    return str(nonce) if nonce is not None else ""


def service_unavailable(request: HttpRequest) -> HttpResponse:
    error = ServiceUnavailableError()
    if is_api_request(request):
        response: HttpResponse = JsonResponse(error.body(), status=503)
    else:
        # A template of its own, rendered without context processors: the page must not
        # ask the unavailable database who the user is.
        html = loader.get_template("503.html").render({"csp_nonce": _csp_nonce(request)})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: Django calls it while handling the uncaught exception, which
    ``sys.exception()`` returns (Django has logged it already)."""
    if is_database_unavailable(sys.exception()):
        return service_unavailable(request)
    if is_api_request(request):
        detail = "Something went wrong on our side. Please try again later."
        return JsonResponse(error_body("server_error", detail), status=500)
    html = loader.get_template("500.html").render({"csp_nonce": _csp_nonce(request)})
    return HttpResponse(html, status=500)
