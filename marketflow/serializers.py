from datetime import datetime, tzinfo

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from marketflow.models import (
    MAX_PRODUCT_CATEGORIES,
    ApiToken,
    DocumentType,
    Market,
    MarketDay,
    SalesCurrency,
    User,
    validate_document_types,
    validate_product_categories,
    validate_sales_currencies,
)
from marketflow.selectors import PUBLIC_MARKET_FIELDS
from marketflow.services import MARKET_DAY_FIELDS, MARKET_EDITABLE_FIELDS


def datetime_text(value: datetime | None, zone: tzinfo) -> str | None:
    """What DRF's ``DateTimeField`` writes: ISO 8601 in the current time zone ``zone`` (read
    once per page by the shaping functions of the ``values()`` fast paths), UTC as ``Z``."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class ModelValidatedListField(serializers.ListField):
    """A list checked by a model field's validator, so the API and the model share one rule."""

    model_validator = None  # a Django validator: raises django's ValidationError

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        try:
            type(self).model_validator(values)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return values


class ProductCategoriesField(ModelValidatedListField):
    """1 to 10 known categories, no duplicates: the model's validator is the one rule."""

    model_validator = validate_product_categories

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.CharField(max_length=32))
        kwargs.setdefault("min_length", 1)
        kwargs.setdefault("max_length", MAX_PRODUCT_CATEGORIES)
        kwargs.setdefault("allow_empty", False)
        super().__init__(**kwargs)


class DocumentTypesField(ModelValidatedListField):
    """Distinct document types, e.g. the documents a market requires with each application."""

    model_validator = validate_document_types

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.ChoiceField(choices=DocumentType.choices))
        kwargs.setdefault("max_length", len(DocumentType.values))
        super().__init__(**kwargs)


class SalesCurrenciesField(ModelValidatedListField):
    """1 to 6 distinct currencies of ``SalesCurrency``: the model's validator is the one rule."""

    model_validator = validate_sales_currencies

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.ChoiceField(choices=SalesCurrency.choices))
        kwargs.setdefault("min_length", 1)
        kwargs.setdefault("max_length", len(SalesCurrency.values))
        kwargs.setdefault("allow_empty", False)
        super().__init__(**kwargs)


class MarketReadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Market
        fields = ["id", *MARKET_EDITABLE_FIELDS, "created_at", "updated_at"]
        read_only_fields = fields


class MarketCreateSerializer(serializers.ModelSerializer):
    accepted_categories = ProductCategoriesField(
        required=False, help_text="Categories the market accepts; all of them when left out."
    )
    required_document_types = DocumentTypesField(
        required=False, help_text="Documents every application must include."
    )
    expiring_document_types = DocumentTypesField(
        required=False,
        help_text="Required documents that expire (valid until their expiry date); the "
        "others never expire.",
    )
    sales_currencies = SalesCurrenciesField(
        required=False,
        help_text="The currencies vendors report their sales in; all of them when left out. "
        "`snap`, `market_tokens` and `incentive` are tokens the market redeems: what a vendor "
        "took in of them, the market owes the vendor (`/api/markets/{id}/payouts/`).",
    )
    sales_fee_rule = serializers.ChoiceField(
        choices=Market.SalesFeeRule.choices,
        required=False,
        help_text="`flat`: the stall's daily price, charged at booking; `percent`: "
        "`sales_fee_percent` of the gross a vendor reports (nothing is charged at booking); "
        "`higher`: the higher of the two. A vendor who reports late or not at all pays the "
        "stall's daily price. A change applies to reports made after it; fees already "
        "computed stay.",
    )

    class Meta:
        model = Market
        fields = list(MARKET_EDITABLE_FIELDS)
        extra_kwargs = {"slug": {"validators": []}}  # uniqueness: the service, under the DB


class MarketUpdateSerializer(MarketCreateSerializer):
    class Meta(MarketCreateSerializer.Meta):
        extra_kwargs = {name: {"required": False} for name in MarketCreateSerializer.Meta.fields}
        extra_kwargs["slug"] = {"required": False, "validators": []}


class PublicMarketSerializer(serializers.ModelSerializer):
    """The schema of the public market, and the reference ``public_market_data`` equals."""

    upcoming_market_days = serializers.SerializerMethodField()

    class Meta:
        model = Market
        fields = [*PUBLIC_MARKET_FIELDS, "upcoming_market_days"]
        read_only_fields = fields

    def get_upcoming_market_days(self, market) -> list[dict]:
        days = self.context.get("upcoming_market_days", [])
        return PublicMarketDaySerializer(days, many=True).data


class PublicMarketDaySerializer(serializers.ModelSerializer):
    class Meta:
        model = MarketDay
        fields = ["date", "start_time", "end_time"]
        read_only_fields = fields


def public_market_data(public_market: dict) -> dict:
    """What ``PublicMarketSerializer`` answers, from ``selectors.public_market``: written out,
    as every visitor of a market's QR code lands here (a test pins the two together)."""
    market = public_market["market"]
    return {
        **market,
        "id": str(market["id"]),
        "upcoming_market_days": [
            {
                "date": day["date"].isoformat(),
                "start_time": day["start_time"].isoformat(),
                "end_time": day["end_time"].isoformat(),
            }
            for day in public_market["market_days"]
        ],
    }


class MarketDayReadSerializer(serializers.ModelSerializer):
    class Meta:
        model = MarketDay
        fields = ["id", "market_id", *MARKET_DAY_FIELDS, "status", "created_at", "updated_at"]
        read_only_fields = fields


class MarketDayCreateSerializer(serializers.ModelSerializer):
    class Meta:
        model = MarketDay
        fields = list(MARKET_DAY_FIELDS)


class MarketDayUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = MarketDay
        fields = [*MARKET_DAY_FIELDS, "status"]
        extra_kwargs = {name: {"required": False} for name in fields}


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=4096)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`; shown once.")
    expiry = serializers.DateTimeField(help_text="The token stops working at this time.")


class ApiTokenReadSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "created", "expiry"]
        read_only_fields = fields


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    is_organizer = serializers.BooleanField(help_text="May use the organizer endpoints.")
    is_vendor = serializers.BooleanField(help_text="Has a vendor profile (`/api/me/vendor/`).")
    plan = serializers.ChoiceField(
        choices=User.Plan.choices,
        help_text="The plan in force now (a past-due subscription keeps `paid` for a grace "
        "period).",
    )
    plan_status = serializers.CharField(
        help_text="The Stripe subscription's status (`active`, `trialing`, `past_due`, "
        "`canceled`, ...); empty without a subscription."
    )
    plan_renews_at = serializers.DateTimeField(
        allow_null=True,
        help_text="End of the subscription's current period: it renews then, or ends if cancelled.",
    )
    plan_grace_until = serializers.DateTimeField(
        allow_null=True, help_text="Past due: the paid plan lasts until then."
    )


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable error code.")
    detail = serializers.CharField(help_text="Human-readable message.")
    extra = serializers.DictField(help_text="Details; validation errors under `fields`.")
