"""The e-mail provider's tracking webhook: bounces and complaints flag the address.

The provider is the one ``EMAIL_BACKEND`` sends through (``anymail.backends.<provider>``);
its webhook is django-anymail's tracking view at ``/anymail/<provider>/tracking/``, the path
anymail documents, and every other provider's path is a 404. The view checks the request is
the provider's (Resend: the Svix signature made with ``ANYMAIL_RESEND_SIGNING_SECRET``;
Mailgun: its signing key; Postmark and Amazon SES: HTTP basic auth with
``ANYMAIL_WEBHOOK_SECRET``) and answers 400 to anything else, before any of our code runs.
Without that secret configured the path is a 404: an unsigned webhook would let anybody
silence any address.

Anymail's ``tracking`` signal then brings each event here: a bounce or a complaint records
the address (``email_suppress``); ``marketflow.email_tasks`` sends nothing more to it.
"""

from anymail.signals import AnymailTrackingEvent, EventType, tracking
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from anymail.webhooks.resend import ResendTrackingWebhookView
from django.conf import settings
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from marketflow.models import SuppressedAddress
from marketflow.services import email_suppress

# Provider → its tracking view, and the ANYMAIL settings of which one must be set so that
# the view authenticates the request (WEBHOOK_SECRET, basic auth, serves every provider).
TRACKING_WEBHOOKS = {
    "resend": (ResendTrackingWebhookView.as_view(), ("RESEND_SIGNING_SECRET",)),
    "mailgun": (
        MailgunTrackingWebhookView.as_view(),
        ("MAILGUN_WEBHOOK_SIGNING_KEY", "MAILGUN_API_KEY"),
    ),
    "postmark": (PostmarkTrackingWebhookView.as_view(), ()),
    "amazon_ses": (AmazonSESTrackingWebhookView.as_view(), ()),
}

SUPPRESSING_EVENTS = {
    EventType.BOUNCED: SuppressedAddress.Kind.BOUNCED,
    EventType.COMPLAINED: SuppressedAddress.Kind.COMPLAINED,
}


def email_provider() -> str | None:
    """``resend`` for ``anymail.backends.resend.EmailBackend``; None for SMTP, console, ..."""
    parts = settings.EMAIL_BACKEND.split(".")
    if len(parts) == 4 and parts[:2] == ["anymail", "backends"]:
        return parts[2]
    return None


@csrf_exempt  # the provider signs its requests; it has no CSRF token
def tracking_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    if provider != email_provider() or provider not in TRACKING_WEBHOOKS:
        raise Http404
    view, signing_settings = TRACKING_WEBHOOKS[provider]
    configured = getattr(settings, "ANYMAIL", {})
    if not any(configured.get(name) for name in ("WEBHOOK_SECRET", *signing_settings)):
        raise Http404
    return view(request)


@receiver(tracking)
def record_bounce(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    """Anymail's tracking signal: a bounce or a complaint suppresses its recipient."""
    kind = SUPPRESSING_EVENTS.get(event.event_type)
    if kind is None or not event.recipient:
        return
    email_suppress(
        email=event.recipient,
        kind=kind,
        reason=event.description or event.reject_reason or "",
        provider_event_id=event.event_id or "",
    )
