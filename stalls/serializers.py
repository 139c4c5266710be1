from django.utils import timezone
from rest_framework import serializers

from marketflow.models import DocumentType
from marketflow.serializers import datetime_text
from stalls.models import Booking, Stall, StallOffer, WaitlistEntry
from stalls.services import STALL_FIELDS
from vendors.models import DocumentReview
from vendors.selectors import DOCUMENT_PROBLEMS

# The API names the regular vendor by id: the model's column names.
STALL_API_FIELDS = [Stall._meta.get_field(name).attname for name in STALL_FIELDS]


class StallReadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stall
        fields = ["id", "market_id", *STALL_API_FIELDS, "created_at", "updated_at"]
        read_only_fields = fields


def stall_data(rows) -> list[dict]:
    """What ``StallReadSerializer(many=True)`` answers, from ``selectors.stall_rows``: written
    out, as the stall list is a hot path (tests/test_fast_paths.py pins the two)."""
    zone = timezone.get_current_timezone()
    return [
        {
            **row,
            "id": str(row["id"]),
            "market_id": str(row["market_id"]),
            "assigned_vendor_id": row["assigned_vendor_id"] and str(row["assigned_vendor_id"]),
            "created_at": datetime_text(row["created_at"], zone),
            "updated_at": datetime_text(row["updated_at"], zone),
        }
        for row in rows
    ]


class StallCreateSerializer(serializers.ModelSerializer):
    """The stall's fields with the model's rules (lengths, a price not below zero)."""

    assigned_vendor_id = serializers.UUIDField(required=False, allow_null=True, default=None)

    class Meta:
        model = Stall
        fields = STALL_API_FIELDS


class StallUpdateSerializer(StallCreateSerializer):
    """The same fields, each optional: the view validates with ``partial=True``."""


class BookingVendorSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    business_name = serializers.CharField(read_only=True)


def payment_method_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=Booking.PaymentMethod.choices,
        allow_blank=True,
        read_only=True,
        help_text="How the fee was settled: `cash`, `card` (through Stripe, with its payment "
        "intent as `payment_reference`), `waived`; empty while unpaid.",
    )


class BookingReadSerializer(serializers.ModelSerializer):
    vendor = BookingVendorSerializer(read_only=True)
    payment_method = payment_method_field()
    attendance = serializers.ChoiceField(
        choices=Booking.Attendance.choices,
        allow_blank=True,
        read_only=True,
        help_text="Check-in on the day: `arrived`, `late`, `no_show`; empty until recorded.",
    )
    stall_label = serializers.CharField(source="stall.label", read_only=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "market_day_id",
            "stall_id",
            "stall_label",
            "vendor",
            "fee_cents",
            "payment_status",
            "payment_method",
            "payment_reference",
            "paid_at",
            "attendance",
            "attendance_at",
            "no_show_fee_cents",
            "cancelled_at",
            "refund_reference",
            "refunded_at",
            "refund_due",
            "credit_cents",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "cancelled_at": {"help_text": "Set when the booking was cancelled (it is kept)."},
            "refund_reference": {"help_text": "The Stripe refund of a card payment."},
            "refund_due": {
                "help_text": "A fee paid in cash that the organizer owes back (the booking or "
                "its day was cancelled) until the refund is recorded."
            },
            "credit_cents": {
                "help_text": "The part of the stall's price paid by the vendor's credit "
                "(`fee_cents` is the rest)."
            },
        }


class BookingCreateSerializer(serializers.Serializer):
    stall_id = serializers.UUIDField()
    vendor_id = serializers.UUIDField()
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Book a vendor whose required documents are not ready on the day anyway, "
        "for this reason (audited); without it such a booking is refused with "
        "`documents_not_ready`.",
    )


class MissingDocumentSerializer(serializers.Serializer):
    """A required document a vendor lacks on a day, and why."""

    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    label = serializers.CharField()
    problem = serializers.ChoiceField(choices=list(DOCUMENT_PROBLEMS))
    problem_label = serializers.CharField()


class BookingUpdateSerializer(serializers.Serializer):
    payment_status = serializers.ChoiceField(choices=Booking.PaymentStatus.choices)


class BookingAttendanceSerializer(serializers.Serializer):
    attendance = serializers.ChoiceField(choices=Booking.Attendance.choices)


