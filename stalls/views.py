"""API views of stalls, market-day boards and bookings."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from applications.serializers import VendorApplicationSerializer
from marketflow.selectors import market_day_get_in_market
from marketflow.views import OrganizerAPIView
from stalls import selectors, services
from stalls.models import Booking, Stall, StallOffer, WaitlistEntry
from stalls.serializers import (
    BookingAttendanceSerializer,
    BookingCreateSerializer,
    BookingReadSerializer,
    BookingUpdateSerializer,
    MarketFeesSerializer,
    MarketReadinessSerializer,
    MeWaitlistEntrySerializer,
    OffersPausedSerializer,
    OffersPauseSerializer,
    StallBoardSerializer,
    StallCreateSerializer,
    StallOfferSerializer,
    StallReadSerializer,
    StallUpdateSerializer,
    VendorBookingSerializer,
    WaitlistEntrySerializer,
    WaitlistEntryUpdateSerializer,
    WaitlistJoinSerializer,
    market_fees_data,
    stall_data,
    vendor_booking_data,
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

    def booking_write(self, request, serializer_class, service, *, status_code=200):
        """Validate the body with ``serializer_class``, call the booking ``service`` with it
        and the URL's ids, and answer the booking as it reads now."""
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        booking = service(user=request.user, **self.kwargs, **serializer.validated_data)
        booking = selectors.booking_get(market_day=booking.market_day, booking_id=booking.pk)
        return Response(BookingReadSerializer(booking).data, status=status_code)


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


