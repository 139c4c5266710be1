from rest_framework import serializers

from marketflow.models import Market, MarketDay
from marketflow.representation import FastRepresentationMixin


class MarketReadSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    class Meta:
        model = Market
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "location",
            "timezone",
            "currency",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MarketCreateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Market
        fields = ["name", "slug", "description", "location", "timezone", "currency", "is_active"]
        extra_kwargs = {"slug": {"validators": []}}  # uniqueness: the service, under the DB


class MarketUpdateSerializer(MarketCreateSerializer):
    class Meta(MarketCreateSerializer.Meta):
        extra_kwargs = {name: {"required": False} for name in MarketCreateSerializer.Meta.fields}
        extra_kwargs["slug"] = {"required": False, "validators": []}


class PublicMarketSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    upcoming_market_days = serializers.SerializerMethodField()

    class Meta:
        model = Market
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "location",
            "timezone",
            "currency",
            "upcoming_market_days",
        ]
        read_only_fields = fields

    def get_upcoming_market_days(self, market) -> list[dict]:
        days = self.context.get("upcoming_market_days", [])
        return PublicMarketDaySerializer(days, many=True).data


class PublicMarketDaySerializer(FastRepresentationMixin, serializers.ModelSerializer):
    class Meta:
        model = MarketDay
        fields = ["date", "start_time", "end_time"]
        read_only_fields = fields


class MarketDayReadSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    class Meta:
        model = MarketDay
        fields = [
            "id",
            "market_id",
            "date",
            "start_time",
            "end_time",
            "status",
            "note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MarketDayCreateSerializer(serializers.ModelSerializer):
    class Meta:
        model = MarketDay
        fields = ["date", "start_time", "end_time", "note"]

    def validate(self, attrs):
        if attrs["start_time"] >= attrs["end_time"]:
            raise serializers.ValidationError(
                {"end_time": "The end time must be after the start time."}
            )
        return attrs


class MarketDayUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = MarketDay
        fields = ["date", "start_time", "end_time", "status", "note"]
        extra_kwargs = {name: {"required": False} for name in fields}


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=4096)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable error code.")
    detail = serializers.CharField(help_text="Human-readable message.")
    extra = serializers.DictField(help_text="Details; validation errors under `fields`.")
