"""Writes of stalls and bookings.

A booking is made under a lock on its market day row, so bookings of one day serialize;
the unique constraints on (day, stall) and (day, vendor) are the final guarantee.
"""

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from applications.selectors import (
    accepted_application_get_for_update,
    accepted_vendor_ids_lock,
    application_is_accepted,
)
from applications.services import application_mark_withdrawn
from marketflow.audit import ADDITION, CHANGE, DELETION, audit_record, audit_records
from marketflow.currencies import format_money
from marketflow.errors import MarketDayCancelledError, MarketDayInPastError
from marketflow.models import MarketDay, User
from marketflow.selectors import market_day_get_for_update, market_get
from marketflow.validation import full_clean, only_fields
from stalls.errors import (
    BookingPaidError,
    StallAlreadyBookedError,
    StallHasBookingsError,
    StallLabelTakenError,
    VendorAlreadyBookedError,
    VendorNotAcceptedError,
)
from stalls.models import Booking, Stall
from stalls.selectors import booking_get_for_update, stall_get, stall_get_for_update

# What an organizer sets on a stall, by model field name: the admin's forms and the API's
# serializers list these (the API names the regular vendor by id, ``assigned_vendor_id``).
STALL_FIELDS = ("label", "size_category", "price_per_day", "assigned_vendor", "notes")


def _save_stall(stall: Stall) -> None:
    try:  # no savepoint: the error ends the transaction
        stall.save()
    except IntegrityError:
        raise StallLabelTakenError(extra={"label": stall.label}) from None


def _check_stall(stall: Stall, *, vendor_changed: bool = True) -> None:
    full_clean(stall, exclude=["market", "assigned_vendor"])
    vendor_id = stall.assigned_vendor_id
    # Judged when the regular vendor is set: a regular who withdrew later must not block
    # every other edit of the stall.
    if (
        vendor_changed
        and vendor_id is not None
        and not application_is_accepted(market=stall.market, vendor_id=vendor_id)
    ):
        raise VendorNotAcceptedError(
            "A stall's regular vendor must have an accepted application to the market.",
            extra={"vendor_id": str(vendor_id)},
        )


def _stall_fields(fields: dict) -> dict:
    """``STALL_FIELDS``, the regular vendor given as a Vendor or as ``assigned_vendor_id``."""
    if "assigned_vendor" in fields:
        vendor = fields.pop("assigned_vendor")
        fields["assigned_vendor_id"] = vendor.pk if vendor is not None else None
    return only_fields(fields, tuple(Stall._meta.get_field(name).attname for name in STALL_FIELDS))


@transaction.atomic
def stall_create(*, user: User, market_id: UUID, label: str, **fields) -> Stall:
    """Add a stall to a market. Raises StallLabelTakenError, VendorNotAcceptedError."""
    market = market_get(user=user, market_id=market_id)
    stall = Stall(market=market, label=label, **_stall_fields(fields))
    _check_stall(stall)
    _save_stall(stall)
    return stall


@transaction.atomic
def stall_update(*, user: User, market_id: UUID, stall_id: UUID, **fields) -> Stall:
    """Change a stall. Booked fees keep the price they were booked at. Locks the stall."""
    market = market_get(user=user, market_id=market_id)
    stall = stall_get_for_update(market=market, stall_id=stall_id)
    regular_before = stall.assigned_vendor_id
    for name, value in _stall_fields(fields).items():
        setattr(stall, name, value)
    _check_stall(stall, vendor_changed=stall.assigned_vendor_id != regular_before)
    _save_stall(stall)
    return stall


@transaction.atomic
def stall_delete(*, user: User, market_id: UUID, stall_id: UUID) -> None:
    """Remove a stall that has never been booked. Raises StallHasBookingsError."""
    market = market_get(user=user, market_id=market_id)
    stall = stall_get_for_update(market=market, stall_id=stall_id)
    try:
        stall.delete()
    except ProtectedError:
        raise StallHasBookingsError() from None


def _check_day_open(market_day: MarketDay) -> None:
    if market_day.status == MarketDay.Status.CANCELLED:
        raise MarketDayCancelledError(extra={"date": str(market_day.date)})
    if market_day.date < market_day.market.today():
        raise MarketDayInPastError(extra={"date": str(market_day.date)})


def _where(booking: Booking) -> str:
    return f"on stall {booking.stall.label} for {booking.market_day.date:%Y-%m-%d}"


def _fee(booking: Booking) -> str:
    return format_money(booking.fee_cents, booking.market_day.market.currency)


