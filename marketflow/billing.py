"""The organizer's plan through Stripe Billing, and their Stripe account for stall fees
(Connect, Express).

Stripe is the source of truth; the user row mirrors it (``plan``, ``plan_status``,
``plan_renews_at``, ``plan_grace_until``), kept in step by webhook events
(marketflow/webhooks.py), each applied under a lock on the user's row. An event older than the
last one applied to the user's subscription changes nothing (Stripe does not promise order).
"""

import datetime
import logging
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from marketflow.email_tasks import enqueue_email
from marketflow.emails import absolute_url
from marketflow.errors import NoBillingAccountError, NotAnOrganizerError, PlanAlreadyPaidError
from marketflow.models import User
from marketflow.selectors import acts_as_organizer
from marketflow.stripe_api import stripe_call
from marketflow.tasks import send_invoice_payment_failed, send_plan_past_due

logger = logging.getLogger(__name__)

PAID_STATUSES = {"active", "trialing"}
GRACE_STATUSES = {"past_due"}
FREE_STATUSES = {"canceled", "unpaid", "incomplete_expired", "paused"}


def _organizer(user: User) -> User:
    if not acts_as_organizer(user):
        raise NotAnOrganizerError()
    return user


def plan_checkout_url(*, user: User) -> str:
    """A Stripe Checkout session (subscription mode, ``STRIPE_PRICE_PAID``) for ``user`` to
    upgrade, named by ``client_reference_id``. Raises NotAnOrganizerError,
    PlanAlreadyPaidError, PaymentsNotConfiguredError, PaymentProviderError."""
    _organizer(user)
    if user.has_paid_plan or user.has_open_subscription:
        raise PlanAlreadyPaidError()
    params = {
        "mode": "subscription",
        "line_items": [{"price": settings.STRIPE_PRICE_PAID, "quantity": 1}],
        "client_reference_id": str(user.pk),
        "success_url": absolute_url(reverse("admin:index")) + "?upgraded=1",
        "cancel_url": absolute_url(reverse("billing-upgrade")),
    }
    if user.stripe_customer_id:
        params["customer"] = user.stripe_customer_id
    else:
        params["customer_email"] = user.email
    session = stripe_call(lambda client: client.v1.checkout.sessions.create(params))
    return session.url


def billing_portal_url(*, user: User) -> str:
    """Stripe's customer portal (cancel, card, invoices). Raises NotAnOrganizerError,
    NoBillingAccountError, PaymentsNotConfiguredError, PaymentProviderError."""
    _organizer(user)
    if not user.stripe_customer_id:
        raise NoBillingAccountError()
    params = {
        "customer": user.stripe_customer_id,
        "return_url": absolute_url(reverse("admin:index")),
    }
    session = stripe_call(lambda client: client.v1.billing_portal.sessions.create(params))
    return session.url


@transaction.atomic
def connect_onboarding_url(*, user: User) -> str:
    """The Express onboarding link of the organizer's own Stripe account, created on first
    use. Locks the user row, so two clicks make one account. Raises NotAnOrganizerError,
    PaymentsNotConfiguredError, PaymentProviderError."""
    _organizer(user)
    organizer = User.objects.select_for_update(no_key=True).get(pk=user.pk)
    if not organizer.stripe_account_id:
        account = stripe_call(
            lambda client: client.v1.accounts.create(
                {
                    "type": "express",
                    "email": organizer.email,
                    "capabilities": {
                        "card_payments": {"requested": True},
                        "transfers": {"requested": True},
                    },
                    "metadata": {"user_id": str(organizer.pk)},
                },
                {"idempotency_key": f"connect-account-{organizer.pk}"},
            )
        )
        organizer.stripe_account_id = account.id
        organizer.save(update_fields=["stripe_account_id", "updated_at"])
    return_url = absolute_url(reverse("admin:index"))
    link = stripe_call(
        lambda client: client.v1.account_links.create(
            {
                "account": organizer.stripe_account_id,
                "type": "account_onboarding",
                "refresh_url": absolute_url(reverse("billing-connect")),
                "return_url": return_url,
            }
        )
    )
    return link.url


# -- webhook events (called by marketflow/webhooks.py inside the event's transaction) ---------


def _lock_user(**lookup) -> User | None:
    return User.objects.select_for_update(no_key=True).filter(**lookup).first()


