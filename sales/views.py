"""API views of sales: the vendor's days and reports, the organizer's entry; and token
reconciliation: the organizer's payouts and settling up (their own markets only), and the
vendor's statement netted."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from marketflow.views import OrganizerAPIView
from sales import selectors, services, settlements
from sales.serializers import (
    MarketPayoutsSerializer,
    MeStatementSerializer,
    SalesDaySerializer,
    SalesReportReadSerializer,
    SalesReportWriteSerializer,
    SettlementReadSerializer,
    SettleSerializer,
    market_payouts_data,
    vendor_statements_data,
)
from stalls.models import Booking
from stalls.views import MarketDayScopedView
from vendors.views import VendorAPIView

REPORT_WRITE_DESCRIPTION = (
    "Report a day's sales (201), or revise them with a `reason` (200). Amounts are cents per "
    "currency of the market; a currency left out is 0, one the market does not take is "
    "refused (400, by currency code in `extra.fields`). Conflict codes: "
    "`sales_day_not_reportable` (a cancelled booking or day, a day not yet started, a "
    "no-show), `sales_report_exists` (a second report without a reason), "
    "`sales_report_settled` (the day's fee or tokens are settled)"
)


class SalesReportResponseMixin:
    def report_response(self, report, *, created: bool = False) -> Response:
        report = selectors.sales_report_get(booking=report.booking)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(SalesReportReadSerializer(report).data, status=code)

    def report_write(self, request, booking_id, *, as_organizer: bool) -> Response:
        serializer = SalesReportWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.sales_report_submit(
            user=request.user,
            booking_id=booking_id,
            as_organizer=as_organizer,
            **serializer.validated_data,
        )
        return self.report_response(report, created=report.revised_at is None)


class MeSalesListView(VendorAPIView):
    """The signed-in vendor's booked days that can be reported (active bookings on scheduled
    days that have started, not no-shows), newest first, each with its report or null."""

    queryset = Booking.objects.none()
    serializer_class = SalesDaySerializer
    cursor_ordering = ("-day_date", "-id")

    @extend_schema(responses=SalesDaySerializer(many=True))
    def get(self, request):
        days = selectors.vendor_sales_days(vendor=self.get_vendor())
        return self.list_response(days, SalesDaySerializer)


class MeSalesReportView(SalesReportResponseMixin, VendorAPIView):
    """The signed-in vendor's report of one booked day."""

    serializer_class = SalesReportReadSerializer
    error_statuses = {"PUT": (409,)}

    @extend_schema(
        description="The day's report with its earlier figures (404 `not_found` when the day "
        "is not reported, or is not one of the vendor's reportable days)."
    )
    def get(self, request, booking_id):
        booking = selectors.vendor_sales_booking_get(
            vendor=self.get_vendor(), booking_id=booking_id
        )
        return self.report_response(selectors.sales_report_get(booking=booking))

    @extend_schema(
        request=SalesReportWriteSerializer,
        responses={200: SalesReportReadSerializer, 201: SalesReportReadSerializer},
        description=REPORT_WRITE_DESCRIPTION + ", `sales_report_closed` (a revision after the "
        "market's deadline: ask the market to correct it).",
    )
    def put(self, request, booking_id):
        self.get_vendor()
        return self.report_write(request, booking_id, as_organizer=False)


class BookingSalesReportView(SalesReportResponseMixin, MarketDayScopedView):
    """A booking's sales report, entered or corrected by the organizer (a paper slip, a
    correction): at any time, until the day is settled."""

    serializer_class = SalesReportReadSerializer
    error_statuses = {"PUT": (409,)}

    def get_booking(self):
        return selectors.market_day_booking_get(
            market_day=self.get_market_day(), booking_id=self.kwargs["booking_id"]
        )

    @extend_schema(description="The booking's report (404 `not_found` when not reported).")
    def get(self, request, market_id, market_day_id, booking_id):
        return self.report_response(selectors.sales_report_get(booking=self.get_booking()))

    @extend_schema(
        request=SalesReportWriteSerializer,
        responses={200: SalesReportReadSerializer, 201: SalesReportReadSerializer},
        description=REPORT_WRITE_DESCRIPTION + ".",
    )
    def put(self, request, market_id, market_day_id, booking_id):
        booking = self.get_booking()
        return self.report_write(request, booking.pk, as_organizer=True)


class MarketPayoutsView(OrganizerAPIView):
    """What to pay out: each vendor with tokens owed by the market (their sales reports not
    yet settled) or fees owed to it, and the net, by business name."""

    serializer_class = MarketPayoutsSerializer

    def get(self, request, market_id):
        market = self.get_market()
        return Response(
            market_payouts_data(market=market, rows=selectors.market_payouts(market=market))
        )


class MarketPayoutSettleView(OrganizerAPIView):
    serializer_class = SettlementReadSerializer
    error_statuses = {"POST": (409,)}

    @extend_schema(
        request=SettleSerializer,
        responses={201: SettlementReadSerializer},
        description="Settle up with a vendor: their unsettled tokens net of the fees they owe, "
        "as `GET payouts/` showed them (`expected_net_cents`). The reports are marked settled "
        "(no longer revisable) and the fees paid (`payment_method` `settlement`). Conflict "
        "codes: `settlement_changed` (the figures changed: the new ones in `extra`), "
        "`nothing_to_settle`.",
    )
    def post(self, request, market_id, vendor_id):
        serializer = SettleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        settlement = settlements.settlement_create(
            user=request.user, market_id=market_id, vendor_id=vendor_id, **serializer.validated_data
        )
        return Response(SettlementReadSerializer(settlement).data, status=status.HTTP_201_CREATED)


class MeFeesView(VendorAPIView):
    """The signed-in vendor's fees per market across all its days: due (unpaid stall and
    sales fees, on days that take place), paid and waived, a line per booking; and netted
    against the tokens the market owes them (`tokens_owed_cents`, `net_cents`)."""

    serializer_class = MeStatementSerializer

    def get(self, request):
        vendor = self.get_vendor()
        return Response(vendor_statements_data(selectors.vendor_statements(vendor_id=vendor.pk)))