class BoardBookingSerializer(serializers.ModelSerializer):
    vendor = BookingVendorSerializer(read_only=True)
    payment_method = payment_method_field()
    documents_ready = serializers.BooleanField(
        help_text="Every document the market requires is approved and valid on the day."
    )
    missing_documents = MissingDocumentSerializer(many=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "vendor",
            "fee_cents",
            "payment_status",
            "payment_method",
            "payment_reference",
            "paid_at",
            "documents_ready",
            "missing_documents",
        ]
        read_only_fields = fields


class BoardStallSerializer(serializers.ModelSerializer):
    booking = BoardBookingSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Stall
        fields = ["id", "label", "size_category", "price_per_day", "assigned_vendor_id", "booking"]
        read_only_fields = fields


class StallBoardSerializer(serializers.Serializer):
    market_day_id = serializers.UUIDField(source="market_day.id")
    date = serializers.DateField(source="market_day.date")
    status = serializers.CharField(source="market_day.status")
    booked_count = serializers.IntegerField()
    free_count = serializers.IntegerField()
    fees_due_cents = serializers.IntegerField()
    fees_paid_cents = serializers.IntegerField()
    stalls = BoardStallSerializer(many=True)


class VendorBookingSerializer(serializers.ModelSerializer):
    """A booking as its vendor sees it in the portal."""

    date = serializers.DateField(source="market_day.date", read_only=True)
    start_time = serializers.TimeField(source="market_day.start_time", read_only=True)
    end_time = serializers.TimeField(source="market_day.end_time", read_only=True)
    market_id = serializers.UUIDField(source="market_day.market_id", read_only=True)
    market_name = serializers.CharField(source="market_day.market.name", read_only=True)
    currency = serializers.CharField(source="market_day.market.currency", read_only=True)
    stall_label = serializers.CharField(source="stall.label", read_only=True)
    payment_method = payment_method_field()

    class Meta:
        model = Booking
        fields = [
            "id",
            "date",
            "start_time",
            "end_time",
            "market_id",
            "market_name",
            "stall_label",
            "fee_cents",
            "currency",
            "payment_status",
            "payment_method",
            "cancelled_at",
        ]
        read_only_fields = fields


def vendor_booking_data(rows) -> list[dict]:
    """What ``VendorBookingSerializer(many=True)`` answers, from
    ``selectors.vendor_booking_rows``: written out, as the vendor's bookings are a hot path
    (tests/test_fast_paths.py pins the two)."""
    zone = timezone.get_current_timezone()
    return [
        {
            "id": str(row["id"]),
            "date": row["market_day__date"].isoformat(),
            "start_time": row["market_day__start_time"].isoformat(),
            "end_time": row["market_day__end_time"].isoformat(),
            "market_id": str(row["market_day__market_id"]),
            "market_name": row["market_day__market__name"],
            "stall_label": row["stall__label"],
            "fee_cents": row["fee_cents"],
            "currency": row["market_day__market__currency"],
            "payment_status": row["payment_status"],
            "payment_method": row["payment_method"],
            "cancelled_at": datetime_text(row["cancelled_at"], zone),
        }
        for row in rows
    ]


class FeeVendorSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    business_name = serializers.CharField()
    contact_name = serializers.CharField()
    email = serializers.EmailField()
    phone = serializers.CharField()


class FeeTotalsSerializer(serializers.Serializer):
    days_booked = serializers.IntegerField(
        help_text="Bookings on the market's days (not cancelled ones)."
    )
    due_cents = serializers.IntegerField(
        help_text="Unpaid fees of bookings on days that take place (a cancelled day's or "
        "booking's fee is not due)."
    )
    paid_cents = serializers.IntegerField()
    waived_cents = serializers.IntegerField()
    sales_fees_cents = serializers.IntegerField(
        help_text="What the market's sales fee rule added to days that take place (a "
        "percentage of the reported gross, or the stall fee of a day not reported in time): "
        "counted in `due_cents`, `paid_cents` or `waived_cents` by its status."
    )
    no_show_fees_cents = serializers.IntegerField(
        help_text="The market's no-show fees, charged for the days the vendor was booked and "
        "did not come (recorded at check-in)."
    )


class VendorFeesSerializer(FeeTotalsSerializer):
    vendor = FeeVendorSerializer()


