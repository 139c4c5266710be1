import secrets
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketflow.models import (  # the category catalogue lives in the core; re-exported here
    MAX_PRODUCT_CATEGORIES,  # noqa: F401
    BaseModel,
    DocumentType,
    ProductCategory,  # noqa: F401
    category_label_list,
    validate_product_categories,
)

# An empty list never reaches the validator: the field refuses it as blank first.
PRODUCT_CATEGORIES_ERROR_MESSAGES = {"blank": _("Choose at least one product category.")}


PUBLIC_DESCRIPTION_MAX_LENGTH = 500
PHOTO_KEY_PREFIX = "vendor-photos/"


def photo_upload_to(vendor: "Vendor", filename: str) -> str:
    """A random object key: a new photo gets a new URL, so it can be cached for long."""
    return f"{PHOTO_KEY_PREFIX}{secrets.token_hex(16)}.jpg"


class Vendor(BaseModel):
    """A business that sells at markets. The e-mail is its identity and never changes."""

    business_name = models.CharField(max_length=200)
    contact_name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, unique=True)
    phone = models.CharField(max_length=30, blank=True)
    product_categories = models.JSONField(
        default=list,
        validators=[validate_product_categories],
        error_messages=PRODUCT_CATEGORIES_ERROR_MESSAGES,
    )
    description = models.TextField(
        max_length=2000, blank=True, validators=[MaxLengthValidator(2000)]
    )
    user = models.OneToOneField(
        "marketflow.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="vendor",
    )
    # The public directory: one profile-wide choice, off until the vendor opts in. A listed
    # vendor appears on the page of every market that has accepted them, and only there.
    directory_listed = models.BooleanField(default=False)
    public_description = models.CharField(max_length=PUBLIC_DESCRIPTION_MAX_LENGTH, blank=True)
    # A re-encoded JPEG (vendors/photos.py), never the uploaded bytes; public by choice.
    photo = models.FileField(upload_to=photo_upload_to, max_length=200, blank=True)

    class Meta:
        ordering = ["business_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="vendor_email_lowercase"
            ),
        ]
        indexes = [models.Index(fields=["business_name"], name="vendor_business_name")]

    def __str__(self):
        return self.business_name

    @property
    def category_list(self) -> list[str]:
        """The product categories as people read them (labels, not codes)."""
        return category_label_list(self.product_categories)

    @property
    def photo_path(self) -> str | None:
        """Where the public photo is served (``applications.pages.directory_photo``)."""
        if not self.photo:
            return None
        return reverse("directory-photo", kwargs={"name": self.photo.name[len(PHOTO_KEY_PREFIX) :]})


