"""``@email_task``: a Django task that sends e-mail, retried when the mail server fails.

Services enqueue e-mail tasks on commit, so a failed send can never undo a decision or a
booking. What this adds is that the send is not lost either: when the mail server refuses,
drops the connection or cannot be reached (``smtplib.SMTPException``, ``OSError``), the failure
is logged and the task tried again, at most ``MARKETFLOW_EMAIL_MAX_ATTEMPTS`` times in all:

- on a backend that can defer (the database queue in production), as a new task that runs
  after a growing delay (``MARKETFLOW_EMAIL_RETRY_DELAY_SECONDS``, doubled each time), so a
  mail server that is down for a few minutes costs nothing;
- on the immediate backend (development, tests), at once, in the same run.

After the last attempt the error is logged and raised, so the task ends as failed (in the
database queue, where an operator can see it). Other errors (a missing template, a row that
is gone) are not the mail server's fault and fail at once, as any task does.
"""

import datetime
import functools
import logging
import smtplib

from django.conf import settings
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

#: Failures of the mail server or of the way to it, which may pass.
TRANSIENT_EMAIL_ERRORS = (smtplib.SMTPException, OSError)


def retry_delay(attempt: int) -> datetime.timedelta:
    """How long to wait before ``attempt`` (2, 3, ...): the base delay, doubled each time."""
    base = settings.MARKETFLOW_EMAIL_RETRY_DELAY_SECONDS
    return datetime.timedelta(seconds=base * 2 ** (attempt - 2))


def email_task(function):
    """Like ``@task()``, for a function that sends e-mail; see the module docstring. The
    task takes one more keyword argument, ``email_attempt`` (1 for the first try)."""

    @functools.wraps(function)
    def send(*args, email_attempt: int = 1, **kwargs):
        max_attempts = settings.MARKETFLOW_EMAIL_MAX_ATTEMPTS
        while True:
            try:
                return function(*args, **kwargs)
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
                        *args, email_attempt=email_attempt, **kwargs
                    )
                    return {"sent": False, "next_attempt": email_attempt}
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
