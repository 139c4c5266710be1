"""E-mails from templates, with a plain-text and an HTML version. Built in tasks only, which
return them to ``@email_task`` to send (marketflow/email_tasks.py).

``templates/emails/<name>_subject.txt``, ``<name>.txt`` and ``<name>.html`` make one message.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def absolute_url(path: str) -> str:
    """A link for an e-mail: tasks run without a request, so the base comes from settings."""
    return f"{settings.MARKETFLOW_BASE_URL}{path}"


def templated_email(*, template: str, to: list[str], context: dict) -> EmailMultiAlternatives:
    context = {"base_url": settings.MARKETFLOW_BASE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    return message