# Uploaded documents are judged by their first bytes, never by the name or declared type.
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_SIGNATURES: tuple[tuple[str, str, Callable[[bytes], bool]], ...] = (
    ("application/pdf", ".pdf", lambda head: head.startswith(b"%PDF-")),
    ("image/jpeg", ".jpg", lambda head: head.startswith(b"\xff\xd8\xff")),
    ("image/png", ".png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    ("image/webp", ".webp", lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
)
DOCUMENT_EXTENSIONS = {content_type: ext for content_type, ext, _match in DOCUMENT_SIGNATURES}


def document_content_type(file) -> str | None:
    """The content type that ``file``'s first bytes show (PDF, JPEG, PNG, WebP), else None."""
    position = file.tell() if hasattr(file, "tell") else None
    file.seek(0)
    head = file.read(16)
    file.seek(position or 0)
    for content_type, _ext, matches in DOCUMENT_SIGNATURES:
        if matches(head):
            return content_type
    return None


def _contains(file, marker: bytes) -> bool:
    """Whether ``marker`` occurs in ``file``, read chunk by chunk (a large upload is on disk)."""
    overlap = b""
    try:
        for chunk in file.chunks():
            if marker in overlap + chunk:
                return True
            overlap = (overlap + chunk)[-(len(marker) - 1) :]
        return False
    finally:
        file.seek(0)


# A file whose first bytes are right can still be cut short: each format's end must be there.
# (Structural checks, not a decoder: a PDF's end-of-file marker, a PNG's header and end
# chunks, a JPEG's end-of-image marker, the size a WebP's RIFF header announces.)
DOCUMENT_COMPLETE: dict[str, Callable[[Any, bytes], bool]] = {
    "application/pdf": lambda file, head: _contains(file, b"%%EOF"),
    "image/png": lambda file, head: (
        head[12:16] == b"IHDR" and _contains(file, b"\x00\x00\x00\x00IEND\xaeB`\x82")
    ),
    "image/jpeg": lambda file, head: _contains(file, b"\xff\xd9"),
    "image/webp": lambda file, head: int.from_bytes(head[4:8], "little") + 8 == file.size,
}
# Django's upload parser shortens a longer name to 255 characters (keeping the extension)
# before any form sees it, so the limit sits below that to catch the shortened ones too.
DOCUMENT_NAME_MAX_LENGTH = 200


def validate_document_name(name: str) -> None:
    """A plain file name: no path, no control characters, at most 200 characters. (Django's
    upload parser already strips paths and control characters from what browsers send; this
    holds the rule for every other caller of the services.)"""
    if len(name) > DOCUMENT_NAME_MAX_LENGTH:
        raise ValidationError(
            _("The file name is longer than %(max)d characters."),
            code="document_name_too_long",
            params={"max": DOCUMENT_NAME_MAX_LENGTH},
        )
    if "/" in name or "\\" in name or not name.isprintable():
        raise ValidationError(
            _("The file name may not contain a path or control characters."),
            code="document_name_invalid",
        )


def validate_document_file(file) -> str:
    """Refuse empty, oversized (over 10 MB), disguised and truncated files and unsafe names;
    return the real content type.

    Shared by the upload forms and the document services, so every face applies one rule.
    """
    validate_document_name(file.name or "")
    if not file.size:
        raise ValidationError(_("The file is empty."), code="document_empty")
    if file.size > DOCUMENT_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(max)d MB."),
            code="document_too_large",
            params={"max": DOCUMENT_MAX_BYTES // (1024 * 1024)},
        )
    content_type = document_content_type(file)
    if content_type is None:
        raise ValidationError(
            _("Upload a PDF, JPEG, PNG or WebP file."), code="document_type_not_allowed"
        )
    file.seek(0)
    if not DOCUMENT_COMPLETE[content_type](file, file.read(16)):
        raise ValidationError(
            _("The file is damaged or incomplete. Upload it again."), code="document_incomplete"
        )
    return content_type


DOCUMENT_KEY_PREFIX = "vendor-documents/"


def document_upload_to(document: "VendorDocument", filename: str) -> str:
    """A random name (an object key in a bucket) that tells nothing about the vendor nor when
    it was uploaded: the uploaded name is kept in ``original_filename`` only."""
    extension = DOCUMENT_EXTENSIONS.get(document.content_type, "")
    return f"{DOCUMENT_KEY_PREFIX}{secrets.token_hex(16)}{extension}"


class VendorDocument(BaseModel):
    """An insurance certificate, permit or photo of a vendor's, reused across markets.

    Files are never served from a public URL: they stream through a view that checks access.
    """

    DocumentType = DocumentType

    # None while the document belongs to an unconfirmed application only.
    vendor = models.ForeignKey(
        Vendor, null=True, on_delete=models.CASCADE, related_name="documents"
    )
    document_type = models.CharField(max_length=20, choices=DocumentType.choices)
    file = models.FileField(upload_to=document_upload_to, max_length=200)
    original_filename = models.CharField(max_length=255)
    size = models.PositiveIntegerField(help_text=_("In bytes."))
    content_type = models.CharField(max_length=100)
    expires_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"{self.get_document_type_display()}: {self.original_filename}"

    @property
    def download_name(self) -> str:
        """The uploaded name with the extension of the type the content was judged to be: a
        PDF uploaded as ``x.html`` downloads as ``x.pdf``."""
        name = self.original_filename
        stem = name.rpartition(".")[0] if "." in name else name
        return (stem or "document") + DOCUMENT_EXTENSIONS.get(self.content_type, "")

    @property
    def is_expired(self) -> bool:
        return self.expires_on is not None and self.expires_on < timezone.now().date()


class DocumentReview(BaseModel):
    """An organizer's verdict on a vendor's document, for one market. A vendor's document is
    shared by every market they apply to, and each market's organizer judges it for their own
    market only: one review per (market, document), so organizers of different markets never
    approve (or refuse) for each other. A replaced document is a new document: unreviewed."""

    class Status(models.TextChoices):
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    market = models.ForeignKey(
        "marketflow.Market", on_delete=models.CASCADE, related_name="document_reviews"
    )
    document = models.ForeignKey(
        VendorDocument, on_delete=models.CASCADE, related_name="reviews", db_index=True
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=500, blank=True, help_text=_("Why it was refused."))
    reviewed_by = models.ForeignKey(
        "marketflow.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["market", "document"], name="document_review_unique"),
            models.CheckConstraint(
                condition=models.Q(status="approved") | ~models.Q(reason=""),
                name="document_review_refusal_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.document}: {self.get_status_display()}"


class DocumentReminder(BaseModel):
    """A reminder e-mailed to a vendor about a required document that expires: sent once per
    document, threshold and expiry date (a new date on the document earns new reminders). The
    unique constraint is what makes ``send_reminders`` safe to run twice at once."""

    class Threshold(models.TextChoices):
        DAYS_30 = "30_days", _("30 days before it expires")
        DAYS_7 = "7_days", _("7 days before it expires")
        LAPSED = "lapsed", _("The day it lapsed")

    document = models.ForeignKey(
        VendorDocument, on_delete=models.CASCADE, related_name="reminders", db_index=False
    )
    threshold = models.CharField(max_length=10, choices=Threshold.choices)
    expires_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["document", "threshold", "expires_on"], name="document_reminder_once"
            ),
        ]

    def __str__(self):
        return f"{self.document}: {self.get_threshold_display()}"
