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
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

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


class StripeWebhookAnswerSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    outcome = serializers.ChoiceField(
        choices=["handled", "duplicate", "ignored"],
        help_text="`duplicate`: this event id was applied before; `ignored`: a type we do not "
        "subscribe to.",
    )


class StripeWebhookView(APIView):
    """Stripe's events; anyone may post, only Stripe's signature makes it count."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    error_statuses = {"POST": (400, 409, 503)}

    @extend_schema(
        operation_id="stripe_webhook",
        tags=["webhooks"],
        request={"application/json": OpenApiTypes.OBJECT},
        responses=StripeWebhookAnswerSerializer,
        description="Stripe's webhook (not for API clients). The body is a Stripe event, "
        "signed in the `Stripe-Signature` header (`t=...,v1=...`, HMAC-SHA256 of `t.body` "
        "with the endpoint secret, at most five minutes old). Each event id is applied once. "
        "400 `signature_invalid`: missing, wrong or stale signature; 400 `invalid`: not a "
        "Stripe event; 503: Stripe or the database failed, deliver again.",
    )
    def post(self, request):
        try:
            event = webhook_event(request.body, request.headers.get("Stripe-Signature", ""))
        except stripe.SignatureVerificationError:
            body = error_body("signature_invalid", "The Stripe-Signature header does not verify.")
            return Response(body, status=400)
        except MalformedEventError as error:
            return Response(error_body("invalid", str(error)), status=400)
        try:
            outcome = stripe_event_apply(event)
        except DomainError as error:
            logger.warning("Stripe event %s not applied: %s", event["id"], error.message)
            return Response(error.body(), status=domain_error_status(error))
        if outcome != "handled":
            logger.info("Stripe event %s (%s): %s", event["id"], event["type"], outcome)
        return Response({"received": True, "outcome": outcome})
