"""E-mails about applications, one task per event, sent through Django's tasks API.

Services enqueue these with ``enqueue_email``, passing ids: a rolled-back decision sends
nothing, and a failed send never undoes a decision: it is logged and retried
(``@email_task``, marketflow/email_tasks.py).
"""

from django.urls import reverse

from applications.models import UNCONFIRMED_LIFETIME, Application
from applications.tokens import confirmation_token
from marketflow.email_tasks import email_task
from marketflow.emails import absolute_url, templated_email
from marketflow.models import category_labels
from vendors.tasks import vendor_activation_url

DECISION_TEMPLATES = {
    Application.Status.ACCEPTED: "application_accepted",
    Application.Status.REJECTED: "application_rejected",
    Application.Status.WAITLISTED: "application_waitlisted",
    Application.Status.PENDING: "application_reopened",  # a rejection undone
    Application.Status.REVOKED: "application_revoked",
}


def _application(application_id: str) -> Application:
    return Application.objects.select_related("market", "market__organizer", "vendor").get(
        pk=application_id
    )


@email_task
def send_application_confirmation(*, application_id: str):
    """To the e-mail an application was sent from (by anyone): the one-time link that
    confirms it. Nothing the applicant typed is in it: the address's owner may not be them."""
    application = Application.unconfirmed.select_related("market").filter(pk=application_id)
    application = application.first()
    if application is None:  # confirmed or purged since: nothing to send
        return
    path = reverse("application-confirm", kwargs={"token": confirmation_token(application.pk)})
    yield templated_email(
        template="application_confirm",
        to=[application.email],
        context={
            "market": application.market,
            "confirm_url": absolute_url(path),
            "deleted_on": (application.created_at + UNCONFIRMED_LIFETIME).date(),
        },
    )


@email_task
def send_application_submitted(*, application_id: str):
    """To the vendor: we have your application, and what happens next. To the organizer: a
    new application is waiting for review."""
    application = _application(application_id)
    market = application.market
    yield templated_email(
        template="application_received",
        to=[application.vendor.email],
        context={
            "application": application,
            "market": market,
            "market_url": absolute_url(reverse("market-page", kwargs={"slug": market.slug})),
        },
    )
    yield templated_email(
        template="new_application",
        to=[market.organizer.email],
        context={
            "application": application,
            "categories": category_labels(application.product_categories),
            "market": market,
            "documents": list(application.documents.all()),
            "review_url": absolute_url(
                reverse("admin:applications_application_change", args=[application.pk])
            ),
        },
    )


@email_task
def send_application_decision(*, application_id: str, status: str, released: list[str] = ()):
    """To the vendor: accepted (with a one-time link to set a password if they have no
    account yet), rejected with the reason, waitlisted, reopened (pending again) or revoked
    (with the bookings that ``released``, described). ``status`` is the decision made,
    whatever has happened to the application since."""
    application = _application(application_id)
    vendor = application.vendor
    accepted = status == Application.Status.ACCEPTED
    yield templated_email(
        template=DECISION_TEMPLATES[status],
        to=[vendor.email],
        context={
            "application": application,
            "market": application.market,
            "vendor": vendor,
            "activation_url": vendor_activation_url(vendor)
            if accepted and vendor.user_id is None
            else None,
            "portal_url": absolute_url(reverse("vendor-portal")),
            "released": released,
        },
    )


@email_task
def send_vendor_withdrew(*, application_id: str, released: list[str]):
    """To the market's organizer: a vendor withdrew their application, and the bookings
    that released, described."""
    application = _application(application_id)
    market = application.market
    yield templated_email(
        template="vendor_withdrew",
        to=[market.organizer.email],
        context={
            "application": application,
            "market": market,
            "released": released,
            "application_url": absolute_url(
                reverse("admin:applications_application_change", args=[application.pk])
            ),
        },
    )
