"""Request ids in log lines and error reports scrubbed of personal data; kept free of Django
app imports, as settings (Sentry) and logging configuration (the filter) load it before the
apps are ready. The middleware that sets the request id is ``marketflow.observability``.

Sentry: with ``SENTRY_DSN`` set, settings call ``sentry_init``: errors are reported with
``send_default_pii`` off and ``scrub_event`` as ``before_send``, which drops credentials,
cookies and the user, and filters every e-mail address and phone number out of the event.
"""

import contextvars
import logging
import os
import re
import uuid

import sentry_sdk

# -- request ids ------------------------------------------------------------------------------

#: The id of the request (or of the task's originating request) being handled, or None.
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

# What we accept from outside: short, and nothing that could break a log line or a header.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")


def current_request_id() -> str | None:
    return request_id_var.get()


def sane_request_id(value: str | None) -> str:
    """``value`` when it is a sane id, else a new random one."""
    if value and SANE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (or None) to every record, for the JSON formatter to write."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


# -- Sentry -----------------------------------------------------------------------------------

FILTERED = "[Filtered]"
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# A run of 7+ digits, possibly with spaces, dots, dashes or brackets between, maybe after "+".
PHONE = re.compile(r"\+?\d[\d ().-]{5,}\d")
SECRET_HEADERS = frozenset(
    {"authorization", "cookie", "set-cookie", "proxy-authorization", "x-csrftoken"}
)


def scrub_text(value: str) -> str:
    return PHONE.sub(FILTERED, EMAIL.sub(FILTERED, value))


def scrub(value):
    """``value`` with every e-mail address and phone number in its strings filtered."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """Sentry's ``before_send``: no credentials, cookies, users, e-mail addresses or phone
    numbers leave the server (``send_default_pii`` is off as well)."""
    request = event.get("request")
    if isinstance(request, dict):
        headers = request.get("headers") or {}
        request["headers"] = {
            name: FILTERED if name.lower() in SECRET_HEADERS else value
            for name, value in headers.items()
        }
        if "cookies" in request:
            request["cookies"] = FILTERED
    event.pop("user", None)
    return scrub(event)


def sentry_init(dsn: str) -> None:
    """Errors to Sentry; called from settings when ``SENTRY_DSN`` is set."""

    sentry_sdk.init(
        dsn=dsn,
        send_default_pii=False,
        before_send=scrub_event,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=0.0,
    )
