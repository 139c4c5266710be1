from marketflow.errors import ConflictError, NotFoundError, ValidationFailedError


class SalesReportNotFoundError(NotFoundError):
    default_message = "Sales report not found."


class SalesBookingNotFoundError(NotFoundError):
    default_message = "Booking not found."


class SalesDayNotReportableError(ConflictError):
    code = "sales_day_not_reportable"
    default_message = "Sales can be reported for a market day once it has started."


class SalesReportExistsError(ConflictError):
    code = "sales_report_exists"
    default_message = "This day's sales are already reported: revise them with a reason."


class SalesReportClosedError(ConflictError):
    code = "sales_report_closed"
    default_message = (
        "The deadline to revise this day's sales has passed. Ask the market to correct it."
    )


class SalesReportSettledError(ConflictError):
    code = "sales_report_settled"
    default_message = "This day's fees and tokens are settled: its sales can no longer change."


class PayoutVendorNotFoundError(NotFoundError):
    default_message = "No vendor booked at this market matches."


class SettlementChangedError(ConflictError):
    code = "settlement_changed"
    default_message = (
        "What this vendor is owed or owes has changed since you looked: check the figures "
        "and settle again."
    )


class NothingToSettleError(ConflictError):
    code = "nothing_to_settle"
    default_message = "This vendor has no tokens and no fees to settle at this market."


class SalesSeasonUnknownError(ValidationFailedError):
    code = "sales_season_unknown"
    default_message = "This market has no such season."


class SalesPeriodInvalidError(ValidationFailedError):
    code = "sales_period_invalid"
    default_message = "The period's start is after its end."
