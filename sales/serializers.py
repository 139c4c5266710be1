"""API shapes of token reconciliation: what a market owes and is owed per vendor, settling
up, and the vendor's statement netted."""

from rest_framework import serializers

from sales.models import Settlement
from stalls.serializers import VendorMarketFeesSerializer, vendor_fees_data

NET_HELP = (
    "`tokens_cents` minus `fees_cents`: above 0 the market pays the vendor that much, below 0 "
    "the vendor owes the market."
)


class PayoutVendorSerializer(serializers.Serializer):
    vendor_id = serializers.UUIDField()
    business_name = serializers.CharField()
    tokens_cents = serializers.IntegerField(
        help_text="What the market owes the vendor: the SNAP, market token and incentive "
        "amounts of their sales reports not yet settled."
    )
    fees_cents = serializers.IntegerField(
        help_text="What the vendor owes: unpaid stall and sales fees of their bookings on days "
        "that take place."
    )
    net_cents = serializers.IntegerField(help_text=NET_HELP)


class MarketPayoutsSerializer(serializers.Serializer):
    """Per vendor, in cents of the market's ``currency``: tokens owed, fees owed, the net."""

    market_id = serializers.UUIDField()
    currency = serializers.CharField()
    vendors = PayoutVendorSerializer(many=True)


def market_payouts_data(*, market, rows: list[dict]) -> dict:
    """What ``MarketPayoutsSerializer`` says, from ``sales.selectors.market_payouts``."""
    return {
        "market_id": str(market.pk),
        "currency": market.currency,
        "vendors": [{**row, "vendor_id": str(row["vendor_id"])} for row in rows],
    }


class SettleSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=Settlement.Method.choices)
    reference = serializers.CharField(
        max_length=Settlement._meta.get_field("reference").max_length,
        required=False,
        allow_blank=True,
        help_text="A check number, a transfer reference, ...",
    )
    expected_net_cents = serializers.IntegerField(
        help_text="The `net_cents` you saw (`GET payouts/`): if the figures have changed since, "
        "nothing is settled (409 `settlement_changed`, the new figures in `extra`)."
    )


class SettlementReadSerializer(serializers.ModelSerializer):
    vendor_id = serializers.UUIDField(read_only=True)
    net_cents = serializers.IntegerField(read_only=True, help_text=NET_HELP)
    booking_ids = serializers.SerializerMethodField(help_text="The bookings whose fees it paid.")
    created_by = serializers.EmailField(source="created_by.email", read_only=True, default=None)

    class Meta:
        model = Settlement
        fields = [
            "id", "vendor_id", "tokens_cents", "fees_cents", "net_cents", "method", "reference",
            "booking_ids", "created_by", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_booking_ids(self, settlement) -> list[str]:
        return sorted(str(pk) for pk in settlement.bookings.values_list("pk", flat=True))


class VendorMarketStatementSerializer(VendorMarketFeesSerializer):
    tokens_owed_cents = serializers.IntegerField(
        help_text="What the market owes you for the SNAP, market tokens and incentive matches "
        "you took in (your sales reports not yet settled)."
    )
    net_cents = serializers.IntegerField(
        help_text="`tokens_owed_cents` minus `due_cents`: above 0 the market pays you that "
        "much, below 0 you owe it."
    )


class MeStatementSerializer(serializers.Serializer):
    markets = VendorMarketStatementSerializer(many=True)


def vendor_statements_data(statements: list[dict]) -> dict:
    """What ``MeStatementSerializer`` says, from ``sales.selectors.vendor_statements``."""
    data = vendor_fees_data(statements)
    for market, statement in zip(data["markets"], statements, strict=True):
        market["tokens_owed_cents"] = statement["tokens_owed_cents"]
        market["net_cents"] = statement["net_cents"]
    return data
