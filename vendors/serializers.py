"""Vendor input and output shapes. The field rules here serve the API, pages and admin."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from marketflow.models import normalize_email
from marketflow.representation import FastRepresentationMixin
from vendors.models import MAX_PRODUCT_CATEGORIES, Vendor, validate_product_categories


class ProductCategoriesField(serializers.ListField):
    """1 to 10 known categories, no duplicates: the model's validator is the one rule."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.CharField(max_length=32))
        kwargs.setdefault("min_length", 1)
        kwargs.setdefault("max_length", MAX_PRODUCT_CATEGORIES)
        kwargs.setdefault("allow_empty", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        try:
            validate_product_categories(values)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return values


class VendorReadSerializer(FastRepresentationMixin, serializers.ModelSerializer):
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
