"""API views of stalls, market-day boards and bookings."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from applications.serializers import VendorApplicationSerializer
from marketflow.selectors import market_day_get_in_market
from marketflow.views import OrganizerAPIView
from stalls import selectors, services
from stalls.models import Booking, Stall
from stalls.serializers import (
    BookingCreateSerializer,
    BookingReadSerializer,
    BookingUpdateSerializer,
    MarketFeesSerializer,
    MeFeesSerializer,
    StallBoardSerializer,
    StallCreateSerializer,
    StallReadSerializer,
    StallUpdateSerializer,
    VendorBookingSerializer,
    market_fees_data,
    stall_data,
    vendor_booking_data,
    vendor_fees_data,
)
from vendors.views import VendorAPIView


class StallListCreateView(OrganizerAPIView):
    queryset = Stall.objects.none()  # the schema's model; requests read stall_rows()
    serializer_class = StallReadSerializer
    cursor_ordering = "label"
    error_statuses = {"POST": (409,)}

    @extend_schema(responses=StallReadSerializer(many=True))
    def get(self, request, market_id):
        rows = selectors.stall_rows(user=request.user, market_id=market_id)
        return self.rows_response(rows, stall_data, check_scope=self.get_market)

    @extend_schema(
        request=StallCreateSerializer,
        responses={201: StallReadSerializer},
        description="Conflict codes: `stall_label_taken`, `vendor_not_accepted`.",
    )
    def post(self, request, market_id):
        serializer = StallCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stall = services.stall_create(
            user=request.user, market_id=market_id, **serializer.validated_data
        )
        return Response(StallReadSerializer(stall).data, status=status.HTTP_201_CREATED)


class StallDetailView(OrganizerAPIView):
    serializer_class = StallReadSerializer
    error_statuses = {"PATCH": (409,), "DELETE": (409,)}

    def get(self, request, market_id, stall_id):
        stall = selectors.stall_get(market=self.get_market(), stall_id=stall_id)
        return Response(StallReadSerializer(stall).data)

    @extend_schema(request=StallUpdateSerializer, responses=StallReadSerializer)
    def patch(self, request, market_id, stall_id):
        serializer = StallUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        stall = services.stall_update(
            user=request.user, market_id=market_id, stall_id=stall_id, **serializer.validated_data
        )
        return Response(StallReadSerializer(stall).data)

    @extend_schema(responses={204: None}, description="Conflict code: `stall_has_bookings`.")
    def delete(self, request, market_id, stall_id):
        services.stall_delete(user=request.user, market_id=market_id, stall_id=stall_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MarketDayScopedView(OrganizerAPIView):
    def get_market_day(self):
        if not hasattr(self, "_market_day"):
            self._market_day = market_day_get_in_market(
                user=self.request.user,
                market_id=self.kwargs["market_id"],
                market_day_id=self.kwargs["market_day_id"],
            )
            self._market = self._market_day.market
        return self._market_day


class StallBoardView(MarketDayScopedView):
    """Every stall of the market with its booking for the day (or null), and the totals."""

    serializer_class = StallBoardSerializer

    def get(self, request, market_id, market_day_id):
        return Response(
            selectors.market_day_board_for_user(
                user=request.user, market_id=market_id, market_day_id=market_day_id
            )
        )


class MarketFeesView(OrganizerAPIView):
    """Fees owed per vendor across every day of the market: each booked vendor's days
    booked, fees due (unpaid, on days that take place), paid and waived, and the totals."""

    serializer_class = MarketFeesSerializer

    def get(self, request, market_id):
        market = self.get_market()
        return Response(
            market_fees_data(
                market=market,
                vendor_rows=selectors.market_fee_statements(market=market),
                totals=selectors.market_fee_totals(market=market),
            )
        )


class BookingListCreateView(MarketDayScopedView):
    queryset = Booking.objects.none()
    serializer_class = BookingReadSerializer
    cursor_ordering = "-id"
    error_statuses = {"POST": (409,)}

    def get_queryset(self):
        return selectors.booking_list(market_day=self.get_market_day())

    @extend_schema(
        responses=BookingReadSerializer(many=True),
        description="The day's bookings, cancelled ones too (with `cancelled_at` set): the "
        "day's history of payments and refunds. The stall board lists active bookings only.",
    )
    def get(self, request, market_id, market_day_id):
        return self.list_response(self.get_queryset(), BookingReadSerializer)

    @extend_schema(
        request=BookingCreateSerializer,
        responses={201: BookingReadSerializer},
        description="Conflict codes: `stall_already_booked`, "
        "`vendor_already_booked`, `vendor_not_accepted`, "
        "`market_day_in_past`, `market_day_cancelled`.",
    )
    def post(self, request, market_id, market_day_id):
        serializer = BookingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        booking = services.booking_create(
            user=request.user,
            market_id=market_id,
            market_day_id=market_day_id,
            **serializer.validated_data,
        )
        booking = selectors.booking_get(market_day=booking.market_day, booking_id=booking.pk)
        return Response(BookingReadSerializer(booking).data, status=status.HTTP_201_CREATED)


class BookingDetailView(MarketDayScopedView):
    serializer_class = BookingReadSerializer
    error_statuses = {"PATCH": (409,), "DELETE": (409,)}

    def get(self, request, market_id, market_day_id, booking_id):
        booking = selectors.booking_get(market_day=self.get_market_day(), booking_id=booking_id)
        return Response(BookingReadSerializer(booking).data)

    @extend_schema(
        request=BookingUpdateSerializer,
        responses=BookingReadSerializer,
        description="Record how the fee was settled. Conflict codes: `booking_paid_by_card`, "
        "`booking_already_cancelled` (a cancelled booking takes only the refund of a fee "
        "paid in cash).",
    )
    def patch(self, request, market_id, market_day_id, booking_id):
        serializer = BookingUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        booking = services.booking_update_payment(
            user=request.user,
            market_id=market_id,
            market_day_id=market_day_id,
            booking_id=booking_id,
            **serializer.validated_data,
        )
        booking = selectors.booking_get(market_day=booking.market_day, booking_id=booking.pk)
        return Response(BookingReadSerializer(booking).data)

    @extend_schema(
        responses={204: None},
        description="Cancel a booking. The booking is kept, with `cancelled_at` set, and its "
        "stall is free again. A fee paid by card through Stripe is refunded (`payment_status` "
        "`refunded`, with `refund_reference`); a fee paid in cash stays `paid` until the "
        "organizer settles it and records the refund (PATCH `payment_status` `refunded`). "
        "Conflict codes: `market_day_in_past`, `booking_already_cancelled`.",
    )
    def delete(self, request, market_id, market_day_id, booking_id):
        services.booking_cancel(
            user=request.user,
            market_id=market_id,
            market_day_id=market_day_id,
            booking_id=booking_id,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeBookingListView(VendorAPIView):
    queryset = Booking.objects.none()
    serializer_class = VendorBookingSerializer
    # Soonest market day first, as the portal lists them (ties: the cursor's offset).
    cursor_ordering = ("market_day__date", "id")

    @extend_schema(responses=VendorBookingSerializer(many=True))
    def get(self, request):
        bookings = selectors.vendor_booking_rows(user=request.user)
        # An empty page: no bookings, or no vendor profile (403).
        return self.rows_response(bookings, vendor_booking_data, check_scope=self.get_vendor)


class MeFeesView(VendorAPIView):
    """The signed-in vendor's stall fees per market across all its days: due (unpaid, on
    days that take place), paid and waived, and a line per booking."""

    serializer_class = MeFeesSerializer

    def get(self, request):
        vendor = self.get_vendor()
        return Response(vendor_fees_data(selectors.vendor_fee_statements(vendor_id=vendor.pk)))


class MeApplicationWithdrawView(VendorAPIView):
    """Withdraw an open application; bookings on the market's coming days are released."""

    serializer_class = VendorApplicationSerializer
    error_statuses = {"POST": (409,)}

    @extend_schema(
        request=None,
        responses=VendorApplicationSerializer,
        description="Conflict code: `invalid_transition`.",
    )
    def post(self, request, application_id):
        self.get_vendor()
        application = services.application_withdraw(
            user=request.user, application_id=application_id
        )
        return Response(VendorApplicationSerializer(application).data)
