from marketflow.errors import ConflictError, NotFoundError


class StallNotFoundError(NotFoundError):
    default_message = "Stall not found."


class BookingNotFoundError(NotFoundError):
    default_message = "Booking not found."


class StallLabelTakenError(ConflictError):
    code = "stall_label_taken"
    default_message = "This market already has a stall with that label."


class StallHasBookingsError(ConflictError):
    code = "stall_has_bookings"
    default_message = "This stall has bookings and cannot be deleted."


class StallAlreadyBookedError(ConflictError):
    code = "stall_already_booked"
    default_message = "This stall is already booked on that day."


class VendorAlreadyBookedError(ConflictError):
    code = "vendor_already_booked"
    default_message = "This vendor already has a stall on that day."


class VendorNotAcceptedError(ConflictError):
    code = "vendor_not_accepted"
    default_message = "Only vendors with an accepted application to this market can be booked."


class BookingPaidError(ConflictError):
    code = "booking_paid"
    default_message = (
        "This booking is paid. Record the refund (set it to unpaid) before cancelling it."
    )


class BookingNotUnpaidError(ConflictError):
    code = "booking_not_unpaid"
    default_message = "This booking's fee is not unpaid: it was paid, waived or refunded."


class NothingToPayError(ConflictError):
    code = "nothing_to_pay"
    default_message = "There is nothing to pay for this booking."


class BookingPaidByCardError(ConflictError):
    code = "booking_paid_by_card"
    default_message = (
        "This booking was paid by card through Stripe: cancel it to refund the vendor."
    )


class MessageHasNoRecipientsError(ConflictError):
    code = "message_has_no_recipients"
    default_message = "Nobody to write to: no vendor is accepted (or booked on that day) yet."


class MarketDayNotTodayError(ConflictError):
    code = "market_day_not_today"
    default_message = "Check-in is recorded on the market day itself, and this is not it."


class BookingAttendanceRecordedError(ConflictError):
    code = "booking_attendance_recorded"
    default_message = "This vendor's check-in is recorded: the booking is kept as the day's record."


class DocumentsNotReadyError(ConflictError):
    """``extra``: ``vendor_id``, ``date`` and ``documents``, the required documents lacking
    (``vendors.selectors.vendor_readiness``)."""

    code = "documents_not_ready"
    default_message = "This vendor's required documents are not ready for that day."
