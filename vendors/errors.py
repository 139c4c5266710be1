from marketflow.errors import ConflictError, NotFoundError, PermissionDeniedError


class NotAVendorError(PermissionDeniedError):
    code = "not_a_vendor"
    default_message = "This account is not linked to a vendor."


class VendorAccountExistsError(ConflictError):
    code = "vendor_account_exists"
    default_message = "This vendor already has an account. Sign in, or reset the password."


class DocumentNotFoundError(NotFoundError):
    default_message = "Document not found."
