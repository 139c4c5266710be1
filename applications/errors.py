from marketflow.errors import ConflictError, NotFoundError, QuotaExceededError


class ApplicationNotFoundError(NotFoundError):
    default_message = "Application not found."


class DirectoryVendorNotFoundError(NotFoundError):
    default_message = "Vendor not found."


class ApplicationAlreadyOpenError(ConflictError):
    code = "application_already_open"
    default_message = (
        "You already have an open application to this market. "
        "You will hear from the organizer once it has been reviewed."
    )


class UploadBudgetExceededError(QuotaExceededError):
    code = "upload_budget_exceeded"
    default_message = (
        "Your connection has sent as many files as it may today. Please try again tomorrow."
    )


class DocumentInUseError(ConflictError):
    code = "document_in_use"
    default_message = (
        "This document was sent with an application that is still open: the organizer relies "
        "on it. Replace it with a newer file instead."
    )
