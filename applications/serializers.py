from django import forms
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from applications.models import Application
from marketflow.errors import ValidationFailedError
from marketflow.serializers import datetime_text
from vendors.models import DocumentReview, ProductCategory, VendorDocument
from vendors.serializers import DOCUMENT_READ_FIELDS, VendorCreateSerializer


class ApplicationVendorSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    business_name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)


class ApplicationReadSerializer(serializers.ModelSerializer):
    """An application as the market's organizer sees it: what was submitted, and the review."""

    vendor = ApplicationVendorSerializer(read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "market_id",
            "vendor",
            "status",
            "business_name",
            "contact_name",
            "phone",
            "product_categories",
            "description",
            "message",
            "decision_reason",
            "reviewed_by_id",
            "reviewed_at",
            "withdrawn_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


def application_data(rows) -> list[dict]:
    """What ``ApplicationReadSerializer(many=True)`` answers, from
    ``selectors.application_rows``: written out, as the organizer's review list is a hot path
    (tests/test_fast_paths.py pins the two)."""
    zone = timezone.get_current_timezone()
    return [
        {
            "id": str(row["id"]),
            "market_id": str(row["market_id"]),
            "vendor": {
                "id": str(row["vendor_id"]),
                "business_name": row["vendor__business_name"],
                "email": row["vendor__email"],
            },
            "status": row["status"],
            "business_name": row["business_name"],
            "contact_name": row["contact_name"],
            "phone": row["phone"],
            "product_categories": row["product_categories"],
            "description": row["description"],
            "message": row["message"],
            "decision_reason": row["decision_reason"],
            "reviewed_by_id": row["reviewed_by_id"] and str(row["reviewed_by_id"]),
            "reviewed_at": datetime_text(row["reviewed_at"], zone),
            "withdrawn_at": datetime_text(row["withdrawn_at"], zone),
            "created_at": datetime_text(row["created_at"], zone),
            "updated_at": datetime_text(row["updated_at"], zone),
        }
        for row in rows
    ]


# The review list's filters: Django's choice fields, so a value outside the choices is refused
# with Django's message. Cleaning keeps no state, so one instance of each serves every request.
APPLICATION_LIST_FILTERS = {
    "status": forms.ChoiceField(  # unconfirmed applications are nobody's to list
        choices=[c for c in Application.Status.choices if c[0] != Application.Status.UNCONFIRMED],
        required=False,
    ),
    "category": forms.ChoiceField(choices=ProductCategory.choices, required=False),
}


def application_list_filters(query_params) -> dict[str, str]:
    """``status`` and ``category`` from the query string ("" when absent or empty); a value
    that is not one of the choices is a 400 naming the field."""
    filters, errors = {}, {}
    for name, field in APPLICATION_LIST_FILTERS.items():
        try:
            filters[name] = field.clean(query_params.get(name))
        except forms.ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationFailedError(fields=errors)
    return filters


class ApplicationSubmitSerializer(VendorCreateSerializer):
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ApplicationReceiptSerializer(serializers.ModelSerializer):
    """What the public applicant gets back: no one else's data. The schema, and the reference
    ``application_receipt_data`` equals."""

    class Meta:
        model = Application
        fields = [
            "id",
            "market_id",
            "status",
            "business_name",
            "contact_name",
            "phone",
            "product_categories",
            "description",
            "message",
            "created_at",
        ]
        read_only_fields = fields


def application_receipt_data(application: Application) -> dict:
    """What ``ApplicationReceiptSerializer`` answers, written out, as every public
    application gets it (a test pins the two together). The renderer writes ``created_at``
    as DRF does."""
    return {
        "id": str(application.pk),
        "market_id": str(application.market_id),
        "status": str(application.status),
        "business_name": application.business_name,
        "contact_name": application.contact_name,
        "phone": application.phone,
        "product_categories": application.product_categories,
        "description": application.description,
        "message": application.message,
        "created_at": application.created_at,
    }


class ApplicationDecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ApplicationUndoSerializer(serializers.Serializer):
    """Undoing a decision (reopen, revoke) says why: the vendor is told the reason."""

    reason = serializers.CharField(max_length=2000)


class VendorApplicationSerializer(serializers.ModelSerializer):
    """An application as its vendor sees it in the portal."""

    market_name = serializers.CharField(source="market.name", read_only=True)
    market_slug = serializers.CharField(source="market.slug", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "market_id",
            "market_name",
            "market_slug",
            "status",
            "message",
            "decision_reason",
            "reviewed_at",
            "withdrawn_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ApplicationDocumentSerializer(serializers.ModelSerializer):
    """A document submitted with an application, with the link that streams it (to the
    vendor and to the market's organizer only; a token or a session authenticates it), and
    the market's review of it."""

    download_url = serializers.SerializerMethodField()
    review_status = serializers.ChoiceField(
        choices=DocumentReview.Status.choices,
        allow_null=True,
        read_only=True,
        help_text="This market's review; null when not reviewed yet.",
    )
    review_reason = serializers.CharField(
        allow_null=True, read_only=True, help_text="Why it was refused."
    )

    class Meta:
        model = VendorDocument
        fields = [*DOCUMENT_READ_FIELDS, "download_url", "review_status", "review_reason"]
        read_only_fields = fields

    def get_download_url(self, document) -> str:
        path = reverse("document-download", kwargs={"document_id": document.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class DirectoryVendorSerializer(serializers.Serializer):
    """A vendor as a market's public directory shows them: nothing private (no e-mail,
    phone or contact name), categories as people read them."""

    id = serializers.UUIDField()
    business_name = serializers.CharField()
    categories = serializers.ListField(
        child=serializers.CharField(), source="category_list", help_text="Labels, not codes."
    )
    description = serializers.CharField(source="public_description")
    photo_url = serializers.CharField(
        source="photo_path", allow_null=True, help_text="A JPEG of at most 1200 px a side."
    )
    url = serializers.SerializerMethodField(help_text="The vendor's public page.")

    def get_url(self, vendor) -> str:
        return reverse(
            "directory-vendor", kwargs={"slug": self.context["slug"], "vendor_id": vendor.pk}
        )


def directory_category_filter(query_params) -> str:
    """``category`` from the query string ("" when absent); any other value is a 400."""
    field = forms.ChoiceField(choices=ProductCategory.choices, required=False)
    try:
        return field.clean(query_params.get("category"))
    except forms.ValidationError as error:
        raise ValidationFailedError(fields={"category": error.messages}) from None


class DocumentReviewCreateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DocumentReview.Status.choices)
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Why the document is refused (required to refuse); the vendor sees it.",
    )


class DocumentReviewReadSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentReview
        fields = ["id", "market_id", "document_id", "status", "reason", "updated_at"]
        read_only_fields = fields
