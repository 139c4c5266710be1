from django.utils import timezone
from rest_framework import serializers

from marketflow.serializers import datetime_text
from stalls.models import Booking, Stall
from stalls.services import STALL_FIELDS

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


class BookingUpdateSerializer(serializers.Serializer):
    payment_status = serializers.ChoiceField(choices=Booking.PaymentStatus.choices)


class BoardBookingSerializer(serializers.ModelSerializer):
    vendor = BookingVendorSerializer(read_only=True)
    payment_method = payment_method_field()

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


class VendorFeesSerializer(FeeTotalsSerializer):
    vendor = FeeVendorSerializer()


class MarketFeesSerializer(FeeTotalsSerializer):
    """Fees owed per vendor across every day of a market, in cents of its ``currency``."""

    market_id = serializers.UUIDField()
    currency = serializers.CharField()
    vendors = VendorFeesSerializer(many=True)


TOTALS = ("days_booked", "due_cents", "paid_cents", "waived_cents")


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
                    }
                    for line in statement["lines"]
                ],
            }
            for statement in statements
        ]
    }