def _audit_cancelled(user: User, bookings: list[Booking], describe: Callable) -> None:
    """Recorded on each booking (the entry keeps its description after the row is gone) and
    on its market day, whose history page outlives the booking."""
    messages = [(booking, describe(booking)) for booking in bookings]
    audit_records(
        user=user,
        entries=[(b, message, DELETION) for b, message in messages]
        + [(b.market_day, message, CHANGE) for b, message in messages],
    )


@transaction.atomic
def booking_create(
    *,
    user: User,
    market_id: UUID,
    market_day_id: UUID,
    stall_id: UUID,
    vendor_id: UUID,
) -> Booking:
    """Book an accepted vendor onto a free stall for one market day.

    Locks the market day row, then the vendor's accepted application (a withdrawal, which
    releases the vendor's bookings, waits for us or we see it); the fee is copied from the
    stall's current price. Raises
    MarketNotFoundError, MarketDayNotFoundError, StallNotFoundError, MarketDayCancelledError,
    MarketDayInPastError, VendorNotAcceptedError, StallAlreadyBookedError,
    VendorAlreadyBookedError.
    """
    market = market_get(user=user, market_id=market_id)
    market_day = market_day_get_for_update(market=market, market_day_id=market_day_id)
    stall = stall_get(market=market, stall_id=stall_id)
    _check_day_open(market_day)
    # Locked, not just read: a withdrawal committing before our insert would miss the booking.
    accepted = accepted_application_get_for_update(market=market, vendor_id=vendor_id)
    if accepted is None:
        raise VendorNotAcceptedError(extra={"vendor_id": str(vendor_id)})
    date = str(market_day.date)
    stall_taken = StallAlreadyBookedError(extra={"stall": stall.label, "date": date})
    vendor_taken = VendorAlreadyBookedError(extra={"vendor_id": str(vendor_id), "date": date})
    booked_stall_ids = list(
        Booking.objects.filter(
            Q(stall=stall) | Q(vendor_id=vendor_id), market_day=market_day
        ).values_list("stall_id", flat=True)
    )
    if booked_stall_ids:
        raise stall_taken if stall.pk in booked_stall_ids else vendor_taken
    try:  # no savepoint: the error ends the transaction
        booking = Booking.objects.create(
            market_day=market_day,
            stall=stall,
            vendor_id=vendor_id,
            fee_cents=stall.price_per_day or 0,
            booked_by=user,
        )
    except IntegrityError as error:  # only a writer that skipped the day's lock gets here
        # PostgreSQL names the constraint (psycopg's public ``Diagnostic``); SQLite does not.
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
        conflict = {
            "booking_unique_stall_per_day": stall_taken,
            "booking_unique_vendor_per_day": vendor_taken,
        }.get(constraint)
        if conflict is None:
            raise
        raise conflict from None
    audit_record(
        user=user,
        obj=booking,
        message=f"Booked {accepted.business_name} {_where(booking)}, fee {_fee(booking)}.",
        action=ADDITION,
    )
    return booking


@dataclass(frozen=True)
class RegularsFill:
    booked: list[Booking]
    skipped: list[tuple[Stall, str]]  # a stall with a regular vendor left as it was, and why


@transaction.atomic
def booking_fill_from_regulars(*, user: User, market_id: UUID, market_day_id: UUID) -> RegularsFill:
    """Book each stall's regular vendor onto it for one market day, where the stall is free,
    the vendor has an accepted application and no other stall that day.

    Locks the market day row, as ``booking_create`` does, so the free stalls read here stay
    free until the insert. Raises MarketNotFoundError, MarketDayNotFoundError,
    MarketDayCancelledError, MarketDayInPastError.
    """
    market = market_get(user=user, market_id=market_id)
    market_day = market_day_get_for_update(market=market, market_day_id=market_day_id)
    _check_day_open(market_day)
    day_bookings = list(
        Booking.objects.filter(market_day=market_day).values_list("stall_id", "vendor_id")
    )
    booked_stall_ids = {stall_id for stall_id, _vendor_id in day_bookings}
    booked_vendor_ids = {vendor_id for _stall_id, vendor_id in day_bookings}
    regular_stalls = list(
        Stall.objects.filter(market=market, assigned_vendor__isnull=False).order_by("label")
    )
    # Locked, as in booking_create: a withdrawal must either wait for us or be seen by us.
    accepted_vendor_ids = accepted_vendor_ids_lock(
        market=market, vendor_ids={stall.assigned_vendor_id for stall in regular_stalls}
    )
    new_bookings: list[Booking] = []
    skipped: list[tuple[Stall, str]] = []
    for stall in regular_stalls:
        vendor_id = stall.assigned_vendor_id
        if stall.pk in booked_stall_ids:
            skipped.append((stall, "the stall is already booked"))
        elif vendor_id not in accepted_vendor_ids:
            skipped.append((stall, "its regular vendor has no accepted application"))
        elif vendor_id in booked_vendor_ids:
            skipped.append((stall, "its regular vendor already has a stall that day"))
        else:
            booked_vendor_ids.add(vendor_id)
            new_bookings.append(
                Booking(
                    market_day=market_day,
                    stall=stall,
                    vendor_id=vendor_id,
                    fee_cents=stall.price_per_day or 0,
                    booked_by=user,
                )
            )
    try:  # the constraints are the last word; no savepoint: the error ends the transaction
        Booking.objects.bulk_create(new_bookings)
    except IntegrityError:
        raise StallAlreadyBookedError(extra={"date": str(market_day.date)}) from None
    audit_records(
        user=user,
        entries=[
            (
                booking,
                f"Booked the stall's regular vendor {_where(booking)}, fee {_fee(booking)}.",
                ADDITION,
            )
            for booking in new_bookings
        ],
    )
    return RegularsFill(booked=new_bookings, skipped=skipped)


