from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketflow.models import BaseModel, DocumentType, new_id

MAX_PRODUCT_CATEGORIES = 10


class ProductCategory(models.TextChoices):
    PRODUCE = "produce", _("Produce")
    BAKED_GOODS = "baked_goods", _("Baked goods")
    CRAFTS = "crafts", _("Crafts")
    PREPARED_FOOD = "prepared_food", _("Prepared food")
    BEVERAGES = "beverages", _("Beverages")
    OTHER = "other", _("Other")


# A model field replaces a validator's message when the code is one of its own error codes
# ("invalid", "invalid_choice", ...), so these codes are deliberately distinct.
def validate_product_categories(value) -> None:
    """1 to 10 known categories, no duplicates. Shared by the model, API, pages and admin."""
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("Give a list of product categories."), code="categories_not_a_list")
    if not value:
        raise ValidationError(_("Choose at least one product category."), code="categories_empty")
    if len(value) > MAX_PRODUCT_CATEGORIES:
        raise ValidationError(
            _("Choose at most %(max)d product categories."),
            code="categories_too_many",
            params={"max": MAX_PRODUCT_CATEGORIES},
        )
    unknown = [item for item in value if item not in ProductCategory.values]
    if unknown:
        raise ValidationError(
            _("Unknown product category: %(unknown)s. Choose from: %(known)s."),
            code="category_unknown",
            params={
                "unknown": ", ".join(f"“{item}”" for item in unknown),
                "known": ", ".join(ProductCategory.values),
            },
        )
    if len(set(value)) != len(value):
        raise ValidationError(
            _("Each product category may appear only once."), code="category_duplicate"
        )


# An empty list never reaches the validator: the field refuses it as blank first.
PRODUCT_CATEGORIES_ERROR_MESSAGES = {"blank": _("Choose at least one product category.")}


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


def validate_document_file(file) -> str:
    """Refuse empty, oversized (over 10 MB) and disguised files; return the real content type.

    Shared by the upload forms and the document services, so every face applies one rule.
    """
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
    return content_type


def document_upload_to(document: "VendorDocument", filename: str) -> str:
    """A generated name: the uploaded name is kept in ``original_filename`` only."""
    return f"vendor-documents/{new_id().hex}{DOCUMENT_EXTENSIONS.get(document.content_type, '')}"


class VendorDocument(BaseModel):
    """An insurance certificate, permit or photo of a vendor's, reused across markets.

    Files are never served from a public URL: they stream through a view that checks access.
    """

    DocumentType = DocumentType

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="documents")
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
    def is_expired(self) -> bool:
        return self.expires_on is not None and self.expires_on < timezone.now().date()
