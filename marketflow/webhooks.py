"""``POST /webhooks/stripe/``: Stripe's events, verified with the library, each applied once.

The event's id is inserted (``StripeEvent``) in the transaction that applies it: a second
delivery, even one arriving at the same moment, waits on the unique index for the first to
commit and is then acknowledged without effect; if the first rolled back, the second applies
it. Answers: 200 once handled, ignored or a duplicate; 400 for a missing, wrong or stale
(over five minutes) signature or a body that is not an event, and nothing changes; 503 when
the database or Stripe (a refund) failed, so that Stripe delivers the event again. E-mails
are only enqueued here; the request stays short.

A face, like urls.py: it calls the billing services of the core and the payments of stalls.
"""

import datetime
import logging

import stripe
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from marketflow import billing
from marketflow.errors import DomainError, error_body
from marketflow.exception_handler import domain_error_status
from marketflow.models import StripeEvent
from marketflow.stripe_api import MalformedEventError, webhook_event
from stalls.payments import booking_payment_succeeded

logger = logging.getLogger(__name__)


def _checkout_completed(event: dict, obj: dict, created) -> None:
    if obj.get("mode") == "subscription":
        billing.plan_checkout_completed(session=obj, created=created)
    elif obj.get("mode") == "payment":
        booking_payment_succeeded(payment=obj, account=str(event.get("account") or ""))


def _subscription_changed(event: dict, obj: dict, created) -> None:
    billing.plan_subscription_changed(subscription=obj, created=created)


HANDLERS = {
    "checkout.session.completed": _checkout_completed,
    "customer.subscription.created": _subscription_changed,
    "customer.subscription.updated": _subscription_changed,
    "customer.subscription.deleted": _subscription_changed,
    "invoice.payment_failed": lambda event, obj, created: billing.plan_invoice_payment_failed(
        invoice=obj
    ),
    "account.updated": lambda event, obj, created: billing.connect_account_updated(account=obj),
    "payment_intent.succeeded": lambda event, obj, created: booking_payment_succeeded(
        payment=obj, account=str(event.get("account") or "")
    ),
}

#: The events to subscribe the endpoint to (README, "Deploying").
SUBSCRIBED_EVENTS = sorted(HANDLERS)


def stripe_event_claim(event: dict) -> bool:
    """Insert the event's row; False if another delivery of it has (it waits on the unique
    index while that one's transaction is open)."""
    try:
        with transaction.atomic():  # savepoint: a duplicate leaves the transaction usable
            StripeEvent.objects.create(
                event_id=event["id"], type=event["type"], account=str(event.get("account") or "")
            )
    except IntegrityError:
        return False
    return True


@transaction.atomic
def stripe_event_apply(event: dict) -> str:
    """Apply a verified event once: "handled", "duplicate" or "ignored" (a type we do not
    subscribe to). Raises PaymentProviderError (all rolled back)."""
    handler = HANDLERS.get(event["type"])
    if handler is None:
        return "ignored"
    if not stripe_event_claim(event):
        return "duplicate"
    created = datetime.datetime.fromtimestamp(event["created"], tz=datetime.UTC)
    handler(event, event["data"]["object"], created)
    return "handled"


@csrf_exempt
@require_POST
def stripe_webhook(request):
    try:
        event = webhook_event(request.body, request.headers.get("Stripe-Signature", ""))
    except stripe.SignatureVerificationError:
        return JsonResponse(
            error_body("signature_invalid", "The Stripe-Signature header does not verify."),
            status=400,
        )
    except MalformedEventError as error:
        return JsonResponse(error_body("invalid", str(error)), status=400)
    try:
        outcome = stripe_event_apply(event)
    except DomainError as error:
        logger.warning("Stripe event %s not applied: %s", event["id"], error.message)
        return JsonResponse(error.body(), status=domain_error_status(error))
    if outcome != "handled":
        logger.info("Stripe event %s (%s): %s", event["id"], event["type"], outcome)
    return JsonResponse({"received": True, "outcome": outcome})
