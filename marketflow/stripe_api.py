"""The one door to Stripe: a client made from the settings, and webhook events verified with
the library. Every call to Stripe goes through ``stripe_call`` so that its failures become
``PaymentProviderError`` (a 503 with a stable code), never a 500.

``stripe.api_base`` is the API's address (the test session points it at a stub on loopback).
Without ``STRIPE_SECRET_KEY`` payments are not configured: pages and the admin say so instead
of offering to pay, and a call raises ``PaymentsNotConfiguredError``.
"""

import json
import logging
from collections.abc import Callable
from typing import Any

import stripe
from django.conf import settings

from marketflow.errors import PaymentProviderError, PaymentsNotConfiguredError

logger = logging.getLogger(__name__)

# Stripe's own default for a signed webhook's age: an older signature is a replay.
WEBHOOK_TOLERANCE_SECONDS = 300


def payments_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def stripe_client() -> stripe.StripeClient:
    if not payments_configured():
        raise PaymentsNotConfiguredError()
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": stripe.api_base},
        max_network_retries=2,  # POSTs carry idempotency keys, so a retry never repeats
    )


def stripe_call(call: Callable[[stripe.StripeClient], Any]) -> Any:
    """``call(client)``, Stripe's errors turned into PaymentProviderError."""
    client = stripe_client()
    try:
        return call(client)
    except stripe.StripeError as error:
        logger.warning("Stripe refused or failed: %r", error)
        raise PaymentProviderError(extra={"provider_code": error.code or ""}) from None


class MalformedEventError(ValueError):
    """A correctly signed body that is not a Stripe event."""


def webhook_event(payload: bytes, signature: str) -> dict:
    """The event as plain data, its signature verified by the library against the endpoint
    secrets (the platform's and Connect's), at most five minutes old. Raises
    stripe.SignatureVerificationError or MalformedEventError."""
    secrets = [
        secret
        for secret in (settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_CONNECT_WEBHOOK_SECRET)
        if secret
    ]
    if not secrets:
        raise stripe.SignatureVerificationError("No webhook secret is configured.", signature)
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedEventError("The body is not UTF-8.") from None
    failure = None
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(
                text, signature, secret, WEBHOOK_TOLERANCE_SECONDS
            )
            break
        except stripe.SignatureVerificationError as error:
            failure = error
    else:
        raise failure
    try:
        event = json.loads(text)
    except ValueError:
        raise MalformedEventError("The body is not JSON.") from None
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(event.get("created"), int)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    ):
        raise MalformedEventError("The body is not a Stripe event.")
    return event
