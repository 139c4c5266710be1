"""The domain error tree. Services raise these; one handler per face translates them.

Every error has a stable snake_case ``code`` (API contract), a human ``message`` and an
``extra`` dict of machine-readable details. Families map to HTTP statuses in
``marketflow.exception_handler``; ``error_body`` is the one shape of every API error.
"""

from typing import Any


def error_body(code: str, detail: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What every API error answers: ``{"code", "detail", "extra"}``."""
    return {"code": code, "detail": detail, "extra": extra or {}}


class DomainError(Exception):
    code = "error"
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, extra: dict[str, Any] | None = None):
        self.message = message or self.default_message
        self.extra = extra or {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.extra)


class ValidationFailedError(DomainError):
    """Input that breaks a rule; ``extra["fields"]`` maps field names to messages."""

    code = "invalid"
    default_message = "The submitted data is not valid."

    def __init__(self, message=None, *, fields: dict[str, list[str]] | None = None, extra=None):
        extra = dict(extra or {})
        if fields:
            extra["fields"] = fields
        super().__init__(message, extra=extra)


class NotFoundError(DomainError):
    """Missing, or belongs to another organizer: the two must look the same."""

    code = "not_found"
    default_message = "Not found."


class PermissionDeniedError(DomainError):
    code = "permission_denied"
    default_message = "You do not have permission to do this."


class ConflictError(DomainError):
    code = "conflict"
    default_message = "The request conflicts with the current state."


class InvalidTransitionError(ConflictError):
    code = "invalid_transition"
    default_message = "This status change is not allowed."

    def __init__(self, *, current: str, target: str, message: str | None = None):
        super().__init__(
            message or f"Cannot change status from “{current}” to “{target}”.",
            extra={"current": current, "target": target},
        )


class PlanLimitReachedError(DomainError):
    code = "plan_limit_reached"
    default_message = "Your plan's limit has been reached. Upgrade to the paid plan to go on."


class QuotaExceededError(DomainError):
    """A budget of the client's (bytes, requests) is used up for now: 429."""

    code = "quota_exceeded"
    default_message = "You have used up what you may send for now. Try again later."


class ServiceUnavailableError(DomainError):
    code = "service_unavailable"
    default_message = "The service is temporarily unavailable. Please try again shortly."


# Errors of the platform core.


class MarketNotFoundError(NotFoundError):
    default_message = "Market not found."


class MarketDayNotFoundError(NotFoundError):
    default_message = "Market day not found."


class ApiTokenNotFoundError(NotFoundError):
    default_message = "Token not found."


class NotAnOrganizerError(PermissionDeniedError):
    code = "not_an_organizer"
    default_message = "Only organizers can manage markets."


class MarketSlugTakenError(ConflictError):
    code = "market_slug_taken"
    default_message = "Another market already uses this slug."


class MarketDayDateTakenError(ConflictError):
    code = "market_day_date_taken"
    default_message = "This market already has a market day on that date."


class MarketDayInPastError(ConflictError):
    code = "market_day_in_past"
    default_message = "This market day is in the past."


class MarketDayCancelledError(ConflictError):
    code = "market_day_cancelled"
    default_message = "This market day is cancelled."


class MarketHasBookingsError(ConflictError):
    code = "market_has_bookings"
    default_message = "This market has bookings; deactivate it instead of deleting it."


class MarketDayHasBookingsError(ConflictError):
    code = "market_day_has_bookings"
    default_message = "This market day has bookings; cancel it instead of deleting it."


class LinkInvalidError(ValidationFailedError):
    """A one-time link from an e-mail that is malformed, expired or already used."""

    code = "link_invalid"
    default_message = "This link is invalid, has expired or has already been used."


# Payments through Stripe.


class PaymentsNotConfiguredError(ConflictError):
    code = "payments_not_configured"
    default_message = "Payments are not configured on this installation."


class PaymentProviderError(ServiceUnavailableError):
    """Stripe refused or could not be reached; nothing was changed here."""

    code = "payment_provider_error"
    default_message = "The payment provider could not be reached. Please try again shortly."


class StripeNotConnectedError(ConflictError):
    code = "stripe_not_connected"
    default_message = "The organizer of this market does not take card payments yet."


class PlanAlreadyPaidError(ConflictError):
    code = "plan_already_paid"
    default_message = (
        "You are on the paid plan already, or your subscription awaits a payment: manage it "
        "under “Manage billing”."
    )


class NoBillingAccountError(ConflictError):
    code = "no_billing_account"
    default_message = "There is no subscription to manage yet: upgrade first."
