from marketflow.errors import ConflictError, NotFoundError, PermissionDeniedError


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


class BookingAlreadyCancelledError(ConflictError):
    code = "booking_already_cancelled"
    default_message = "This booking is cancelled already."


class BookingNotUnpaidError(ConflictError):
    code = "booking_not_unpaid"
    default_message = "This booking's fee is not unpaid: it was paid, waived or refunded."


class NothingToPayError(ConflictError):
    code = "nothing_to_pay"
    default_message = "There is nothing to pay for this booking."


class BookingSettledError(ConflictError):
    code = "booking_settled"
    default_message = (
        "This booking's fee was settled against the vendor's tokens (the market's Payouts): "
        "it no longer changes here."
    )


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


# Waitlist offers.


class StallOfferNotFoundError(NotFoundError):
    default_message = "Offer not found."


class WaitlistEntryNotFoundError(NotFoundError):
    default_message = "Waitlist entry not found."


class DayNotFullError(ConflictError):
    code = "day_not_full"
    default_message = (
        "This market day still has a free stall: ask the organizer to book you onto it."
    )


class AlreadyOnWaitlistError(ConflictError):
    code = "already_on_waitlist"
    default_message = "You are on this market day's waitlist already."


class StallOnOfferError(ConflictError):
    code = "stall_on_offer"
    default_message = (
        "This stall is offered to a vendor from the day's waitlist until they answer or the "
        "offer expires; pause offers for the day does not withdraw it. Book another stall."
    )


class OfferNotYoursError(PermissionDeniedError):
    code = "offer_not_yours"
    default_message = "This offer was made to another vendor: sign in as that vendor."


class OfferExpiredError(ConflictError):
    code = "offer_expired"
    default_message = "This offer has expired: the stall went to the next vendor waiting."


class OfferAnsweredError(ConflictError):
    code = "offer_answered"
    default_message = "This offer has been answered already or was withdrawn."
