"""Reads of stalls and bookings, scoped to a market, a market day or a vendor."""

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, QuerySet
from django.utils import timezone

from marketflow.models import Market, MarketDay
from marketflow.selectors import subquery_count
from stalls.errors import BookingNotFoundError, StallNotFoundError
from stalls.models import Booking, Stall
from vendors.models import Vendor


def stall_list(*, market: Market) -> QuerySet[Stall]:
    return Stall.objects.filter(market=market).order_by("label")


def stall_get(*, market: Market, stall_id: UUID | str) -> Stall:
    """A stall of ``market``; a stall of any other market is not found."""
    try:
        return Stall.objects.get(pk=stall_id, market=market)
    except (Stall.DoesNotExist, ValidationError, ValueError, TypeError):
        raise StallNotFoundError() from None


def stall_get_for_update(*, market: Market, stall_id: UUID | str) -> Stall:
    try:
        return Stall.objects.select_for_update(no_key=True).get(pk=stall_id, market=market)
    except (Stall.DoesNotExist, ValidationError, ValueError, TypeError):
        raise StallNotFoundError() from None


def market_day_fill_counts() -> dict:
    """Columns to annotate market days with: ``booked_count`` (its bookings) and
    ``stall_count`` (its market's stalls), one query however many days are listed."""
    return {
        "booked_count": subquery_count(Booking.objects.filter(market_day=OuterRef("pk"))),
        "stall_count": subquery_count(Stall.objects.filter(market=OuterRef("market"))),
    }


def booking_list(*, market_day: MarketDay) -> QuerySet[Booking]:
    return Booking.objects.filter(market_day=market_day).select_related("stall", "vendor")


def booking_get(*, market_day: MarketDay, booking_id: UUID | str) -> Booking:
    try:
        return Booking.objects.select_related("stall", "vendor", "market_day").get(
            pk=booking_id, market_day=market_day
        )
    except (Booking.DoesNotExist, ValidationError, ValueError, TypeError):
        raise BookingNotFoundError() from None


def booking_get_for_update(*, market_day: MarketDay, booking_id: UUID | str) -> Booking:
    try:
        return Booking.objects.select_for_update(no_key=True).get(
            pk=booking_id, market_day=market_day
        )
    except (Booking.DoesNotExist, ValidationError, ValueError, TypeError):
        raise BookingNotFoundError() from None


def vendor_booking_list(*, vendor: Vendor, upcoming_only: bool = False) -> QuerySet[Booking]:
    bookings = Booking.objects.filter(vendor=vendor).select_related(
        "stall", "market_day", "market_day__market"
    )
    if upcoming_only:
        # A day's margin: "today" depends on each market's time zone (UTC-12 to UTC+14).
        bookings = bookings.filter(market_day__date__gte=timezone.now().date() - timedelta(days=1))
    return bookings


@dataclass(frozen=True)
class StallBoard:
    market_day: MarketDay
    stalls: list[Stall]  # each with ``booking`` set to its Booking for the day, or None

    @property
    def booked_count(self) -> int:
        return sum(1 for stall in self.stalls if stall.booking is not None)

    @property
    def free_count(self) -> int:
        return len(self.stalls) - self.booked_count

    @property
    def fees_due_cents(self) -> int:
        return sum(
            s.booking.fee_cents
            for s in self.stalls
            if s.booking is not None and s.booking.payment_status == Booking.PaymentStatus.UNPAID
        )

    @property
    def fees_paid_cents(self) -> int:
        return sum(
            s.booking.fee_cents
            for s in self.stalls
            if s.booking is not None and s.booking.payment_status == Booking.PaymentStatus.PAID
        )


def stall_board(*, market_day: MarketDay) -> StallBoard:
    """Every stall of the day's market, each with its booking for that day or None: 2 queries."""
    stalls = list(
        stall_list(market=market_day.market).prefetch_related(
            Prefetch(
                "bookings",
                queryset=Booking.objects.filter(market_day=market_day).select_related("vendor"),
                to_attr="day_bookings",
            )
        )
    )
    for stall in stalls:
        stall.booking = stall.day_bookings[0] if stall.day_bookings else None
    return StallBoard(market_day=market_day, stalls=stalls)
