"""Vendor input and output shapes. The field rules here serve the API, pages and admin."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketflow.models import normalize_email
from marketflow.serializers import ProductCategoriesField
from vendors.models import (
    MAX_PRODUCT_CATEGORIES,
    PUBLIC_DESCRIPTION_MAX_LENGTH,
    DocumentReview,
    ProductCategory,
    Vendor,
    VendorDocument,
)


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": ProductCategory.values},
        "minItems": 1,
        "maxItems": MAX_PRODUCT_CATEGORIES,
        "uniqueItems": True,
    }
)
class VendorReadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vendor
        fields = [
            "id",
            "business_name",
            "contact_name",
            "email",
            "phone",
            "product_categories",
            "description",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class VendorCreateSerializer(serializers.Serializer):
    business_name = serializers.CharField(max_length=200)
    contact_name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    product_categories = ProductCategoriesField()
    description = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )

    def validate_email(self, value):
        return normalize_email(value)


class VendorUpdateSerializer(serializers.Serializer):
    """Every field optional; the e-mail is the vendor's identity and is not accepted here."""

    business_name = serializers.CharField(max_length=200, required=False)
    contact_name = serializers.CharField(max_length=200, required=False)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    product_categories = ProductCategoriesField(required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    def validate(self, attrs):
        unknown = (
            set(self.initial_data) - set(self.fields)
            if isinstance(self.initial_data, dict)
            else set()
        )
        if "email" in unknown:
            raise serializers.ValidationError({"email": "The e-mail address cannot be changed."})
        return attrs


class VendorDirectoryReadSerializer(serializers.Serializer):
    """The vendor's public listing, as they edit it."""

    directory_listed = serializers.BooleanField(
        help_text="Listed on the public page of every market that accepted the vendor."
    )
    public_description = serializers.CharField()
    photo_url = serializers.CharField(
        source="photo_path", allow_null=True, help_text="The re-encoded photo (JPEG), public."
    )


class VendorDirectoryUpdateSerializer(serializers.Serializer):
    """Every field optional. The photo is a JPEG, PNG or WebP of at most 5 MB and 40
    megapixels; it is stored re-encoded as a JPEG of at most 1200 px a side, without metadata
    (a refused photo answers 400 ``photo_invalid`` with ``extra.reason``)."""

    directory_listed = serializers.BooleanField(required=False)
    public_description = serializers.CharField(
        max_length=PUBLIC_DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True
    )
    photo = serializers.FileField(required=False)
    remove_photo = serializers.BooleanField(required=False, default=False)


class DocumentReviewSerializer(serializers.Serializer):
    market_id = serializers.UUIDField()
    market_name = serializers.CharField()
    status = serializers.ChoiceField(choices=DocumentReview.Status.choices)
    reason = serializers.CharField(help_text="Why it was refused; empty when approved.")


# What every face's read of a vendor document shows of it.
DOCUMENT_READ_FIELDS = [
    "id",
    "document_type",
    "original_filename",
    "content_type",
    "size",
    "expires_on",
    "created_at",
]


class MeDocumentSerializer(serializers.ModelSerializer):
    """One of the vendor's documents with each market's review of it (approved, or refused
    with the organizer's reason); a market that has not reviewed it is not listed."""

    reviews = serializers.SerializerMethodField()

    class Meta:
        model = VendorDocument
        fields = [*DOCUMENT_READ_FIELDS, "reviews"]
        read_only_fields = fields

    @extend_schema_field(DocumentReviewSerializer(many=True))
    def get_reviews(self, document) -> list:
        reviews = self.context["reviews"].get(document.pk, [])
        return DocumentReviewSerializer(reviews, many=True).data