@transaction.atomic
def booking_update_payment(
    *,
    user: User,
    market_id: UUID,
    market_day_id: UUID,
    booking_id: UUID,
    payment_status: str,
) -> Booking:
    """Record that a booking's fee was paid, waived, or is unpaid again. Locks the booking."""
    market = market_get(user=user, market_id=market_id)
    market_day = market_day_get_for_update(market=market, market_day_id=market_day_id)
    booking = booking_get_for_update(market_day=market_day, booking_id=booking_id)
    booking.market_day = market_day  # the row locked above, with its market
    previous = booking.get_payment_status_display()
    booking.payment_status = payment_status
    booking.paid_at = timezone.now() if payment_status == Booking.PaymentStatus.PAID else None
    full_clean(booking, exclude=["market_day", "stall", "vendor", "booked_by"])
    booking.save(update_fields=["payment_status", "paid_at", "updated_at"])
    audit_record(
        user=user,
        obj=booking,
        message=f"Payment: {booking.get_payment_status_display().lower()} "
        f"(was {previous.lower()}), fee {_fee(booking)}.",
    )
    return booking


@transaction.atomic
def booking_delete(*, user: User, market_id: UUID, market_day_id: UUID, booking_id: UUID) -> None:
    """Cancel a booking on a day still to come. Raises MarketDayInPastError, BookingPaidError."""
    market = market_get(user=user, market_id=market_id)
    market_day = market_day_get_for_update(market=market, market_day_id=market_day_id)
    booking = booking_get_for_update(market_day=market_day, booking_id=booking_id)
    if market_day.date < market.today():
        raise MarketDayInPastError(
            "Bookings of past market days are kept as records.",
            extra={"date": str(market_day.date)},
        )
    if booking.payment_status == Booking.PaymentStatus.PAID:
        raise BookingPaidError()
    booking.market_day = market_day  # the row locked above, with its market
    vendor_name = booking.vendor.business_name
    _audit_cancelled(
        user, [booking], lambda b: f"Cancelled the booking of {vendor_name} {_where(b)}."
    )
    booking.delete()


@transaction.atomic
def application_withdraw(*, user: User, application_id: UUID):
    """The signed-in vendor withdraws an open application of theirs; their unpaid bookings on
    the market's days still to come are released, so the organizer can give the stalls to
    someone else. Locks the market, the application, then those bookings. Raises
    NotAVendorError, ApplicationNotFoundError, InvalidTransitionError."""
    application = application_mark_withdrawn(user=user, application_id=application_id)
    today = application.market.today()
    # Locked, in pk order: a payment recorded meanwhile either waits for the release (and
    # finds the booking gone) or commits first (and the paid booking is not selected).
    released = list(
        Booking.objects.select_for_update(of=("self",))
        .filter(
            vendor_id=application.vendor_id,
            market_day__market_id=application.market_id,
            market_day__date__gte=today,
        )
        .exclude(payment_status=Booking.PaymentStatus.PAID)
        .select_related("stall", "market_day__market")
        .order_by("pk")
    )
    if released:
        _audit_cancelled(
            user,
            released,
            lambda b: (
                f"Released the booking of {application.business_name} {_where(b)}: "
                "the vendor withdrew their application."
            ),
        )
        Booking.objects.filter(pk__in=[booking.pk for booking in released]).delete()
    return application
