from marketflow.errors import NotFoundError, PermissionDeniedError


class VendorNotFoundError(NotFoundError):
    default_message = "Vendor not found."


class NotAVendorError(PermissionDeniedError):
    code = "not_a_vendor"
    default_message = "This account is not linked to a vendor."
