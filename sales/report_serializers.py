"""API shapes of sales reporting for organizers: the period a summary covers (query
parameters), the summary with the privacy rule applied, and the reports one by one."""

from rest_framework import serializers

from marketflow.models import ProductCategory, SalesCurrency
from sales.models import SalesReport
from sales.selectors import COMPLEMENT, FEWER_VENDORS


class SalesPeriodQuerySerializer(serializers.Serializer):
    """``?season=&from=&to=``: a season of the market, and a date range (both dates
    included); each optional."""

    def get_fields(self):
        # "from" is a Python keyword: the fields are named here rather than as attributes.
        return {
            "season": serializers.UUIDField(required=False, help_text="A season of the market."),
            "from": serializers.DateField(required=False, help_text="First date, YYYY-MM-DD."),
            "to": serializers.DateField(required=False, help_text="Last date, YYYY-MM-DD."),
        }

    def period_arguments(self) -> dict:
        data = self.validated_data
        return {
            "season_id": data.get("season"),
            "date_from": data.get("from"),
            "date_to": data.get("to"),
        }


class SalesAmountsSerializer(serializers.Serializer):
    """Cents of the market's currency per sales currency."""

    def get_fields(self):
        return {code: serializers.IntegerField() for code in SalesCurrency.values}


class SalesFiguresSerializer(serializers.Serializer):
    """A group's figures. With fewer than ``min_vendors`` vendors reporting, every amount is
    null and ``suppressed`` true: individual vendors' figures are for the organizer only."""

    vendors = serializers.IntegerField(help_text="Vendors who reported.")
    reports = serializers.IntegerField(help_text="Reports summed: vendor-days.")
    amounts = SalesAmountsSerializer(allow_null=True)
    gross_cents = serializers.IntegerField(allow_null=True)
    tokens_cents = serializers.IntegerField(
        allow_null=True, help_text="SNAP, market tokens and incentives: what the market owes."
    )
    average_cents = serializers.IntegerField(
        allow_null=True, help_text="Gross per vendor-day (per report)."
    )
    suppressed = serializers.BooleanField()
    suppressed_reason = serializers.ChoiceField(
        choices=[
            (FEWER_VENDORS, "Fewer than min_vendors vendors reported."),
            (COMPLEMENT, "The total less the groups shown would give away a smaller group."),
        ],
        allow_null=True,
    )


class SalesDayFiguresSerializer(SalesFiguresSerializer):
    market_day_id = serializers.UUIDField()
    date = serializers.DateField()
    booked = serializers.IntegerField(help_text="Vendors booked (active bookings).")


class SalesSeasonSerializer(SalesFiguresSerializer):
    season_id = serializers.UUIDField(allow_null=True, help_text="Null: days outside seasons.")
    name = serializers.CharField()


class SalesCategorySerializer(SalesFiguresSerializer):
    category = serializers.ChoiceField(choices=ProductCategory.choices)
    label = serializers.CharField()


class SalesSummarySerializer(serializers.Serializer):
    currency = serializers.CharField(source="market.currency")
    currencies = serializers.ListField(
        child=serializers.ChoiceField(choices=SalesCurrency.choices),
        help_text="The market's sales currencies and any other reported in the period.",
    )
    season = serializers.UUIDField(source="period.season.pk", allow_null=True, default=None)
    date_from = serializers.DateField(source="period.date_from", allow_null=True)
    date_to = serializers.DateField(source="period.date_to", allow_null=True)
    min_vendors = serializers.IntegerField(
        help_text="Groups with fewer vendors reporting show no amounts."
    )
    days = SalesDayFiguresSerializer(many=True)
    seasons = SalesSeasonSerializer(many=True)
    categories = SalesCategorySerializer(
        many=True, help_text="Each vendor counts in their first category only: rows add up."
    )
    total = SalesFiguresSerializer()


class SalesReportListQuerySerializer(serializers.Serializer):
    market_day = serializers.UUIDField(required=False)
    vendor = serializers.UUIDField(required=False)


class SalesReportRowSerializer(serializers.ModelSerializer):
    market_day_id = serializers.UUIDField()
    vendor_id = serializers.UUIDField()
    booking_id = serializers.UUIDField()
    date = serializers.DateField(source="market_day.date")
    business_name = serializers.CharField(source="vendor.business_name")
    amounts = SalesAmountsSerializer()
    tokens_cents = serializers.IntegerField()

    class Meta:
        model = SalesReport
        fields = [
            "id",
            "market_day_id",
            "date",
            "vendor_id",
            "business_name",
            "booking_id",
            "amounts",
            "gross_cents",
            "tokens_cents",
            "late",
            "revised_at",
            "created_at",
        ]
