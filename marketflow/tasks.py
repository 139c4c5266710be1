"""E-mails about organizer accounts, sent through Django's tasks API (``enqueue_email``)."""

from django.urls import reverse

from marketflow.email_tasks import email_task
from marketflow.emails import absolute_url, templated_email
from marketflow.models import User
from marketflow.tokens import email_verification_token, encode_id


@email_task
def send_organizer_verification(*, user_id: str):
    """The link that confirms a new organizer's e-mail address and activates the account."""
    user = User.objects.get(pk=user_id)
    if user.is_active:  # verified since the sign-up: nothing to send
        return
    token = email_verification_token.make_token(user)
    path = reverse("signup-verify", kwargs={"uidb64": encode_id(user.pk), "token": token})
    yield templated_email(
        template="organizer_verification",
        to=[user.email],
        context={"user": user, "verify_url": absolute_url(path)},
    )


@email_task
def send_sign_up_attempt_notice(*, user_id: str):
    """To the owner of an account: someone tried to sign up with their address."""
    user = User.objects.get(pk=user_id)
    yield templated_email(
        template="sign_up_attempt",
        to=[user.email],
        context={
            "user": user,
            "sign_in_url": absolute_url(reverse("login")),
            "password_reset_url": absolute_url(reverse("password-reset")),
        },
    )


@email_task
def send_plan_past_due(*, user_id: str):
    """The subscription's payment failed: the paid plan lasts through the grace period."""
    user = User.objects.get(pk=user_id)
    yield templated_email(
        template="plan_past_due",
        to=[user.email],
        context={"user": user, "billing_url": absolute_url(reverse("billing-upgrade"))},
    )


@email_task
def send_invoice_payment_failed(*, user_id: str, hosted_invoice_url: str = ""):
    user = User.objects.get(pk=user_id)
    yield templated_email(
        template="invoice_payment_failed",
        to=[user.email],
        context={
            "user": user,
            "invoice_url": hosted_invoice_url,
            "billing_url": absolute_url(reverse("billing-upgrade")),
        },
    )
