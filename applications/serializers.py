from django.urls import reverse
from rest_framework import serializers

from applications.models import Application
from vendors.models import VendorDocument
from vendors.serializers import VendorCreateSerializer


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
    vendor and to the market's organizer only; a token or a session authenticates it)."""

    download_url = serializers.SerializerMethodField()

    class Meta:
        model = VendorDocument
        fields = [
            "id",
            "document_type",
            "original_filename",
            "content_type",
            "size",
            "expires_on",
            "created_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, document) -> str:
        path = reverse("document-download", kwargs={"document_id": document.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path
