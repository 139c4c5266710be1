"""E-mail as background tasks: ``enqueue_email`` puts one in with a write, ``@email_task``
sends it and retries when the mail server fails.

``enqueue_email`` is the one place a service hands an event's e-mail task over. With the
database queue (production) the task's row is inserted in the caller's transaction, a
transactional outbox: it commits or rolls back with the write, in the write's one commit.
Any other backend (the immediate one of development and tests runs the task at once) is
called once the transaction commits, so a rolled-back write sends nothing there either.

An ``@email_task`` function yields the messages of its event; the task sends them in order.
When the mail server or the provider's API refuses, drops the connection or cannot be
reached (``smtplib.SMTPException``, ``OSError``, anymail's ``AnymailAPIError``), the failure
is logged and the task tried again from the first message not yet sent (a message that went
out is not sent twice), at most ``MARKETFLOW_EMAIL_MAX_ATTEMPTS`` times in all:

- on a backend that can defer (the database queue), as a new task that runs after a growing
  delay (``MARKETFLOW_EMAIL_RETRY_DELAY_SECONDS``, doubled each time), so a mail server that
  is down for a few minutes costs nothing;
- on the immediate backend, at once, in the same run.

After the last attempt the error is logged and raised, so the task ends as failed (in the
database queue, where an operator can see it). Other errors (a missing template, a row that
is gone) are not the mail server's fault and fail at once, as any task does.

This is the one place mail leaves: an address that bounced or complained
(``SuppressedAddress``, recorded by the provider's tracking webhook) is taken off every
message here, and a message left with no recipient is not sent, until an organizer clears
the flag or the vendor's or user's address changes.

A task enqueued while a request is handled carries the request's id (``X-Request-ID``) and
runs under it, so its log lines name the request that caused it (marketflow/telemetry.py).
"""

import datetime
import functools
import logging
import smtplib
from email.utils import parseaddr

from anymail.exceptions import AnymailAPIError
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db import DatabaseBackend

from marketflow.models import normalize_email
from marketflow.selectors import suppressed_emails
from marketflow.telemetry import current_request_id, request_id_var

logger = logging.getLogger(__name__)

#: Failures of the mail server, the provider's API or of the way to them, which may pass.
TRANSIENT_EMAIL_ERRORS = (smtplib.SMTPException, OSError, AnymailAPIError)


def enqueue_email(email_task_instance, **kwargs) -> None:
    """Enqueue an e-mail task as part of the current write: see the module docstring. With
    the database queue a failure to enqueue fails the write; on commit it is logged only."""
    if (request_id := current_request_id()) is not None:
        kwargs["request_id"] = request_id
    if isinstance(email_task_instance.get_backend(), DatabaseBackend):
        email_task_instance.enqueue(**kwargs)
    else:
        transaction.on_commit(functools.partial(email_task_instance.enqueue, **kwargs), robust=True)


def retry_delay(attempt: int) -> datetime.timedelta:
    """How long to wait before ``attempt`` (2, 3, ...): the base delay, doubled each time."""
    base = settings.MARKETFLOW_EMAIL_RETRY_DELAY_SECONDS
    return datetime.timedelta(seconds=base * 2 ** (attempt - 2))


def address_key(address: str) -> str:
    """``Ada <Ada@Example.org>`` → ``ada@example.org``."""
    return normalize_email(parseaddr(address)[1])


def without_suppressed_recipients(messages: list) -> list:
    """``messages`` with every address that bounced or complained taken off (logged); a
    message left without recipients is still in the list, for ``email_sent`` to count."""
    addresses = {address_key(a) for message in messages for a in message.recipients()}
    suppressed = suppressed_emails(emails=addresses)
    if not suppressed:
        return messages
    for message in messages:
        for field in ("to", "cc", "bcc"):
            kept = [a for a in getattr(message, field) if address_key(a) not in suppressed]
            setattr(message, field, kept)
    logger.warning("Not sent to %d address(es) that bounced or complained.", len(suppressed))
    return messages


def email_task(function):
    """Like ``@task()``, for a function that yields the e-mail messages of one event; see the
    module docstring. The task takes three more keyword arguments: ``email_attempt`` (1 for
    the first try), ``email_sent`` (how many of the messages went out before) and
    ``request_id`` (of the request that enqueued it, given by ``enqueue_email``)."""

    @functools.wraps(function)
    def send(*args, request_id: str | None = None, **kwargs):
        token = request_id_var.set(request_id)
        try:
            return send_messages(*args, request_id=request_id, **kwargs)
        finally:
            request_id_var.reset(token)

    def send_messages(
        *args, request_id: str | None, email_attempt: int = 1, email_sent: int = 0, **kwargs
    ):
        messages = list(function(*args, **kwargs))
        max_attempts = settings.MARKETFLOW_EMAIL_MAX_ATTEMPTS
        while True:
            try:
                for message in without_suppressed_recipients(messages[email_sent:]):
                    if message.recipients():
                        message.send()
                    email_sent += 1
                logger.info(
                    "E-mail task %s sent %d message(s)", email_task_instance.name, email_sent
                )
                return {"sent": email_sent}
            except TRANSIENT_EMAIL_ERRORS as error:
                name = email_task_instance.name
                if email_attempt >= max_attempts:
                    logger.exception(
                        "E-mail task %s failed %d times; giving up: %r (%s)",
                        name,
                        email_attempt,
                        error,
                        kwargs,
                    )
                    raise
                email_attempt += 1
                if email_task_instance.get_backend().supports_defer:
                    delay = retry_delay(email_attempt)
                    logger.warning(
                        "E-mail task %s failed: %r; attempt %d of %d in %d s (%s)",
                        name,
                        error,
                        email_attempt,
                        max_attempts,
                        delay.total_seconds(),
                        kwargs,
                    )
                    email_task_instance.using(run_after=timezone.now() + delay).enqueue(
                        *args,
                        email_attempt=email_attempt,
                        email_sent=email_sent,
                        **({"request_id": request_id} if request_id else {}),
                        **kwargs,
                    )
                    return {"sent": email_sent, "next_attempt": email_attempt}
                logger.warning(
                    "E-mail task %s failed: %r; attempt %d of %d now (%s)",
                    name,
                    error,
                    email_attempt,
                    max_attempts,
                    kwargs,
                )

    email_task_instance = task()(send)
    return email_task_instance