def _timestamp(seconds) -> datetime.datetime | None:
    if not isinstance(seconds, int):
        return None
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)


def _period_end(subscription: dict) -> datetime.datetime | None:
    """Newer API versions keep the period on the subscription's items."""
    end = subscription.get("current_period_end")
    if end is None:
        items = (subscription.get("items") or {}).get("data") or [{}]
        end = items[0].get("current_period_end")
    return _timestamp(end)


def plan_checkout_completed(*, session: dict, created: datetime.datetime) -> None:
    """``checkout.session.completed`` in subscription mode: link the Stripe customer and
    subscription to the user named by ``client_reference_id``, and apply the subscription
    as Stripe has it now (its own ``created`` event may have arrived before the link)."""
    try:
        user_id = UUID(str(session.get("client_reference_id")))
    except ValueError:
        user_id = None
    user = _lock_user(pk=user_id, is_organizer=True) if user_id else None
    if user is None:
        logger.warning("Stripe checkout for an unknown user: %s", session.get("id"))
        return
    user.stripe_customer_id = str(session.get("customer") or "")
    user.stripe_subscription_id = str(session.get("subscription") or "")
    user.save(update_fields=["stripe_customer_id", "stripe_subscription_id", "updated_at"])
    if user.stripe_subscription_id:
        subscription = stripe_call(
            lambda client: client.v1.subscriptions.retrieve(user.stripe_subscription_id)
        )
        _apply_subscription(user, subscription.to_dict(), created)


def plan_subscription_changed(*, subscription: dict, created: datetime.datetime) -> None:
    """``customer.subscription.created|updated|deleted``: the plan follows the status."""
    user = _lock_user(stripe_customer_id=str(subscription.get("customer") or "x"))
    if user is None:
        logger.warning(
            "Stripe subscription %s of an unknown customer %s",
            subscription.get("id"),
            subscription.get("customer"),
        )
        return
    _apply_subscription(user, subscription, created)


def _apply_subscription(user: User, subscription: dict, created: datetime.datetime) -> None:
    if user.plan_event_at is not None and created < user.plan_event_at:
        logger.info("Stripe event older than the last applied for %s: ignored", user.pk)
        return
    status = str(subscription.get("status") or "")
    was_in_grace = user.plan_grace_until is not None
    if status in PAID_STATUSES:
        user.plan, user.plan_grace_until = User.Plan.PAID, None
    elif status in GRACE_STATUSES:
        user.plan = User.Plan.PAID
        if not was_in_grace:
            days = settings.MARKETFLOW_BILLING_GRACE_DAYS
            user.plan_grace_until = timezone.now() + datetime.timedelta(days=days)
            enqueue_email(send_plan_past_due, user_id=str(user.pk))
    elif status in FREE_STATUSES:
        user.plan, user.plan_grace_until = User.Plan.FREE, None
    # "incomplete": the first payment is under way; the plan stays as it is.
    user.plan_status = status
    user.plan_renews_at = _period_end(subscription)
    user.stripe_subscription_id = str(subscription.get("id") or user.stripe_subscription_id)
    user.plan_event_at = created
    user.save(
        update_fields=[
            "plan",
            "plan_status",
            "plan_renews_at",
            "plan_grace_until",
            "plan_event_at",
            "stripe_subscription_id",
            "updated_at",
        ]
    )


def plan_invoice_payment_failed(*, invoice: dict) -> None:
    """``invoice.payment_failed``: tell the organizer."""
    user = User.objects.filter(stripe_customer_id=str(invoice.get("customer") or "x")).first()
    if user is None:
        logger.warning("Stripe invoice of an unknown customer %s", invoice.get("customer"))
        return
    enqueue_email(
        send_invoice_payment_failed,
        user_id=str(user.pk),
        hosted_invoice_url=str(invoice.get("hosted_invoice_url") or ""),
    )


def connect_account_updated(*, account: dict) -> None:
    """``account.updated``: whether the organizer's account can take charges now."""
    user = _lock_user(stripe_account_id=str(account.get("id") or "x"))
    if user is None:
        logger.warning("Stripe account.updated of an unknown account %s", account.get("id"))
        return
    user.stripe_charges_enabled = bool(account.get("charges_enabled"))
    user.save(update_fields=["stripe_charges_enabled", "updated_at"])
