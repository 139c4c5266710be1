from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from marketflow.models import BaseModel

MAX_PRODUCT_CATEGORIES = 10


class ProductCategory(models.TextChoices):
    PRODUCE = "produce", _("Produce")
    BAKED_GOODS = "baked_goods", _("Baked goods")
    CRAFTS = "crafts", _("Crafts")
    PREPARED_FOOD = "prepared_food", _("Prepared food")
    BEVERAGES = "beverages", _("Beverages")
    OTHER = "other", _("Other")


def validate_product_categories(value) -> None:
    """1 to 10 known categories, no duplicates. Shared by the model, API, pages and admin."""
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("Give a list of product categories."), code="invalid")
    if not value:
        raise ValidationError(_("Choose at least one product category."), code="required")
    if len(value) > MAX_PRODUCT_CATEGORIES:
        raise ValidationError(
            _("Choose at most %(max)d product categories."),
            code="max_length",
            params={"max": MAX_PRODUCT_CATEGORIES},
        )
    unknown = [item for item in value if item not in ProductCategory.values]
    if unknown:
        raise ValidationError(
            _("Unknown product category: %(unknown)s. Choose from: %(known)s."),
            code="invalid_choice",
            params={
                "unknown": ", ".join(f"“{item}”" for item in unknown),
                "known": ", ".join(ProductCategory.values),
            },
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("Each product category may appear only once."), code="duplicate")


class Vendor(BaseModel):
    """A business that sells at markets. The e-mail is its identity and never changes."""

    business_name = models.CharField(max_length=200)
    contact_name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, unique=True)
    phone = models.CharField(max_length=30, blank=True)
    product_categories = models.JSONField(default=list, validators=[validate_product_categories])
    description = models.TextField(max_length=2000, blank=True)
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
