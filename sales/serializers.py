"""The API's shapes of sales reports: the vendor's reportable days, one report with its
revisions, and the body that reports or revises a day."""

import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketflow.models import SalesCurrency
from sales.models import REVISION_REASON_MAX_LENGTH, SalesReport, SalesReportRevision
from sales.selectors import deadline

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