class MarketReadinessView(OrganizerAPIView):
    """Readiness across the market: the accepted vendors whose required documents are not
    ready (approved and valid) on the next market day, and the documents of required types
    that expire within 30 days."""

    serializer_class = MarketReadinessSerializer

    def get(self, request, market_id):
        readiness = selectors.market_readiness(market=self.get_market())
        return Response(MarketReadinessSerializer(readiness).data)


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
        "`market_day_in_past`, `market_day_cancelled`, `documents_not_ready` (the vendor's "
        "required documents are not approved and valid on the day; `extra.documents` names "
        "them; give `override_reason` to book anyway).",
    )
    def post(self, request, market_id, market_day_id):
        return self.booking_write(
            request,
            BookingCreateSerializer,
            services.booking_create,
            status_code=status.HTTP_201_CREATED,
        )


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
        "`booking_settled` (settled against tokens on the market's Payouts), "
        "`booking_already_cancelled` (a cancelled booking takes only the refund of a fee "
        "paid in cash).",
    )
    def patch(self, request, market_id, market_day_id, booking_id):
        return self.booking_write(request, BookingUpdateSerializer, services.booking_update_payment)

    @extend_schema(
        responses={204: None},
        description="Cancel a booking. The booking is kept, with `cancelled_at` set, and its "
        "stall is free again (offered to the day's waitlist). A fee paid by card through Stripe "
        "is refunded (`payment_status` `refunded`, with `refund_reference`); a fee paid in cash "
        "stays `paid` until the organizer settles it and records the refund (PATCH "
        "`payment_status` `refunded`). Conflict codes: `market_day_in_past`, "
        "`booking_already_cancelled`, `booking_attendance_recorded`.",
    )
    def delete(self, request, market_id, market_day_id, booking_id):
        services.booking_cancel(
            user=request.user,
            market_id=market_id,
            market_day_id=market_day_id,
            booking_id=booking_id,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class BookingAttendanceView(MarketDayScopedView):
    """Check-in: record that the booked vendor arrived, came late or was a no-show, on the
    market day itself. The same answer again changes nothing; another replaces it (the last
    one wins, with its time); a no-show carries the market's no-show fee."""

    serializer_class = BookingReadSerializer
    error_statuses = {"POST": (409,)}

    @extend_schema(
        request=BookingAttendanceSerializer,
        responses=BookingReadSerializer,
        description="Conflict codes: `market_day_not_today`, `market_day_cancelled`.",
    )
    def post(self, request, market_id, market_day_id, booking_id):
        return self.booking_write(
            request, BookingAttendanceSerializer, services.booking_record_attendance
        )


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


# -- waitlist offers ---------------------------------------------------------------------------


class WaitlistView(MarketDayScopedView):
    """A market day's waitlist, every state, oldest first; open entries are offered in the
    market's ``waitlist_order`` (first come, or priority points then first come)."""

    queryset = WaitlistEntry.objects.none()
    serializer_class = WaitlistEntrySerializer
    cursor_ordering = "id"

    @extend_schema(responses=WaitlistEntrySerializer(many=True))
    def get(self, request, market_id, market_day_id):
        entries = selectors.waitlist_entry_list(market_day=self.get_market_day())
        return self.list_response(entries, WaitlistEntrySerializer)


class WaitlistEntryView(MarketDayScopedView):
    serializer_class = WaitlistEntrySerializer

    @extend_schema(request=WaitlistEntryUpdateSerializer, responses=WaitlistEntrySerializer)
    def patch(self, request, market_id, market_day_id, entry_id):
        """Set the entry's priority points."""
        serializer = WaitlistEntryUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.waitlist_entry_set_points(
            user=request.user,
            market_id=market_id,
            market_day_id=market_day_id,
            entry_id=entry_id,
            **serializer.validated_data,
        )
        return Response(WaitlistEntrySerializer(entry).data)


class OfferListView(MarketDayScopedView):
    """A market day's stall offers, newest first: who was offered which stall, their place
    on the waitlist, and what they answered."""

    queryset = StallOffer.objects.none()
    serializer_class = StallOfferSerializer
    cursor_ordering = "-id"

    @extend_schema(responses=StallOfferSerializer(many=True))
    def get(self, request, market_id, market_day_id):
        offers = selectors.stall_offer_list(market_day=self.get_market_day())
        return self.list_response(offers, StallOfferSerializer)


class OffersPauseView(MarketDayScopedView):
    serializer_class = OffersPausedSerializer

    @extend_schema(request=OffersPauseSerializer, responses=OffersPausedSerializer)
    def post(self, request, market_id, market_day_id):
        """Pause or resume waitlist offers for the day. While paused a freed stall stays
        free to book; open offers keep their stall. Resuming offers the free stalls."""
        serializer = OffersPauseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        market_day = services.market_day_offers_pause(
            user=request.user,
            market_id=market_id,
            market_day_id=market_day_id,
            **serializer.validated_data,
        )
        return Response(OffersPausedSerializer(market_day).data)


class MeWaitlistView(VendorAPIView):
    queryset = WaitlistEntry.objects.none()
    serializer_class = MeWaitlistEntrySerializer
    cursor_ordering = "-id"
    error_statuses = {"POST": (404, 409)}

    @extend_schema(responses=MeWaitlistEntrySerializer(many=True))
    def get(self, request):
        """The signed-in vendor's waitlist entries of days still to come."""
        entries = selectors.vendor_waitlist_entry_list(vendor=self.get_vendor())
        return self.list_response(entries, MeWaitlistEntrySerializer)

    @extend_schema(
        request=WaitlistJoinSerializer,
        responses={201: MeWaitlistEntrySerializer},
        description="Ask for a stall on a full market day of a market that accepted you. "
        "Conflict codes: `day_not_full`, `already_on_waitlist`, `vendor_already_booked`, "
        "`market_day_in_past`, `market_day_cancelled`.",
    )
    def post(self, request):
        self.get_vendor()
        serializer = WaitlistJoinSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.waitlist_join(
            user=request.user, market_day_id=serializer.validated_data["market_day_id"]
        )
        entry = selectors.vendor_waitlist_entry_list(vendor=self.get_vendor()).get(pk=entry.pk)
        return Response(MeWaitlistEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class MeOfferListView(VendorAPIView):
    queryset = StallOffer.objects.none()
    serializer_class = StallOfferSerializer
    cursor_ordering = "-id"

    @extend_schema(responses=StallOfferSerializer(many=True))
    def get(self, request):
        """The stalls offered to the signed-in vendor, newest first."""
        return self.list_response(
            selectors.vendor_offer_list(vendor=self.get_vendor()), StallOfferSerializer
        )


OFFER_CONFLICTS = "`offer_expired`, `offer_answered`, `vendor_not_accepted`"


class MeOfferAcceptView(VendorAPIView):
    serializer_class = VendorBookingSerializer
    error_statuses = {"POST": (409,)}

    @extend_schema(
        request=None,
        responses={201: VendorBookingSerializer},
        description="Accept a stall offered to you: it is booked. 403 `offer_not_yours`; "
        f"conflict codes: {OFFER_CONFLICTS}, `vendor_already_booked`, `market_day_in_past`, "
        "`market_day_cancelled`.",
    )
    def post(self, request, offer_id):
        self.get_vendor()
        booking = services.stall_offer_accept(user=request.user, offer_id=offer_id)
        booking = selectors.vendor_booking_list(vendor=self.get_vendor()).get(pk=booking.pk)
        return Response(VendorBookingSerializer(booking).data, status=status.HTTP_201_CREATED)


class MeOfferDeclineView(VendorAPIView):
    serializer_class = StallOfferSerializer
    error_statuses = {"POST": (409,)}

    @extend_schema(
        request=None,
        responses=StallOfferSerializer,
        description="Decline a stall offered to you: it goes to the next vendor waiting. "
        f"403 `offer_not_yours`; conflict codes: {OFFER_CONFLICTS}.",
    )
    def post(self, request, offer_id):
        self.get_vendor()
        offer = services.stall_offer_decline(user=request.user, offer_id=offer_id)
        return Response(StallOfferSerializer(offer).data)
