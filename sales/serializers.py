"""The API's shapes of sales: the vendor's reportable days, one report with its revisions,
the body that reports or revises a day; and token reconciliation: what a market owes and is
owed per vendor, settling up, and the vendor's statement netted."""

import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketflow.models import SalesCurrency
from sales.models import REVISION_REASON_MAX_LENGTH, SalesReport, SalesReportRevision, Settlement
from sales.selectors import deadline
from stalls.serializers import VendorMarketFeesSerializer, vendor_fees_data

AMOUNTS_HELP = "Cents per currency code (" + ", ".join(SalesCurrency.values) + ")."


def amounts_field(**kwargs) -> serializers.DictField:
    return serializers.DictField(child=serializers.IntegerField(), help_text=AMOUNTS_HELP, **kwargs)


class SalesReportRevisionSerializer(serializers.ModelSerializer):
    """The figures of a report before one revision, and why it was revised."""

    amounts = amounts_field(read_only=True)
    revised_at = serializers.DateTimeField(source="created_at", read_only=True)
    by_organizer = serializers.BooleanField(
        read_only=True, help_text="Revised by the market's organizer rather than by the vendor."
    )

    class Meta:
        model = SalesReportRevision
        fields = ["id", "revised_at", "amounts", "gross_cents", "reason", "by_organizer"]
        read_only_fields = fields


class SalesReportSummarySerializer(serializers.ModelSerializer):
    """A day's report as the list of days shows it."""

    amounts = amounts_field(read_only=True)
    reported_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = SalesReport
        fields = ["id", "amounts", "gross_cents", "late", "reported_at", "revised_at"]
        read_only_fields = fields


class SalesReportReadSerializer(SalesReportSummarySerializer):
    """A day's report with its earlier figures, newest revision first."""

    booking_id = serializers.UUIDField(read_only=True)
    tokens_cents = serializers.IntegerField(
        read_only=True, help_text="What the market owes the vendor for tokens taken in."
    )
    sales_fee_cents = serializers.IntegerField(source="booking.sales_fee_cents", read_only=True)
    sales_fee_note = serializers.CharField(source="booking.sales_fee_note", read_only=True)
    revisions = SalesReportRevisionSerializer(many=True, read_only=True)

    class Meta(SalesReportSummarySerializer.Meta):
        fields = [
            "id",
            "booking_id",
            "amounts",
            "gross_cents",
            "tokens_cents",
            "late",
            "reported_at",
            "revised_at",
            "sales_fee_cents",
            "sales_fee_note",
            "revisions",
        ]
        read_only_fields = fields


class SalesDaySerializer(serializers.Serializer):
    """A booked day the vendor can report, with its report (null: not reported yet)."""

    booking_id = serializers.UUIDField(source="id")
    market_id = serializers.UUIDField(source="market_day.market_id")
    market_name = serializers.CharField(source="market_day.market.name")
    currency = serializers.CharField(source="market_day.market.currency")
    sales_currencies = serializers.ListField(
        child=serializers.ChoiceField(choices=SalesCurrency.choices),
        source="market_day.market.sales_currencies",
        help_text="The currencies the market's report form asks for.",
    )
    date = serializers.DateField(source="market_day.date")
    stall_label = serializers.CharField(source="stall.label")
    deadline = serializers.SerializerMethodField(
        help_text="The last day (at the market) to report on time, and for the vendor to revise."
    )
    report = serializers.SerializerMethodField()
    sales_fee_cents = serializers.IntegerField()
    sales_fee_note = serializers.CharField()

    def get_deadline(self, booking) -> datetime.date:
        return deadline(booking)

    @extend_schema_field(SalesReportSummarySerializer(allow_null=True))
    def get_report(self, booking):
        report = getattr(booking, "sales_report", None)
        return SalesReportSummarySerializer(report).data if report is not None else None


class SalesReportWriteSerializer(serializers.Serializer):
    """A day's sales: the amount of each currency of the market (a missing one is 0); a
    revision of a reported day says why."""

    amounts = amounts_field()
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=REVISION_REASON_MAX_LENGTH,
        help_text="Why the figures change: required to revise a reported day.",
    )


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
