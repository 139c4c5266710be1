"""API views of sales reports for organizers (their own markets only): the summary, with
the privacy rule applied (``shared_summary``), as JSON and as the CSV for funders; and the
reports one by one, for the organizer's eyes."""

from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from marketflow.admin_base import csv_response
from marketflow.views import OrganizerAPIView
from sales import selectors
from sales.exports import summary_csv_header, summary_csv_rows
from sales.models import SalesReport
from sales.report_serializers import (
    SalesPeriodQuerySerializer,
    SalesReportListQuerySerializer,
    SalesReportRowSerializer,
    SalesSummarySerializer,
)

PERIOD_PARAMETERS = [
    OpenApiParameter("season", OpenApiTypes.UUID, description="A season of the market."),
    OpenApiParameter("from", OpenApiTypes.DATE, description="First date (included)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last date (included)."),
]
PERIOD_ERRORS = (
    "400 codes: `invalid` (a malformed season id or date, in `extra.fields`), "
    "`sales_season_unknown` (not a season of this market), `sales_period_invalid` (`from` "
    "after `to`)."
)
PRIVACY = (
    "Anything here may be shared beyond the organizer, so a group (day, season, category, "
    "the total) with fewer than `min_vendors` (3) vendors reporting shows no amounts "
    "(`suppressed`); when that alone would let the total give them back, the smallest group "
    "shown is suppressed too."
)


class SalesSummaryMixin:
    def shared_summary(self, request) -> dict:
        query = SalesPeriodQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        market = self.get_market()
        period = selectors.sales_period(market=market, **query.period_arguments())
        return selectors.shared_summary(selectors.sales_summary(market=market, period=period))


class SalesSummaryView(SalesSummaryMixin, OrganizerAPIView):
    serializer_class = SalesSummarySerializer
    error_statuses = {"GET": (400,)}

    @extend_schema(
        parameters=PERIOD_PARAMETERS,
        description="The market's sales over a period: per market day (vendors booked and "
        "reporting), per season (with the average per vendor-day), per product category "
        "(each vendor in their first category, so the rows add up to the total) and in "
        "total, by currency, in cents. " + PRIVACY + " " + PERIOD_ERRORS,
    )
    def get(self, request, market_id):
        summary = self.shared_summary(request)
        return Response(
            SalesSummarySerializer({**summary, "min_vendors": selectors.MIN_VENDORS}).data
        )


class SalesSummaryCsvView(SalesSummaryMixin, OrganizerAPIView):
    serializer_class = SalesSummarySerializer  # the errors' shape; the answer is a CSV
    error_statuses = {"GET": (400,)}

    @extend_schema(
        parameters=PERIOD_PARAMETERS,
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)},
        description="The summary as a CSV for funders: a row per market day, season, "
        "category and the total (`row`), amounts in units of the market's currency, the "
        "amounts of a suppressed group empty and `suppressed` = yes. "
        + PRIVACY
        + " "
        + PERIOD_ERRORS,
    )
    def get(self, request, market_id):
        summary = self.shared_summary(request)
        filename = f"sales-{slugify(summary['market'].slug)}.csv"
        return csv_response(filename, summary_csv_header(summary), summary_csv_rows(summary))


class SalesReportListView(OrganizerAPIView):
    queryset = SalesReport.objects.none()  # the schema's model; requests use the selector
    serializer_class = SalesReportRowSerializer
    cursor_ordering = "-id"

    @extend_schema(
        responses=SalesReportRowSerializer(many=True),
        parameters=[
            OpenApiParameter("market_day", OpenApiTypes.UUID, description="One market day."),
            OpenApiParameter("vendor", OpenApiTypes.UUID, description="One vendor."),
        ],
        description="Each vendor's reports, newest first: for the organizer only (never "
        "shared: see `sales/summary/`).",
    )
    def get(self, request, market_id):
        query = SalesReportListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        reports = selectors.sales_report_list(
            market=self.get_market(),
            market_day_id=query.validated_data.get("market_day"),
            vendor_id=query.validated_data.get("vendor"),
        )
        return self.list_response(reports, SalesReportRowSerializer)
