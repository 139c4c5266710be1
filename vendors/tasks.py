"""E-mails about vendor accounts and documents, sent as tasks (``enqueue_email``)."""

from django.urls import reverse

from marketflow.email_tasks import email_task
from marketflow.emails import absolute_url, templated_email
from marketflow.tokens import encode_id
from vendors.models import DocumentReminder, DocumentReview, Vendor
from vendors.tokens import vendor_activation_token


def vendor_activation_url(vendor: Vendor) -> str:
    token = vendor_activation_token.make_token(vendor)
    path = reverse("vendor-activate", kwargs={"uidb64": encode_id(vendor.pk), "token": token})
    return absolute_url(path)


@email_task
def send_vendor_activation(*, vendor_id: str):
    """A fresh one-time link to set a password, for a vendor who has no account yet."""
    vendor = Vendor.objects.get(pk=vendor_id)
    if vendor.user_id is not None:  # activated since the request: nothing to send
        return
    yield templated_email(
        template="vendor_activation",
        to=[vendor.email],
        context={"vendor": vendor, "activation_url": vendor_activation_url(vendor)},
    )


@email_task
def send_document_reminder(*, reminder_id: str, market_names: list[str]):
    """A required document expires in 30 or 7 days, or has lapsed: tell its vendor."""
    reminder = DocumentReminder.objects.select_related("document__vendor").get(pk=reminder_id)
    document = reminder.document
    yield templated_email(
        template="document_reminder",
        to=[document.vendor.email],
        context={
            "vendor": document.vendor,
            "document": document,
            "expires_on": reminder.expires_on,
            "lapsed": reminder.threshold == DocumentReminder.Threshold.LAPSED,
            "market_names": ", ".join(market_names),
            "portal_url": absolute_url(reverse("vendor-portal")),
        },
    )


@email_task
def send_document_refused(*, review_id: str):
    """An organizer refused a vendor's document for their market: tell the vendor why, and
    where to send a new one. Nothing is sent if it was approved since."""
    review = (
        DocumentReview.objects.select_related("document__vendor", "market")
        .filter(pk=review_id, status=DocumentReview.Status.REFUSED)
        .first()
    )
    if review is None:
        return
    document = review.document
    yield templated_email(
        template="document_refused",
        to=[document.vendor.email],
        context={
            "vendor": document.vendor,
            "document": document,
            "market": review.market,
            "reason": review.reason,
            "portal_url": absolute_url(reverse("vendor-portal")),
        },
    )
