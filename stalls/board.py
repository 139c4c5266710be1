"""The stall board of a market day as the API answers it, read with two prepared ``values()``
queries instead of model instances and a prefetch (`make bench`: the board was 4x its SQL).

``board_data`` answers exactly what ``StallBoardSerializer(stall_board(market_day)).data``
answers (``tests/test_board_rows.py`` compares the two); the admin's stall board renders its
rows from the same data.
"""

from uuid import UUID

from marketflow.models import MarketDay
from marketflow.prepared import PreparedList
from marketflow.rows import values_rows
from stalls.models import Booking, Stall
from stalls.serializers import BoardBookingSerializer, BoardStallSerializer


class BoardStallRowSerializer(BoardStallSerializer):
    """A board stall without its booking: the booking is read by a second query."""

    class Meta(BoardStallSerializer.Meta):
        fields = [name for name in BoardStallSerializer.Meta.fields if name != "booking"]
        read_only_fields = fields


_stalls = PreparedList(lambda market_id: Stall.objects.filter(market_id=market_id), market_id=UUID)
_bookings = PreparedList(
    lambda market_day_id: Booking.objects.filter(market_day_id=market_day_id),
    market_day_id=UUID,
)


def board_data(market_day: MarketDay) -> dict:
    stall_rows = values_rows(BoardStallRowSerializer)
    booking_rows = values_rows(BoardBookingSerializer)
    stalls = list(
        _stalls.values(stall_rows.columns("label"), market_id=market_day.market_id).order_by(
            "label"
        )
    )
    bookings = list(
        _bookings.values(booking_rows.columns("stall_id"), market_day_id=market_day.pk).order_by(
            "id"
        )
    )
    rendered = dict(
        zip((row["stall_id"] for row in bookings), booking_rows.render(bookings), strict=True)
    )
    board_stalls = stall_rows.render(stalls)
    for stall, row in zip(board_stalls, stalls, strict=True):
        stall["booking"] = rendered.get(row["id"])
    unpaid = Booking.PaymentStatus.UNPAID
    paid = Booking.PaymentStatus.PAID
    stall_ids = {row["id"] for row in stalls}
    booked = [row for row in bookings if row["stall_id"] in stall_ids]
    return {
        "market_day_id": str(market_day.pk),
        "date": market_day.date.isoformat(),
        "status": market_day.status,
        "booked_count": len(booked),
        "free_count": len(stalls) - len(booked),
        "fees_due_cents": sum(b["fee_cents"] for b in booked if b["payment_status"] == unpaid),
        "fees_paid_cents": sum(b["fee_cents"] for b in booked if b["payment_status"] == paid),
        "stalls": board_stalls,
    }