class MarketFeesSerializer(FeeTotalsSerializer):
    """Fees owed per vendor across every day of a market, in cents of its ``currency``."""

    market_id = serializers.UUIDField()
    currency = serializers.CharField()
    vendors = VendorFeesSerializer(many=True)


TOTALS = (
    "days_booked", "due_cents", "paid_cents", "waived_cents", "sales_fees_cents",
    "no_show_fees_cents",
)  # fmt: skip


def market_fees_data(*, market, vendor_rows, totals: dict) -> dict:
    """What ``MarketFeesSerializer`` says, from ``market_fee_statements`` rows and
    ``market_fee_totals``; stalls/tests/test_fee_statements.py holds it to the serializer."""
    return {
        "market_id": str(market.pk),
        "currency": market.currency,
        **{name: totals[name] for name in TOTALS},
        "vendors": [
            {
                "vendor": {
                    "id": str(row["vendor_id"]),
                    "business_name": row["vendor__business_name"],
                    "contact_name": row["vendor__contact_name"],
                    "email": row["vendor__email"],
                    "phone": row["vendor__phone"],
                },
                **{name: row[name] for name in TOTALS},
            }
            for row in vendor_rows
        ],
    }


class FeeLineSerializer(serializers.Serializer):
    booking_id = serializers.UUIDField()
    date = serializers.DateField()
    day_status = serializers.CharField(help_text="`cancelled`: the fee is not due.")
    stall_label = serializers.CharField()
    fee_cents = serializers.IntegerField()
    payment_status = serializers.ChoiceField(choices=Booking.PaymentStatus.choices)
    paid_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(
        allow_null=True, help_text="Set when the booking was cancelled: its fee is not due."
    )
    credit_cents = serializers.IntegerField(
        help_text="The part of the stall's price paid by the vendor's credit (`fee_cents` is "
        "the rest)."
    )
    refund_due = serializers.BooleanField(
        help_text="A fee paid in cash that the organizer owes back (booking or day cancelled)."
    )
    sales_fee_cents = serializers.IntegerField(
        help_text="What the market's sales fee rule adds to the day beyond `fee_cents`, once "
        "its sales are reported (or not, in time); paid apart (`sales_fee_status`)."
    )
    sales_fee_note = serializers.CharField(help_text="How the sales fee was computed.")
    sales_fee_status = serializers.ChoiceField(choices=Booking.PaymentStatus.choices)


class NoShowFeeLineSerializer(serializers.Serializer):
    booking_id = serializers.UUIDField()
    date = serializers.DateField()
    stall_label = serializers.CharField()
    fee_cents = serializers.IntegerField(help_text="The market's no-show fee.")


class VendorMarketFeesSerializer(FeeTotalsSerializer):
    """The signed-in vendor's fees at one market, in cents of its ``currency``."""

    market_id = serializers.UUIDField()
    market_name = serializers.CharField()
    currency = serializers.CharField()
    credit_cents = serializers.IntegerField(
        help_text="Credit available at this market (paid fees of cancelled market days), "
        "applied to the fee of the next booking there."
    )
    lines = FeeLineSerializer(many=True)
    no_show_fees = NoShowFeeLineSerializer(many=True)


class MeFeesSerializer(serializers.Serializer):
    markets = VendorMarketFeesSerializer(many=True)


def vendor_fees_data(statements: list[dict]) -> dict:
    """What ``MeFeesSerializer`` says, from ``vendor_fee_statements``."""
    zone = timezone.get_current_timezone()
    return {
        "markets": [
            {
                "market_id": str(statement["market_id"]),
                "market_name": statement["market_name"],
                "currency": statement["currency"],
                **{name: statement[name] for name in TOTALS},
                "credit_cents": statement["credit_cents"],
                "lines": [
                    {
                        "booking_id": str(line["id"]),
                        "date": line["market_day__date"].isoformat(),
                        "day_status": line["market_day__status"],
                        "stall_label": line["stall__label"],
                        "fee_cents": line["fee_cents"],
                        "payment_status": line["payment_status"],
                        "paid_at": datetime_text(line["paid_at"], zone),
                        "cancelled_at": datetime_text(line["cancelled_at"], zone),
                        "credit_cents": line["credit_cents"],
                        "refund_due": line["refund_due"],
                        "sales_fee_cents": line["sales_fee_cents"],
                        "sales_fee_note": line["sales_fee_note"],
                        "sales_fee_status": line["sales_fee_status"],
                    }
                    for line in statement["lines"]
                ],
                "no_show_fees": [
                    {
                        "booking_id": str(line["id"]),
                        "date": line["market_day__date"].isoformat(),
                        "stall_label": line["stall__label"],
                        "fee_cents": line["no_show_fee_cents"],
                    }
                    for line in statement["no_show_fees"]
                ],
            }
            for statement in statements
        ]
    }


class ReadinessDaySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    date = serializers.DateField()


class NotReadyVendorSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The vendor's id.")
    business_name = serializers.CharField()
    stall_label = serializers.CharField(
        allow_null=True, help_text="The vendor's stall on the day; null when not booked."
    )
    missing_documents = MissingDocumentSerializer(many=True)


class ExpiringDocumentSerializer(serializers.Serializer):
    document_id = serializers.UUIDField()
    vendor_id = serializers.UUIDField()
    business_name = serializers.CharField()
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    original_filename = serializers.CharField()
    expires_on = serializers.DateField()
    review_status = serializers.ChoiceField(
        choices=[("", "Not reviewed"), *DocumentReview.Status.choices],
        help_text="This market's review of the document; empty when not reviewed.",
    )


class MarketReadinessSerializer(serializers.Serializer):
    """Who is not ready for the next market day, and which documents expire soon."""

    market_id = serializers.UUIDField()
    today = serializers.DateField(help_text="Today at the market, in its time zone.")
    market_day = ReadinessDaySerializer(
        allow_null=True, help_text="The next scheduled market day; null when there is none."
    )
    not_ready = NotReadyVendorSerializer(
        many=True,
        help_text="Accepted vendors whose required documents are not ready on that day.",
    )
    expiring = ExpiringDocumentSerializer(
        many=True, help_text="Documents of required types expiring within 30 days."
    )


# -- waitlist offers ---------------------------------------------------------------------------


class WaitlistEntrySerializer(serializers.ModelSerializer):
    """A vendor on a market day's waitlist, as the organizer sees it."""

    vendor = BookingVendorSerializer(read_only=True)

    class Meta:
        model = WaitlistEntry
        fields = ["id", "market_day_id", "vendor", "priority_points", "state", "created_at"]
        read_only_fields = fields


class WaitlistEntryUpdateSerializer(serializers.Serializer):
    priority_points = serializers.IntegerField(min_value=0, max_value=1_000_000)


class StallOfferSerializer(serializers.ModelSerializer):
    """A freed stall offered to a vendor from the day's waitlist (organizer and vendor)."""

    vendor = BookingVendorSerializer(read_only=True)
    stall_label = serializers.CharField(source="stall.label", read_only=True)
    date = serializers.DateField(source="market_day.date", read_only=True)
    position = serializers.IntegerField(
        read_only=True, help_text="The vendor's place on the waitlist when offered (1: first)."
    )

    class Meta:
        model = StallOffer
        fields = [
            "id",
            "market_day_id",
            "date",
            "stall_id",
            "stall_label",
            "vendor",
            "position",
            "state",
            "expires_at",
            "answered_at",
            "created_at",
        ]
        read_only_fields = fields


class MeWaitlistEntrySerializer(serializers.ModelSerializer):
    """One of the signed-in vendor's waitlist entries."""

    date = serializers.DateField(source="market_day.date", read_only=True)
    market_id = serializers.UUIDField(source="market_day.market_id", read_only=True)
    market_name = serializers.CharField(source="market_day.market.name", read_only=True)

    class Meta:
        model = WaitlistEntry
        fields = ["id", "market_day_id", "date", "market_id", "market_name", "state", "created_at"]
        read_only_fields = fields


class WaitlistJoinSerializer(serializers.Serializer):
    market_day_id = serializers.UUIDField()


class OffersPauseSerializer(serializers.Serializer):
    paused = serializers.BooleanField(help_text="true: no new offers for the day; false: resume.")


class OffersPausedSerializer(serializers.Serializer):
    market_day_id = serializers.UUIDField(source="pk")
    offers_paused = serializers.BooleanField()
