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
    return os.urandom(16).hex()  # as random as a UUID4, several times quicker to make


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (or None) to every record, for the JSON formatter to write."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


# -- Sentry -----------------------------------------------------------------------------------

FILTERED = "[Filtered]"
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# 7 to 15 digits, single spaces, dots, dashes or brackets between, maybe after "+"; not an
# ISO date.
PHONE = re.compile(r"(?<![\w-])(?!\d{4}-\d{2}-\d{2})\+?\(?\d(?:[ ().-]{0,2}\d){6,14}(?![\w-])")
# Values under these keys go whatever they hold (headers, form fields, variables, ...).
SECRET_KEYS = re.compile(
    r"authorization|cookie|password|passwd|secret|token|csrf|session|api.?key|e.?mail|phone",
    re.IGNORECASE,
)
# Fields of the event's own frame, left as they are: a filtered timestamp would break it.
STRUCTURAL_KEYS = frozenset(
    {"event_id", "timestamp", "start_timestamp", "level", "platform", "sdk", "release"}
)


def scrub(value):
    """``value`` with every e-mail address and phone number in its strings filtered, and
    everything under a secret-sounding key."""
    if isinstance(value, str):
        return PHONE.sub(FILTERED, EMAIL.sub(FILTERED, value))
    if isinstance(value, dict):
        return {
            key: FILTERED if SECRET_KEYS.search(str(key)) else scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """Sentry's ``before_send``: no credentials, cookies, user, e-mail address or phone number
    leaves the server (``send_default_pii`` is off as well, which keeps most of them out)."""
    event.pop("user", None)
    return {key: value if key in STRUCTURAL_KEYS else scrub(value) for key, value in event.items()}


def sentry_init(dsn: str) -> None:
    """Errors to Sentry; called from settings when ``SENTRY_DSN`` is set."""
    sentry_sdk.init(
        dsn=dsn,
        send_default_pii=False,
        before_send=scrub_event,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=0.0,
    )
