"""Writes of stalls and bookings.

A booking is made under a lock on its market day row, so bookings of one day serialize;
the unique constraints on (day, stall) and (day, vendor) are the final guarantee.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, ProtectedError, Q
from django.utils import timezone
from django.utils.formats import date_format

from applications import tasks as application_tasks
from applications.models import Application
from applications.selectors import (
    accepted_application_get_for_update,
    accepted_vendor_ids_lock,
    active_vendor_list,
    application_is_accepted,
)
from applications.services import (
    ImportedVendor,
    application_import_errors,
    application_mark_revoked,
    application_mark_withdrawn,
    applications_import_accepted,
    import_plan_check,
)
from marketflow import services as core_services
from marketflow.audit import ADDITION, CHANGE, audit_record, audit_records
from marketflow.currencies import format_money
from marketflow.email_tasks import enqueue_email
from marketflow.errors import (
    MarketDayCancelledError,
    MarketDayInPastError,
    MarketDayNotFoundError,
    PlanLimitReachedError,
    ValidationFailedError,
)
from marketflow.models import Market, MarketDay, User
from marketflow.selectors import (
    market_day_get,
    market_day_get_for_update,
    market_get,
    market_get_for_update,
    suppressed_emails,
)
from marketflow.validation import full_clean, only_fields
from stalls import tasks
from stalls.errors import (
    AlreadyOnWaitlistError,
    BookingAlreadyCancelledError,
    BookingAttendanceRecordedError,
    BookingPaidByCardError,
    BookingSettledError,
    DayNotFullError,
    DocumentsNotReadyError,
    MarketDayNotTodayError,
    MessageHasNoRecipientsError,
    OfferAnsweredError,
    OfferExpiredError,
    OfferNotYoursError,
    StallAlreadyBookedError,
    StallHasBookingsError,
    StallLabelTakenError,
    StallOnOfferError,
    VendorAlreadyBookedError,
    VendorNotAcceptedError,
)
from stalls.models import (
    Booking,
    LateCancellation,
    MarketMessage,
    Stall,
    StallOffer,
    VendorCredit,
    WaitlistEntry,
)
from stalls.payments import booking_refund_card_payment, is_paid_by_card
from stalls.selectors import (
    booking_get_for_update,
    free_stalls,
    stall_get,
    stall_get_for_update,
    stall_offer_get,
    stall_offer_get_for_update,
    waitlist_entry_get,
    waitlist_ordering,
)
from vendors.selectors import readiness_text, vendor_for_user, vendor_readiness

OVERRIDE_REASON_MAX_LENGTH = 500

# What an organizer sets on a stall, by model field name: the admin's forms and the API's
# serializers list these (the API names the regular vendor by id, ``assigned_vendor_id``).
STALL_FIELDS = ("label", "size_category", "price_per_day", "assigned_vendor", "notes")

PaymentStatus = Booking.PaymentStatus

# How a fee was settled, by the payment status an organizer records.
PAYMENT_METHOD_OF_STATUS = {
    Booking.PaymentStatus.PAID: Booking.PaymentMethod.CASH,
    Booking.PaymentStatus.WAIVED: Booking.PaymentMethod.WAIVED,
    Booking.PaymentStatus.UNPAID: "",
}


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
    """Add a stall to a market; on each coming day with vendors waiting it is offered to the
    first (locking those days). Raises StallLabelTakenError, VendorNotAcceptedError."""
    market = market_get(user=user, market_id=market_id)
    stall = Stall(market=market, label=label, **_stall_fields(fields))
    _check_stall(stall)
    _save_stall(stall)
    waiting_day_ids = WaitlistEntry.objects.filter(
        market_day__market=market,
        market_day__date__gte=market.today(),
        state=WaitlistEntry.State.WAITING,
    ).values_list("market_day_id", flat=True)
    for market_day in _days_lock(set(waiting_day_ids)):
        _offer_free_stalls(user, market_day, f"stall {stall.label} was added")
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
    return f"on stall {booking.stall.label} for {date_format(booking.market_day.date)}"


def _fee(booking: Booking) -> str:
    return format_money(booking.fee_cents, booking.market_day.market.currency)


def _cancel(user: User, bookings: list[Booking], describe: Callable, reason: str) -> None:
    """Cancel ``bookings`` (locked, active), keeping their rows: their stalls and the
    vendors' days are free again. Recorded on each booking and on its market day."""
    messages = [(booking, describe(booking)) for booking in bookings]
    now = timezone.now()
    for booking in bookings:
        booking.cancelled_at, booking.cancelled_by, booking.cancel_reason = now, user, reason
        booking.updated_at = now
    Booking.objects.bulk_update(bookings, CANCELLED_FIELDS)
    # Credits a cancelled booking had used are the vendor's again.
    if credited := [booking for booking in bookings if booking.credit_cents]:
        VendorCredit.objects.filter(used_on__in=credited).update(
            used_on=None, used_at=None, updated_at=now
        )
    audit_records(
        user=user,
        entries=[(b, message, CHANGE) for b, message in messages]
        + [(b.market_day, message, CHANGE) for b, message in messages],
    )


def _check_ready(market_day: MarketDay, vendor_id: UUID, override_reason: str) -> str:
    """Refuse a vendor whose required documents are not ready on the day
    (DocumentsNotReadyError, naming them) unless the organizer overrides it with a reason;
    returns what the booking's audit entry adds (the override and its reason) or ""."""
    missing = vendor_readiness(
        market=market_day.market, date=market_day.date, vendor_ids=[vendor_id]
    )[UUID(str(vendor_id))]
    if not missing:
        return ""
    override_reason = override_reason.strip()
    if not override_reason:
        raise DocumentsNotReadyError(
            f"Documents not ready for {date_format(market_day.date)}: {readiness_text(missing)}. "
            "Give a reason to book anyway.",
            extra={
                "vendor_id": str(vendor_id),
                "date": str(market_day.date),
                "documents": missing,
            },
        )
    if len(override_reason) > OVERRIDE_REASON_MAX_LENGTH:
        raise ValidationFailedError(
            fields={"override_reason": [f"At most {OVERRIDE_REASON_MAX_LENGTH} characters."]}
        )
    return f" Documents not ready ({readiness_text(missing)}), booked anyway: {override_reason}"


# What a cancellation writes: ``payment_status`` too, as a card payment becomes ``refunded``.
CANCELLED_FIELDS = [
    "cancelled_at", "cancelled_by", "cancel_reason", "payment_status", "refund_reference",
    "refunded_at", "refund_due", "updated_at",
]  # fmt: skip


