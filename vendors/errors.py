from marketflow.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ServiceUnavailableError,
    ValidationFailedError,
)


class NotAVendorError(PermissionDeniedError):
    code = "not_a_vendor"
    default_message = "This account is not linked to a vendor."


class VendorAccountExistsError(ConflictError):
    code = "vendor_account_exists"
    default_message = "This vendor already has an account. Sign in, or reset the password."


class DocumentNotFoundError(NotFoundError):
    default_message = "Document not found."


class DocumentStorageUnavailableError(ServiceUnavailableError):
    code = "document_storage_unavailable"
    default_message = "Files cannot be stored just now; nothing was saved. Please try again soon."


class VendorPhotoInvalidError(ValidationFailedError):
    """The photo is refused: ``extra["reason"]`` says why (``photo_too_large``,
    ``photo_not_an_image``, ``photo_too_many_pixels``, ``photo_damaged``)."""

    code = "photo_invalid"
    default_message = "The photo cannot be used."
