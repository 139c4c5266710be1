import datetime

from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketflow.models import BaseModel
from vendors.models import PRODUCT_CATEGORIES_ERROR_MESSAGES, validate_product_categories

# An unconfirmed application (and its files) is deleted this long after it was sent; its
# confirmation link stops working at the same moment.
UNCONFIRMED_LIFETIME = datetime.timedelta(days=7)


class ConfirmedApplicationManager(models.Manager):
    """``Application.objects``: every application but the unconfirmed ones. Organizers,
    vendors, counts, plan limits, bookings and duplicates read through it, so an application
    nobody has confirmed is invisible and counts for nothing everywhere."""

    def get_queryset(self):
        return super().get_queryset().exclude(status=Application.Status.UNCONFIRMED)


class UnconfirmedApplicationManager(models.Manager):
    """``Application.unconfirmed``: for the confirmation link and the purge only."""

    def get_queryset(self):
        return super().get_queryset().filter(status=Application.Status.UNCONFIRMED)


class Application(BaseModel):
    """A vendor's request to sell at a market, and the organizer's decision on it.

    What the vendor submitted (business name, categories, ...) is kept here as it was sent,
    because an application from a known e-mail never rewrites the vendor's stored profile.
    An application from someone not signed in as its vendor is ``unconfirmed``: it has no
    vendor (only the ``email`` it was sent from) until the e-mail's owner confirms it.
    """

    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("Unconfirmed")
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        WAITLISTED = "waitlisted", _("Waitlisted")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REVOKED = "revoked", _("Revoked")

    OPEN_STATUSES = (Status.PENDING, Status.WAITLISTED, Status.ACCEPTED)

    market = models.ForeignKey(
        "marketflow.Market",
        on_delete=models.CASCADE,
        related_name="applications",
        db_index=False,  # led by the (market, status, id) and (market, id) indexes
    )
    vendor = models.ForeignKey(
        "vendors.Vendor",
        null=True,  # until confirmed
        on_delete=models.CASCADE,
        related_name="applications",
        db_index=False,  # led by the (vendor, id) index
    )
    email = models.EmailField(
        max_length=254,
        blank=True,
        help_text=_("The e-mail the application was sent from; confirming it finds the vendor."),
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    message = models.TextField(max_length=2000, blank=True, validators=[MaxLengthValidator(2000)])
    decision_reason = models.TextField(
        max_length=2000, blank=True, validators=[MaxLengthValidator(2000)]
    )
    reviewed_by = models.ForeignKey(
        "marketflow.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviewed_applications",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    documents = models.ManyToManyField(
        "vendors.VendorDocument",
        blank=True,
        related_name="applications",
        help_text=_("The vendor's documents submitted with this application."),
    )

    # The profile as submitted with this application.
    business_name = models.CharField(max_length=200)
    contact_name = models.CharField(max_length=200)
    phone = models.CharField(max_length=30, blank=True)
    product_categories = models.JSONField(
        default=list,
        validators=[validate_product_categories],
        error_messages=PRODUCT_CATEGORIES_ERROR_MESSAGES,
    )
    description = models.TextField(
        max_length=2000, blank=True, validators=[MaxLengthValidator(2000)]
    )

    objects = ConfirmedApplicationManager()
    unconfirmed = UnconfirmedApplicationManager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(vendor__isnull=False) | models.Q(status="unconfirmed"),
                name="application_vendor_once_confirmed",
            ),
            models.UniqueConstraint(
                fields=["vendor", "market"],
                condition=models.Q(status__in=["pending", "waitlisted", "accepted"]),
                name="application_one_open_per_vendor_market",
            ),
        ]
        indexes = [
            models.Index(fields=["market", "status", "id"], name="application_market_status"),
            models.Index(fields=["market", "id"], name="application_market_id"),
            models.Index(fields=["vendor", "id"], name="application_vendor_id"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="unconfirmed"),
                name="application_unconfirmed",
            ),
        ]

    def __str__(self):
        return f"{self.business_name} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


Status = Application.Status

# The review workflow as data: services consult this map and name both states on refusal.
# Undoing a decision is a step of its own: a rejection (or a revocation) is reopened back to
# pending, an acceptance is revoked (which releases the vendor's coming unpaid bookings).
TRANSITIONS: dict[str, set[str]] = {
    Status.UNCONFIRMED: {Status.PENDING},
    Status.PENDING: {Status.ACCEPTED, Status.REJECTED, Status.WAITLISTED, Status.WITHDRAWN},
    Status.WAITLISTED: {Status.ACCEPTED, Status.REJECTED, Status.WITHDRAWN},
    Status.ACCEPTED: {Status.WITHDRAWN, Status.REVOKED},
    Status.REJECTED: {Status.PENDING},
    Status.REVOKED: {Status.PENDING},
    Status.WITHDRAWN: set(),
}