@transaction.atomic
def booking_create(
    *,
    user: User,
    market_id: UUID,
    market_day_id: UUID,
    stall_id: UUID,
    vendor_id: UUID,
    fee_cents: int | None = None,
    override_reason: str = "",
) -> Booking:
    """Book an accepted vendor onto a free stall for one market day.

    Locks the market day row, then the vendor's accepted application (a withdrawal, which
    releases the vendor's bookings, waits for us or we see it); the fee is copied from the
    stall's current price unless ``fee_cents`` is given (a season fee's share). Raises
    MarketNotFoundError, MarketDayNotFoundError, StallNotFoundError, MarketDayCancelledError,
    MarketDayInPastError, VendorNotAcceptedError, StallAlreadyBookedError,
    VendorAlreadyBookedError, StallOnOfferError (an open waitlist offer holds the stall),
    DocumentsNotReadyError (the vendor's required documents are not ready on the day, and no
    ``override_reason``: the override is audited with its reason).
    """
    market = market_get(user=user, market_id=market_id)
    market_day = market_day_get_for_update(market=market, market_day_id=market_day_id)
    stall = stall_get(market=market, stall_id=stall_id)
    _check_day_open(market_day)
    _check_stall_not_on_offer(market_day, stall)
    return _book(
        user,
        market_day,
        stall,
        vendor_id,
        how="Booked",
        fee_cents=fee_cents,
        override_reason=override_reason,
    )


def _check_stall_not_on_offer(market_day: MarketDay, stall: Stall) -> None:
    """An open waitlist offer holds its stall until answered or expired."""
    if StallOffer.objects.filter(
        market_day=market_day, stall=stall, state=StallOffer.State.OPEN
    ).exists():
        raise StallOnOfferError(extra={"stall": stall.label, "date": str(market_day.date)})


def upfront_fee(market: Market, stall: Stall) -> int:
    """What a new booking charges: the stall's daily price, or nothing under the percentage
    rule (``Market.sales_fee_rule``), whose fee comes with the vendor's sales report (the
    sales app); a vendor's credits then stay for a later fee."""
    if market.sales_fee_rule == Market.SalesFeeRule.PERCENT:
        return 0
    return stall.price_per_day or 0


def _book(
    user: User,
    market_day: MarketDay,
    stall: Stall,
    vendor_id: UUID,
    *,
    how: str,
    fee_cents: int | None = None,
    override_reason: str = "",
):
    """Book ``vendor_id`` onto ``stall`` on ``market_day``, whose row the caller has locked
    and checked open: the rules every booking keeps (the vendor's documents ready, unless
    overridden with a reason), recorded as ``how``."""
    market = market_day.market
    # Locked, not just read: a withdrawal committing before our insert would miss the booking.
    accepted = accepted_application_get_for_update(market=market, vendor_id=vendor_id)
    if accepted is None:
        raise VendorNotAcceptedError(extra={"vendor_id": str(vendor_id)})
    override_note = _check_ready(market_day, vendor_id, override_reason)
    date = str(market_day.date)
    stall_taken = StallAlreadyBookedError(extra={"stall": stall.label, "date": date})
    vendor_taken = VendorAlreadyBookedError(extra={"vendor_id": str(vendor_id), "date": date})
    booked_stall_ids = list(
        Booking.objects.active()
        .filter(Q(stall=stall) | Q(vendor_id=vendor_id), market_day=market_day)
        .values_list("stall_id", flat=True)
    )
    if booked_stall_ids:
        raise stall_taken if stall.pk in booked_stall_ids else vendor_taken
    try:  # no savepoint: the error ends the transaction
        booking = Booking.objects.create(
            market_day=market_day,
            stall=stall,
            vendor_id=vendor_id,
            fee_cents=upfront_fee(market, stall) if fee_cents is None else fee_cents,
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
        message=f"{how} {accepted.business_name} {_where(booking)}, fee {_fee(booking)}."
        + override_note,
        action=ADDITION,
    )
    _apply_credits(user, market, [booking])
    return booking


@dataclass(frozen=True)
class RegularsFill:
    booked: list[Booking]
    skipped: list[tuple[Stall, str]]  # a stall with a regular vendor left as it was, and why


