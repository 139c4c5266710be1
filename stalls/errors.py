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


class BookingAlreadyCancelledError(ConflictError):
    code = "booking_already_cancelled"
    default_message = "This booking is cancelled already."


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
