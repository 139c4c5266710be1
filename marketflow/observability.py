"""What operators see of a running Marketflow: request ids in every log line (JSON lines) and
the ``X-Request-ID`` header, Prometheus metrics at ``/metrics``. The log filter and Sentry's
scrubber are in ``marketflow/telemetry.py``, the health probes in ``marketflow/health.py``.

Request ids. ``request_context`` (the outermost middleware) takes a sane incoming
``X-Request-ID`` (from the load balancer) or makes one, answers it in the response's
``X-Request-ID`` and keeps it in a context variable for the request's duration, where
``telemetry.RequestIdFilter`` adds it to every log record. ``enqueue_email`` hands it to the
task, which runs under it (marketflow/email_tasks.py), so the worker's log lines of an e-mail
carry the id of the request that caused it.

Metrics. The same middleware times each request into one histogram, labelled by method and
status. With several worker processes (gunicorn), set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty directory (prometheus-client's multiprocess mode): every process writes its samples
there and ``/metrics`` adds them up. ``/metrics`` answers only the client addresses in
``MARKETFLOW_METRICS_ALLOWED_IPS`` (addresses or networks), found as every client address is
(``marketflow.security.client_ip``, behind ``MARKETFLOW_TRUSTED_PROXY_COUNT`` proxies); 404
to the rest, and to all when the list is empty.
"""

import ipaddress
import os
import time

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)

from marketflow.security import client_ip
from marketflow.telemetry import request_id_var, sane_request_id

# -- metrics ----------------------------------------------------------------------------------

REQUEST_DURATION = Histogram(
    "marketflow_http_request_duration_seconds",
    "Time from the request reaching Django to its response, by method and status.",
    ["method", "status"],
)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# (method, status) -> its histogram: ``labels()`` takes a lock and formats the labels on
# every call, a dictionary lookup does not.
request_durations: dict = {}


def request_context(get_response):
    """Middleware, outermost: the request id (see the module docstring) and the request's
    duration. No database, no cache: a regular expression match or 16 random bytes, a
    context variable, a header, one histogram sample."""

    def middleware(request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = sane_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        # Not reset on the way out: Django logs an error response after the middleware
        # returns it. The thread's next request sets its own (ASGI: one context each).
        request_id_var.set(request_id)
        response = get_response(request)
        response["X-Request-ID"] = request_id
        key = (request.method if request.method in KNOWN_METHODS else "other", response.status_code)
        sample = request_durations.get(key) or request_durations.setdefault(
            key, REQUEST_DURATION.labels(*key)
        )
        sample.observe(time.perf_counter() - started)
        return response

    return middleware


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' text format, to the allowed addresses only (404 to the others)."""
    address = client_ip(request)
    try:
        client = ipaddress.ip_address(address or "")
    except ValueError:
        raise Http404 from None
    if not any(client in network for network in settings.MARKETFLOW_METRICS_ALLOWED_NETWORKS):
        raise Http404
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