@transaction.atomic
def booking_fill_from_regulars(*, user: User, market_id: UUID, market_day_id: UUID) -> RegularsFill:
    """Book each stall's regular vendor onto it for one market day, where the stall is free,
    the vendor has an accepted application, no other stall that day and their required
    documents ready on the day (a vendor who is not is skipped, saying which documents: an
    override is a booking of its own, with a reason).

    Locks the market day row, as ``booking_create`` does, so the free stalls read here stay
    free until the insert. Raises MarketNotFoundError, MarketDayNotFoundError,
    MarketDayCancelledError, MarketDayInPastError.
    """
    market = market_get(user=user, market_id=market_id)
    market_day = market_day_get_for_update(market=market, market_day_id=market_day_id)
    _check_day_open(market_day)
    day_bookings = list(
        Booking.objects.active().filter(market_day=market_day).values_list("stall_id", "vendor_id")
    )
    booked_stall_ids = {stall_id for stall_id, _vendor_id in day_bookings}
    offered_stall_ids = set(
        StallOffer.objects.filter(market_day=market_day, state=StallOffer.State.OPEN).values_list(
            "stall_id", flat=True
        )
    )
    booked_vendor_ids = {vendor_id for _stall_id, vendor_id in day_bookings}
    regular_stalls = list(
        Stall.objects.filter(market=market, assigned_vendor__isnull=False).order_by("label")
    )
    # Locked, as in booking_create: a withdrawal must either wait for us or be seen by us.
    accepted_vendor_ids = accepted_vendor_ids_lock(
        market=market, vendor_ids={stall.assigned_vendor_id for stall in regular_stalls}
    )
    readiness = vendor_readiness(
        market=market, date=market_day.date, vendor_ids=accepted_vendor_ids
    )
    new_bookings: list[Booking] = []
    skipped: list[tuple[Stall, str]] = []
    for stall in regular_stalls:
        vendor_id = stall.assigned_vendor_id
        if stall.pk in booked_stall_ids:
            skipped.append((stall, "the stall is already booked"))
        elif stall.pk in offered_stall_ids:
            skipped.append((stall, "the stall is offered to a vendor from the waitlist"))
        elif vendor_id not in accepted_vendor_ids:
            skipped.append((stall, "its regular vendor has no accepted application"))
        elif vendor_id in booked_vendor_ids:
            skipped.append((stall, "its regular vendor already has a stall that day"))
        elif readiness[vendor_id]:
            skipped.append(
                (
                    stall,
                    "its regular vendor's documents are not ready: "
                    + readiness_text(readiness[vendor_id]),
                )
            )
        else:
            booked_vendor_ids.add(vendor_id)
            new_bookings.append(
                Booking(
                    market_day=market_day,
                    stall=stall,
                    vendor_id=vendor_id,
                    fee_cents=upfront_fee(market, stall),
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
    _apply_credits(user, market, new_bookings)
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
    """Record that a booking's fee was paid in cash, waived, refunded, or is unpaid again;
    on a cancelled booking, only that its fee paid in cash was refunded. Locks the booking.
    A fee paid by card through Stripe is refunded by cancelling the booking; a fee settled
    against tokens stays settled. Raises BookingPaidByCardError, BookingSettledError,
    BookingAlreadyCancelledError."""
    market = market_get(user=user, market_id=market_id)
    market_day = market_day_get_for_update(market=market, market_day_id=market_day_id)
    booking = booking_get_for_update(market_day=market_day, booking_id=booking_id)
    booking.market_day = market_day  # the row locked above, with its market
    if is_paid_by_card(booking):
        raise BookingPaidByCardError()
    if booking.payment_method == Booking.PaymentMethod.SETTLEMENT and not booking.is_cancelled:
        raise BookingSettledError(extra={"booking_id": str(booking.pk)})
    settling = payment_status == Booking.PaymentStatus.REFUNDED
    if booking.is_cancelled and not (settling and booking.payment_status == PaymentStatus.PAID):
        raise BookingAlreadyCancelledError(
            "This booking is cancelled: only the refund of its fee paid in cash can be recorded.",
            extra={"booking_id": str(booking.pk)},
        )
    previous = booking.get_payment_status_display()
    booking.payment_status = payment_status
    booking.refunded_at = timezone.now() if settling else None
    booking.refund_due = False
    if payment_status != Booking.PaymentStatus.REFUNDED:  # a refund keeps when it was paid
        booking.paid_at = timezone.now() if payment_status == Booking.PaymentStatus.PAID else None
    if payment_status in PAYMENT_METHOD_OF_STATUS:  # "refunded" keeps how it had been paid
        booking.payment_method = PAYMENT_METHOD_OF_STATUS[payment_status]
    full_clean(booking, exclude=["market_day", "stall", "vendor", "booked_by"])
    booking.save(
        update_fields=[
            "payment_status",
            "payment_method",
            "paid_at",
            "refunded_at",
            "refund_due",
            "updated_at",
        ]  # fmt: skip
    )
    audit_record(
        user=user,
        obj=booking,
        message=f"Payment: {booking.get_payment_status_display().lower()} "
        f"(was {previous.lower()}), fee {_fee(booking)}.",
    )
    return booking


@transaction.atomic
def booking_cancel(
    *, user: User, market_id: UUID, market_day_id: UUID, booking_id: UUID
) -> Booking:
    """Cancel a booking on a day still to come; its row is kept, marked cancelled, and the
    stall is free again, offered to the day's waitlist. A fee paid by card through Stripe is
    refunded (``refunded``, with the refund's id), under the booking's lock, so a payment
    arriving meanwhile waits, then finds the booking cancelled and is refunded too. A fee paid
    in cash stays ``paid``: the organizer settles it by hand (then records the refund). A
    cancellation late by the market's rule counts against the vendor. Raises
    MarketDayInPastError, BookingAlreadyCancelledError, BookingAttendanceRecordedError (the
    vendor was checked in: the booking is the day's record), PaymentProviderError (nothing
    cancelled)."""
    market = market_get(user=user, market_id=market_id)
    market_day = market_day_get_for_update(market=market, market_day_id=market_day_id)
    booking = booking_get_for_update(market_day=market_day, booking_id=booking_id)
    if booking.is_cancelled:
        raise BookingAlreadyCancelledError(extra={"booking_id": str(booking.pk)})
    if market_day.date < market.today():
        raise MarketDayInPastError(
            "Bookings of past market days are kept as records.",
            extra={"date": str(market_day.date)},
        )
    if booking.attendance:
        raise BookingAttendanceRecordedError()
    booking.market_day = market_day  # the row locked above, with its market
    reason = "the organizer cancelled the booking."
    if is_paid_by_card(booking):
        booking_refund_card_payment(user=user, booking=booking, reason=reason)
    elif booking.payment_status == PaymentStatus.PAID:
        booking.refund_due = True  # cash: the organizer pays it back by hand
    vendor_name = booking.vendor.business_name
    _cancel(
        user,
        [booking],
        lambda b: f"Cancelled the booking of {vendor_name} {_where(b)}.",
        reason,
    )
    _record_late_cancellations(user, [booking])
    why = f"the booking of {vendor_name} on stall {booking.stall.label} was cancelled"
    _offer_free_stalls(user, market_day, why)
    return booking


def is_late_cancellation(market_day: MarketDay, *, at=None) -> bool:
    """Cancelling a booking of ``market_day`` now (or ``at``) is late: less than the market's
    ``late_cancellation_hours`` before the day starts, or after."""
    hours = datetime.timedelta(hours=market_day.market.late_cancellation_hours)
    return (at or timezone.now()) > market_day.starts_at - hours


def _record_late_cancellations(user: User, bookings: list[Booking]) -> None:
    """Count the cancellations of ``bookings`` (their days with their markets) that are late
    against their vendors; call it in the cancelling transaction."""
    LateCancellation.objects.bulk_create(
        LateCancellation(
            market_day=booking.market_day,
            vendor_id=booking.vendor_id,
            stall_label=booking.stall.label,
            cancelled_by=user,
        )
        for booking in bookings
        if is_late_cancellation(booking.market_day)
    )


@transaction.atomic
def booking_record_attendance(
    *, user: User, market_id: UUID, market_day_id: UUID, booking_id: UUID, attendance: str
) -> Booking:
    """Check-in: the booked vendor arrived, came late or did not come, recorded on the day
    itself with the time and who recorded it. Tapping the same answer again changes nothing;
    another answer replaces it (the last tap wins). A no-show carries the market's no-show fee
    onto the vendor's statement. Locks the market day, then the booking, as a cancellation
    does: a cancellation racing a check-in of the booking either waits and is refused or
    commits first and the check-in finds the booking cancelled. Raises MarketNotFoundError,
    MarketDayNotFoundError, BookingNotFoundError, BookingAlreadyCancelledError,
    ValidationFailedError, MarketDayCancelledError, MarketDayNotTodayError."""
    if attendance not in Booking.Attendance.values:
        raise ValidationFailedError(
            fields={"attendance": [f"Choose one of {', '.join(Booking.Attendance.values)}."]}
        )
    market = market_get(user=user, market_id=market_id)
    market_day = market_day_get_for_update(market=market, market_day_id=market_day_id)
    booking = booking_get_for_update(market_day=market_day, booking_id=booking_id)
    booking.market_day = market_day  # the row locked above, with its market
    date = str(market_day.date)
    if booking.is_cancelled:
        raise BookingAlreadyCancelledError(extra={"booking_id": str(booking.pk)})
    if market_day.is_cancelled:
        raise MarketDayCancelledError(extra={"date": date})
    if market_day.date != market.today():
        raise MarketDayNotTodayError(extra={"date": date, "today": str(market.today())})
    if booking.attendance == attendance:
        return booking
    previous = booking.get_attendance_display().lower() or "not recorded"
    booking.attendance = attendance
    booking.attendance_at = timezone.now()
    booking.attendance_by = user
    no_show = attendance == Booking.Attendance.NO_SHOW
    booking.no_show_fee_cents = market.no_show_fee_cents if no_show else 0
    booking.save(
        update_fields=[
            "attendance", "attendance_at", "attendance_by", "no_show_fee_cents", "updated_at"
        ]
    )  # fmt: skip
    fee = booking.no_show_fee_cents
    charged = f", no-show fee {format_money(fee, market.currency)}" if fee else ""
    audit_record(
        user=user,
        obj=booking,
        message=f"Check-in {_where(booking)}: {booking.get_attendance_display().lower()} "
        f"(was {previous}){charged}.",
    )
    return booking


def _release_coming_bookings(
    user: User, application, why: str, *, vendor_cancels: bool
) -> list[str]:
    """Cancel the vendor's active, unpaid bookings on ``application``'s market's days still
    to come (but a day's checked-in booking, its record), recorded with ``why``; returns them
    described for an e-mail. ``vendor_cancels``: the vendor's own doing, so the late ones
    count against them. Locked, in pk order: a payment recorded meanwhile either waits for
    the release (and finds the booking cancelled) or commits first (and the paid booking is
    not selected). The vendor leaves the waitlists of those days, and the stalls freed or held for
    them are offered on."""
    today = application.market.today()
    released = list(
        Booking.objects.active()
        .select_for_update(no_key=True, of=("self",))
        .filter(
            vendor_id=application.vendor_id,
            market_day__market_id=application.market_id,
            market_day__date__gte=today,
            attendance="",  # a check-in is the day's record
        )
        .exclude(payment_status=Booking.PaymentStatus.PAID)
        .select_related("stall", "market_day__market")
        .order_by("market_day__date", "pk")
    )
    _waitlist_close_for_vendor(user, application, why)
    if not released:
        return []
    _cancel(
        user,
        released,
        lambda b: f"Released the booking of {application.business_name} {_where(b)}: {why}.",
        f"{why}.",
    )
    if vendor_cancels:
        _record_late_cancellations(user, released)
    for market_day in _days_lock({b.market_day_id for b in released}, skip_locked=True):
        _offer_free_stalls(user, market_day, f"{application.business_name}'s booking was released")
    return [
        f"Stall {b.stall.label} on {date_format(b.market_day.date)}, fee {_fee(b)} "
        f"({b.get_payment_status_display().lower()})"
        for b in released
    ]


@transaction.atomic
def application_withdraw(*, user: User, application_id: UUID):
    """The signed-in vendor withdraws an open application of theirs; their unpaid bookings on
    the market's days still to come are released, so the organizer can give the stalls to
    someone else, and the organizer is e-mailed what was released. Locks the market, the
    application, then those bookings. Raises NotAVendorError, ApplicationNotFoundError,
    InvalidTransitionError."""
    application = application_mark_withdrawn(user=user, application_id=application_id)
    released = _release_coming_bookings(
        user, application, "the vendor withdrew their application", vendor_cancels=True
    )
    enqueue_email(
        application_tasks.send_vendor_withdrew,
        application_id=str(application.pk),
        released=released,
    )
    return application


@dataclass(frozen=True)
class Revocation:
    application: Application
    released: list[str]  # the bookings released, described


@transaction.atomic
def application_revoke(
    *, user: User, market_id: UUID, application_id: UUID, reason: str
) -> Revocation:
    """Undo an acceptance: the application is revoked with ``reason``, the vendor's unpaid
    bookings on the market's days still to come are released (paid ones are kept, to be
    settled), and the vendor is e-mailed both. Locks the market, the application, then the
    bookings: a booking of the vendor made meanwhile (it locks the accepted application)
    either commits first and is released here, or waits and is refused. Raises
    ValidationFailedError (no reason), MarketNotFoundError, ApplicationNotFoundError,
    InvalidTransitionError."""
    application = application_mark_revoked(
        user=user, market_id=market_id, application_id=application_id, reason=reason
    )
    released = _release_coming_bookings(
        user, application, "the organizer revoked the acceptance", vendor_cancels=False
    )
    enqueue_email(
        application_tasks.send_application_decision,
        application_id=str(application.pk),
        status=str(application.status),
        released=released,
    )
    return Revocation(application=application, released=released)


@transaction.atomic
def market_message_send(
    *,
    user: User,
    market_id: UUID,
    subject: str,
    body: str,
    market_day_id: UUID | None = None,
) -> MarketMessage:
    """Write one e-mail to the accepted vendors of a market or, given ``market_day_id``, to
    the vendors booked on that day. Vendors whose address bounced are not written to and are
    listed on the message. The message is kept (the market's messages, and an entry on the
    market's history) and sent by one task, one e-mail per vendor. Raises
    MarketNotFoundError, MarketDayNotFoundError, ValidationFailedError (subject or body),
    MessageHasNoRecipientsError."""
    market = market_get(user=user, market_id=market_id)
    if market_day_id is None:
        audience, market_day = MarketMessage.Audience.ACCEPTED, None
        emails = active_vendor_list(market=market).values_list("email", flat=True)
    else:
        audience = MarketMessage.Audience.MARKET_DAY
        market_day = market_day_get(market=market, market_day_id=market_day_id)
        emails = (
            Booking.objects.active()
            .filter(market_day=market_day)
            .values_list("vendor__email", flat=True)
        )
    emails = sorted(set(emails))
    bounced = suppressed_emails(emails=emails)
    message = MarketMessage(
        market=market,
        audience=audience,
        market_day=market_day,
        subject=subject,
        body=body,
        sent_by=user,
        recipients=[email for email in emails if email not in bounced],
        bounced=sorted(bounced),
    )
    full_clean(message, exclude=["market", "market_day", "sent_by"])
    if not message.recipients:
        raise MessageHasNoRecipientsError(extra={"bounced": message.bounced})
    message.save()
    to = (
        f"the vendors booked on {date_format(market_day.date)}"
        if market_day
        else "accepted vendors"
    )
    audit_record(
        user=user,
        obj=market,
        message=f"Wrote “{subject}” to {len(message.recipients)} {to}"
        + (f"; not to {len(bounced)} whose address bounced." if bounced else "."),
    )
    enqueue_email(tasks.send_market_message, message_id=str(message.pk))
    return message


# -- a cancelled market day: its fees credited or refunded ----------------------------------------


def _apply_credits(user: User, market: Market, bookings: list[Booking]) -> None:
    """Pay what each new booking's fee can from its vendor's available credits at ``market``,
    oldest first (a credit larger than the fee is split: the rest stays available). The
    caller holds the vendor's accepted application locked, so two bookings of one vendor
    never spend one credit; the credits are locked too, against a reinstated day's
    withdrawal."""
    vendor_ids = {booking.vendor_id for booking in bookings if booking.fee_cents}
    if not vendor_ids:
        return
    credits = list(
        VendorCredit.objects.available()
        .select_for_update(no_key=True)
        .filter(market=market, vendor_id__in=vendor_ids)
        .order_by("created_at", "pk")
    )
    if not credits:
        return
    now = timezone.now()
    for booking in bookings:
        used = []
        for credit in [c for c in credits if c.vendor_id == booking.vendor_id]:
            if booking.fee_cents == 0:
                break
            if credit.amount_cents > booking.fee_cents:
                VendorCredit.objects.create(
                    market=market,
                    vendor_id=credit.vendor_id,
                    amount_cents=credit.amount_cents - booking.fee_cents,
                    reason=credit.reason,
                    source_booking_id=credit.source_booking_id,
                )
                credit.amount_cents = booking.fee_cents
            credit.used_on, credit.used_at, credit.updated_at = booking, now, now
            booking.fee_cents -= credit.amount_cents
            booking.credit_cents += credit.amount_cents
            used.append(credit)
            credits.remove(credit)
        if not used:
            continue
        VendorCredit.objects.bulk_update(used, ["amount_cents", "used_on", "used_at", "updated_at"])
        if booking.fee_cents == 0:  # the credit paid the whole fee
            booking.payment_status = PaymentStatus.PAID
            booking.payment_method = Booking.PaymentMethod.CREDIT
            booking.paid_at = now
        booking.updated_at = now
        booking.save(
            update_fields=[
                "fee_cents", "credit_cents", "payment_status", "payment_method", "paid_at",
                "updated_at",
            ]
        )  # fmt: skip
        audit_record(
            user=user,
            obj=booking,
            message=f"Credit of {format_money(booking.credit_cents, market.currency)} "
            f"applied to the fee; {_fee(booking)} left to pay.",
        )


# What a cancelled day does to each booking's fee (the money paid for it).
DAY_OUTCOMES = {
    "refund_card": "Paid {fee} by card: refunded to the vendor's card through Stripe.",
    "refund_cash": "Paid {fee} in cash: refund due, paid back by the organizer.",
    "credit": "Paid {fee}: credited toward the vendor's next booking at this market.",
    "not_owed": "Unpaid {fee}: no longer owed.",
    "nothing": "Nothing paid, nothing owed.",
}


def day_cancellation_plan(booking: Booking, policy: str) -> tuple[str, int]:
    """What cancelling the booking's day does to its fee under the market's ``policy``: a
    DAY_OUTCOMES key, and the cents credited to the vendor (a credit the booking had used
    is always credited back)."""
    paid_in_money = (
        booking.payment_status == PaymentStatus.PAID
        and booking.payment_method != Booking.PaymentMethod.CREDIT
        and booking.fee_cents
    )
    if booking.payment_status == PaymentStatus.UNPAID and booking.fee_cents:
        outcome = "not_owed"
    elif not paid_in_money:
        outcome = "nothing"
    elif policy == Market.CancelledDayPolicy.CREDIT:
        outcome = "credit"
    else:
        outcome = "refund_card" if is_paid_by_card(booking) else "refund_cash"
    return outcome, booking.credit_cents + (booking.fee_cents if outcome == "credit" else 0)


def day_cancellation_note(booking: Booking, policy: str) -> str:
    """The plan in words, for the admin's confirmation, the audit and the vendor's e-mail."""
    currency = booking.market_day.market.currency
    outcome, _credited = day_cancellation_plan(booking, policy)
    note = DAY_OUTCOMES[outcome].format(fee=format_money(booking.fee_cents, currency))
    if booking.credit_cents:
        note += f" The credit of {format_money(booking.credit_cents, currency)} it used is "
        note += "credited back."
    return note


def _settle_cancelled_day(user: User, market_day: MarketDay) -> None:
    """The day was just cancelled (its row locked): lock its bookings, credit or refund each
    paid fee by the market's policy, record it, and e-mail each booked vendor."""
    market = market_day.market
    policy = market.cancelled_day_policy
    bookings = list(
        Booking.objects.active()
        .select_for_update(no_key=True, of=("self",))
        .filter(market_day=market_day)
        .select_related("vendor", "stall")
        .order_by("pk")
    )
    reason = f"the market day {date_format(market_day.date)} was cancelled."
    credits, refund_due, notes = [], [], []
    for booking in bookings:
        booking.market_day = market_day
        note = day_cancellation_note(booking, policy)  # before a refund changes the booking
        outcome, credited = day_cancellation_plan(booking, policy)
        if credited:
            credits.append(
                VendorCredit(
                    market=market,
                    vendor_id=booking.vendor_id,
                    amount_cents=credited,
                    reason=f"Market day {date_format(market_day.date)} cancelled",
                    source_booking=booking,
                )
            )
        if outcome == "refund_card":
            booking_refund_card_payment(user=user, booking=booking, reason=reason, notify=False)
            booking.save(
                update_fields=["payment_status", "refund_reference", "refunded_at", "updated_at"]
            )
        elif outcome == "refund_cash":
            refund_due.append(booking.pk)
        notes.append((booking, note))
    VendorCredit.objects.bulk_create(credits)
    Booking.objects.filter(pk__in=refund_due).update(refund_due=True, updated_at=timezone.now())
    audit_records(user=user, entries=[(b, f"Day cancelled: {note}", CHANGE) for b, note in notes])
    for booking, note in notes:
        enqueue_email(tasks.send_market_day_cancelled, booking_id=str(booking.pk), outcome=note)
    _withdraw_day_offers(user, market_day)


def _withdraw_day_offers(user: User, market_day: MarketDay) -> None:
    """A cancelled day's open waitlist offers are withdrawn (there is no stall to take), and
    their vendors wait again, first in line should the day be reinstated."""
    offers = list(
        StallOffer.objects.filter(market_day=market_day, state=StallOffer.State.OPEN)
        .select_related("vendor", "stall")
        .order_by("pk")
    )
    if not offers:
        return
    now = timezone.now()
    StallOffer.objects.filter(pk__in=[offer.pk for offer in offers]).update(
        state=StallOffer.State.WITHDRAWN, answered_at=now, updated_at=now
    )
    WaitlistEntry.objects.filter(pk__in=[offer.entry_id for offer in offers]).update(
        state=WaitlistEntry.State.WAITING, updated_at=now
    )
    audit_records(
        user=user,
        entries=[
            (
                market_day,
                f"Day cancelled: withdrew the offer of stall {offer.stall.label} to "
                f"{offer.vendor.business_name}, who waits again should the day be reinstated.",
                CHANGE,
            )
            for offer in offers
        ],
    )


def _unsettle_reinstated_day(user: User, market_day: MarketDay) -> None:
    """The day was just reinstated: credits its cancellation gave and not yet used are
    withdrawn; credits already used stay used; card refunds made stay made (those bookings
    show ``refunded``: the organizer collects the fee again); no cash refund is due any more."""
    bookings = Booking.objects.active().filter(market_day=market_day)
    now = timezone.now()
    withdrawn = (
        VendorCredit.objects.available()
        .filter(source_booking__in=bookings)
        .update(withdrawn_at=now, updated_at=now)
    )
    bookings.filter(refund_due=True).update(refund_due=False, updated_at=now)
    if withdrawn:
        audit_record(
            user=user,
            obj=market_day,
            message=f"Reinstated: withdrew {withdrawn} unused credit(s) the cancellation gave.",
        )


def market_day_update_with_fees(
    *, user: User, market_id: UUID, market_day_id: UUID, **fields
) -> MarketDay:
    """``marketflow.services.market_day_update``, and when it cancels the day, its bookings'
    fees are credited or refunded by the market's ``cancelled_day_policy`` and each booked
    vendor is e-mailed; when it reinstates the day, unused credits are withdrawn. One
    transaction (the core service's); locks the market, then the day, then the day's
    bookings. New times e-mail the day's booked vendors. Raises what ``market_day_update``
    raises, and PaymentProviderError (a refund failed: nothing changed)."""

    def settle(market_day: MarketDay) -> None:
        if market_day.is_cancelled:
            _settle_cancelled_day(user, market_day)
        else:
            _unsettle_reinstated_day(user, market_day)

    return core_services.market_day_update(
        user=user,
        market_id=market_id,
        market_day_id=market_day_id,
        on_status_change=settle,
        on_retime=lambda market_day, times: _tell_retimed(user, market_day, times),
        **fields,
    )


def _tell_retimed(user: User, market_day: MarketDay, times: tuple) -> None:
    """The day's times changed: each vendor booked on it is e-mailed the new times (and the
    former ones), and the day's history says so."""
    booking_ids = list(
        Booking.objects.active().filter(market_day=market_day).values_list("pk", flat=True)
    )
    if not booking_ids:
        return
    was = [time.isoformat("minutes") for time in times]
    for booking_id in booking_ids:
        enqueue_email(tasks.send_market_day_retimed, booking_id=str(booking_id), was=was)
    audit_record(
        user=user,
        obj=market_day,
        message=f"New times: e-mailed the {len(booking_ids)} booked vendor(s).",
    )


# -- importing a vendor list -------------------------------------------------------------------


@dataclass(frozen=True)
class VendorListCheck:
    """What importing a vendor list would meet: messages per row (``{line: [...]}``) and
    about the whole list (the plan's limit). ``ok``: it would import."""

    rows: dict[int, list[str]]
    errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.rows and not self.errors


def _vendor_list_check(market, rows: list[ImportedVendor], *, lock: bool) -> VendorListCheck:
    errors = application_import_errors(market=market, rows=rows)
    stalls = Stall.objects.filter(market=market).select_related("assigned_vendor")
    if lock:  # the named stalls keep their regular vendor until we set ours
        stalls = stalls.select_for_update(no_key=True, of=("self",)).order_by("pk")
    by_label = {stall.label.casefold(): stall for stall in stalls}
    seen: dict[str, int] = {}
    for row in rows:
        label = row.stall.strip()
        if not label:
            continue
        stall = by_label.get(label.casefold())
        regular = stall and stall.assigned_vendor
        if stall is None:
            problem = f"This market has no stall {label}."
        elif label.casefold() in seen:
            problem = f"Stall {label} is also on row {seen[label.casefold()]}."
        elif regular and regular.email != row.email.strip().lower():
            problem = f"Stall {label} already has a regular vendor, {regular.business_name}."
        else:
            problem = None
        if problem:
            errors.setdefault(row.line, []).append(problem)
        seen.setdefault(label.casefold(), row.line)
    whole = []
    if not lock:  # the preview; the import counts under the market lock, raising
        try:
            import_plan_check(market=market, count=len(rows))
        except PlanLimitReachedError as error:
            whole.append(error.message)
    return VendorListCheck(rows=dict(sorted(errors.items())), errors=whole)


def vendor_list_check(
    *, user: User, market_id: UUID, rows: list[ImportedVendor]
) -> VendorListCheck:
    """The import page's preview: what ``vendor_list_import`` would refuse, read only.
    Raises MarketNotFoundError."""
    return _vendor_list_check(market_get(user=user, market_id=market_id), rows, lock=False)


@transaction.atomic
def vendor_list_import(
    *, user: User, market_id: UUID, rows: list[ImportedVendor]
) -> list[Application]:
    """Import an organizer's vendor list into a market, all or nothing: an accepted
    application per row (``applications_import_accepted``: the plan's limit applies) and,
    where a row names a stall, the vendor as that stall's regular vendor. Locks the market
    (as every acceptance does), then the stalls. Raises MarketNotFoundError,
    ValidationFailedError (``extra["rows"]``: the messages per row), PlanLimitReachedError,
    ApplicationAlreadyOpenError; nothing is written then."""
    if not rows:
        raise ValidationFailedError(
            "The vendor list has no vendors.",
            fields={"file": ["The file has no vendor rows under its header."]},
        )
    market = market_get_for_update(user=user, market_id=market_id)
    check = _vendor_list_check(market, rows, lock=True)
    if check.rows:
        raise ValidationFailedError(
            "Some rows of the vendor list cannot be imported; nothing was imported.",
            extra={"rows": {str(line): messages for line, messages in check.rows.items()}},
        )
    applications = applications_import_accepted(user=user, market=market, rows=rows)
    stalls = {stall.label.casefold(): stall for stall in Stall.objects.filter(market=market)}
    regulars = []
    for row, application in zip(rows, applications, strict=True):
        if row.stall.strip():
            stall = stalls[row.stall.strip().casefold()]
            stall.assigned_vendor_id, stall.updated_at = application.vendor_id, timezone.now()
            regulars.append(stall)
    Stall.objects.bulk_update(regulars, ["assigned_vendor", "updated_at"])
    return applications


# -- waitlist offers ---------------------------------------------------------------------------
#
# Every write to a day's waitlist and offers runs under the lock of the day's row, as bookings
# do, so an offer, an answer, an expiry and a booking by hand of one day serialize. An open
# offer holds its stall: nobody else is offered it, and booking it by hand is refused with
# ``stall_on_offer`` until the vendor answers or the offer expires.


def _deadline_text(offer: StallOffer, market: Market) -> str:
    return date_format(timezone.localtime(offer.expires_at, market.tz), "DATETIME_FORMAT")


def _rank_text(market: Market, entry: WaitlistEntry, position: int) -> str:
    if market.waitlist_order == Market.WaitlistOrder.PRIORITY:
        return f"#{position} on the waitlist by priority points ({entry.priority_points})"
    return f"#{position} on the waitlist, first come"


def _offer_free_stalls(user: User, market_day: MarketDay, why: str) -> list[StallOffer]:
    """Offer each free stall of ``market_day`` (its row locked by the caller) to the next
    waiting vendor, in the market's order, until ``MARKETFLOW_OFFER_HOURS`` from now; unless
    offers are paused for the day or it is cancelled or past. Each offer is audited on the
    day with ``why``, the vendor's place and the deadline, and e-mailed to the vendor."""
    market = market_day.market
    if market_day.offers_paused or market_day.is_cancelled or market_day.date < market.today():
        return []
    # Vendors booked by hand meanwhile, or no longer accepted, are passed over.
    waiting = list(
        WaitlistEntry.objects.filter(market_day=market_day, state=WaitlistEntry.State.WAITING)
        .exclude(
            Exists(
                Booking.objects.active().filter(market_day=market_day, vendor=OuterRef("vendor"))
            )
        )
        .filter(vendor_id__in=active_vendor_list(market=market).values("pk"))
        .select_related("vendor")
        .order_by(*waitlist_ordering(market))
    )
    if not waiting:
        return []
    stalls = list(free_stalls(market_day=market_day).order_by("label"))
    expires_at = timezone.now() + datetime.timedelta(hours=settings.MARKETFLOW_OFFER_HOURS)
    offers = []
    for position, (entry, stall) in enumerate(zip(waiting, stalls, strict=False), start=1):
        entry.state, entry.updated_at = WaitlistEntry.State.OFFERED, timezone.now()
        offers.append(
            StallOffer(
                entry=entry,
                market_day=market_day,
                stall=stall,
                vendor=entry.vendor,
                position=position,
                expires_at=expires_at,
            )
        )
    if not offers:
        return []
    StallOffer.objects.bulk_create(offers)
    WaitlistEntry.objects.bulk_update([offer.entry for offer in offers], ["state", "updated_at"])
    audit_records(
        user=user,
        entries=[
            (
                market_day,
                f"Offered stall {offer.stall.label} to {offer.vendor.business_name}, "
                f"{_rank_text(market, offer.entry, offer.position)}, until "
                f"{_deadline_text(offer, market)}: {why}.",
                CHANGE,
            )
            for offer in offers
        ],
    )
    for offer in offers:
        enqueue_email(tasks.send_stall_offer, offer_id=str(offer.pk))
    return offers


def _days_lock(day_ids, *, skip_locked: bool = False) -> list[MarketDay]:
    """Lock market days in pk order; with ``skip_locked``, the ones free now only."""
    return list(
        MarketDay.objects.select_for_update(no_key=True, of=("self",), skip_locked=skip_locked)
        .select_related("market")
        .filter(pk__in=day_ids)
        .order_by("pk")
    )


def _waitlist_close_for_vendor(user: User, application, why: str) -> None:
    """The vendor's open waitlist entries and offers on the market's coming days close, with
    ``why``; the stalls they held are offered to the next vendors of each day whose row is
    free to lock now (a day locked by a booking in flight is left to ``offers_expire``'s
    sweep: waiting for it here could deadlock against that booking's application lock)."""
    today = application.market.today()
    entries = WaitlistEntry.objects.filter(
        vendor_id=application.vendor_id,
        market_day__market_id=application.market_id,
        market_day__date__gte=today,
        state__in=WaitlistEntry.OPEN_STATES,
    )
    day_ids = set(entries.values_list("market_day_id", flat=True))
    if not day_ids:
        return
    now = timezone.now()
    held = StallOffer.objects.filter(entry__in=entries, state=StallOffer.State.OPEN)
    offered_day_ids = set(held.values_list("market_day_id", flat=True))
    held.update(state=StallOffer.State.WITHDRAWN, answered_at=now, updated_at=now)
    entries.update(state=WaitlistEntry.State.CLOSED, updated_at=now)
    audit_records(
        user=user,
        entries=[
            (day, f"{application.business_name} left the waitlist: {why}.", CHANGE)
            for day in MarketDay.objects.filter(pk__in=day_ids).order_by("date")
        ],
    )
    for day in _days_lock(day_ids, skip_locked=True):
        if day.pk in offered_day_ids:
            _offer_free_stalls(user, day, f"{application.business_name}'s offer was withdrawn")


@transaction.atomic
def waitlist_join(*, user: User, market_day_id: UUID) -> WaitlistEntry:
    """The signed-in vendor asks for a stall on a market day that is full. Locks the day,
    then the vendor's accepted application (as a booking does). Raises NotAVendorError,
    MarketDayNotFoundError (also a day of a market the vendor is not accepted at),
    MarketDayCancelledError, MarketDayInPastError, VendorAlreadyBookedError,
    AlreadyOnWaitlistError, DayNotFullError."""
    vendor = vendor_for_user(user=user)
    market_day = next(iter(_days_lock([market_day_id])), None)
    if market_day is None or not accepted_application_get_for_update(
        market=market_day.market, vendor_id=vendor.pk
    ):
        raise MarketDayNotFoundError()
    _check_day_open(market_day)
    date = str(market_day.date)
    if Booking.objects.active().filter(market_day=market_day, vendor=vendor).exists():
        raise VendorAlreadyBookedError(extra={"vendor_id": str(vendor.pk), "date": date})
    open_entries = WaitlistEntry.objects.filter(
        market_day=market_day, state__in=WaitlistEntry.OPEN_STATES
    )
    if open_entries.filter(vendor=vendor).exists():
        raise AlreadyOnWaitlistError(extra={"date": date})
    if free_stalls(market_day=market_day).exists():
        raise DayNotFullError(extra={"date": date})
    entry = WaitlistEntry.objects.create(market_day=market_day, vendor=vendor)
    waiting = open_entries.filter(state=WaitlistEntry.State.WAITING).count()
    audit_record(
        user=user,
        obj=market_day,
        message=f"{vendor.business_name} joined the waitlist ({waiting} waiting).",
    )
    return entry


def _offer_lock(*, user: User, offer_id: UUID) -> tuple[StallOffer, MarketDay]:
    """The signed-in vendor's offer, locked after its day (and the vendor's accepted
    application, in a booking's order), checked open and within its deadline."""
    vendor = vendor_for_user(user=user)
    offer = stall_offer_get(offer_id=offer_id)
    if offer.vendor_id != vendor.pk:
        raise OfferNotYoursError()
    market = offer.market_day.market
    market_day = market_day_get_for_update(market=market, market_day_id=offer.market_day_id)
    if accepted_application_get_for_update(market=market, vendor_id=vendor.pk) is None:
        raise VendorNotAcceptedError(extra={"vendor_id": str(vendor.pk)})
    state = stall_offer_get_for_update(offer_id=offer.pk).state
    if state == StallOffer.State.EXPIRED or offer.expires_at <= timezone.now():
        raise OfferExpiredError(extra={"expired_at": offer.expires_at.isoformat()})
    if state != StallOffer.State.OPEN:
        raise OfferAnsweredError(extra={"state": state})
    offer.market_day = market_day
    return offer, market_day


def _offer_answer(offer: StallOffer, state: str) -> None:
    entry_state = {
        StallOffer.State.ACCEPTED: WaitlistEntry.State.BOOKED,
        StallOffer.State.DECLINED: WaitlistEntry.State.DECLINED,
        StallOffer.State.EXPIRED: WaitlistEntry.State.EXPIRED,
    }[state]
    now = timezone.now()
    StallOffer.objects.filter(pk=offer.pk).update(state=state, answered_at=now, updated_at=now)
    WaitlistEntry.objects.filter(pk=offer.entry_id).update(state=entry_state, updated_at=now)
    offer.state, offer.answered_at = state, now


@transaction.atomic
def stall_offer_accept(*, user: User, offer_id: UUID) -> Booking:
    """The vendor takes the stall offered: it is booked through the rules of every booking.
    Locks the day, the vendor's accepted application, then the offer. Raises
    StallOfferNotFoundError, OfferNotYoursError, OfferExpiredError, OfferAnsweredError,
    VendorNotAcceptedError, MarketDayCancelledError, MarketDayInPastError,
    VendorAlreadyBookedError."""
    offer, market_day = _offer_lock(user=user, offer_id=offer_id)
    _check_day_open(market_day)
    booking = _book(user, market_day, offer.stall, offer.vendor_id, how="Booked from the waitlist")
    _offer_answer(offer, StallOffer.State.ACCEPTED)
    audit_record(
        user=user,
        obj=market_day,
        message=f"{offer.vendor.business_name} accepted the offer of stall {offer.stall.label} "
        f"(#{offer.position} on the waitlist when offered).",
    )
    return booking


@transaction.atomic
def stall_offer_decline(*, user: User, offer_id: UUID) -> StallOffer:
    """The vendor declines the stall offered; it goes to the next vendor waiting. Locks as
    ``stall_offer_accept``. Raises StallOfferNotFoundError, OfferNotYoursError,
    OfferExpiredError, OfferAnsweredError, VendorNotAcceptedError."""
    offer, market_day = _offer_lock(user=user, offer_id=offer_id)
    _offer_answer(offer, StallOffer.State.DECLINED)
    name = offer.vendor.business_name
    audit_record(
        user=user,
        obj=market_day,
        message=f"{name} declined the offer of stall {offer.stall.label} "
        f"(#{offer.position} on the waitlist when offered).",
    )
    _offer_free_stalls(user, market_day, f"{name} declined it")
    return offer


@transaction.atomic
def _offers_expire_day(market_day_id: UUID, now: datetime.datetime) -> int:
    market_day = _days_lock([market_day_id])[0]
    organizer = market_day.market.organizer
    due = list(
        StallOffer.objects.filter(
            market_day=market_day, state=StallOffer.State.OPEN, expires_at__lte=now
        ).select_related("vendor", "stall")
    )
    for offer in due:
        _offer_answer(offer, StallOffer.State.EXPIRED)
    audit_records(
        user=organizer,
        entries=[
            (
                market_day,
                f"{offer.vendor.business_name} let the offer of stall {offer.stall.label} "
                f"expire (#{offer.position} on the waitlist when offered, answer due by "
                f"{_deadline_text(offer, market_day.market)}).",
                CHANGE,
            )
            for offer in due
        ],
    )
    why = (
        "the offer before expired unanswered"
        if due
        else "the stall was free with vendors waiting (found by expire_offers)"
    )
    _offer_free_stalls(organizer, market_day, why)
    return len(due)


def offers_expire(*, now: datetime.datetime | None = None) -> int:
    """What ``manage.py expire_offers`` runs every few minutes: each open offer past its
    deadline expires and its stall goes to the next vendor waiting; and a day with a free
    stall and vendors waiting (offers resumed, a withdrawal that found the day locked) gets
    its offers. One transaction per day, under the day's lock, so two runs at once expire
    each offer once. Returns how many offers expired."""
    now = now or timezone.now()
    due_day_ids = StallOffer.objects.filter(
        state=StallOffer.State.OPEN, expires_at__lte=now
    ).values_list("market_day_id", flat=True)
    waiting_day_ids = WaitlistEntry.objects.filter(
        state=WaitlistEntry.State.WAITING,
        market_day__date__gte=now.date() - datetime.timedelta(days=1),
        market_day__status=MarketDay.Status.SCHEDULED,
        market_day__offers_paused=False,
    ).values_list("market_day_id", flat=True)
    day_ids = sorted(set(due_day_ids) | set(waiting_day_ids))
    return sum(_offers_expire_day(day_id, now) for day_id in day_ids)


@transaction.atomic
def market_day_offers_pause(
    *, user: User, market_id: UUID, market_day_id: UUID, paused: bool
) -> MarketDay:
    """Pause (or resume) waitlist offers for a day: while paused a freed stall stays free to
    book by hand; open offers keep their stall until answered or expired. Resuming offers the
    free stalls at once. Locks the day. Raises MarketNotFoundError, MarketDayNotFoundError."""
    market = market_get(user=user, market_id=market_id)
    market_day = market_day_get_for_update(market=market, market_day_id=market_day_id)
    if market_day.offers_paused == paused:
        return market_day
    market_day.offers_paused = paused
    market_day.save(update_fields=["offers_paused", "updated_at"])
    audit_record(
        user=user,
        obj=market_day,
        message="Paused waitlist offers for this day."
        if paused
        else "Resumed waitlist offers for this day.",
    )
    if not paused:
        _offer_free_stalls(user, market_day, "the organizer resumed offers")
    return market_day


@transaction.atomic
def waitlist_entry_set_points(
    *, user: User, market_id: UUID, market_day_id: UUID, entry_id: UUID, priority_points: int
) -> WaitlistEntry:
    """Set a waitlist entry's priority points (the order of markets that rank by points).
    Locks the day. Raises MarketNotFoundError, MarketDayNotFoundError,
    WaitlistEntryNotFoundError."""
    market = market_get(user=user, market_id=market_id)
    market_day = market_day_get_for_update(market=market, market_day_id=market_day_id)
    entry = waitlist_entry_get(market_day=market_day, entry_id=entry_id)
    before = entry.priority_points
    entry.priority_points = priority_points
    entry.save(update_fields=["priority_points", "updated_at"])
    audit_record(
        user=user,
        obj=market_day,
        message=f"Priority points of {entry.vendor.business_name} on the waitlist: "
        f"{priority_points} (was {before}).",
    )
    return entry
