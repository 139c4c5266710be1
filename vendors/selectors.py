from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from marketflow.models import User, normalize_email
from marketflow.tokens import decode_id
from vendors.errors import NotAVendorError, VendorNotFoundError
from vendors.models import Vendor, VendorDocument
from vendors.tokens import vendor_activation_token


def vendor_get_by_email(*, email: str) -> Vendor | None:
    return Vendor.objects.filter(email=normalize_email(email)).first()


def vendor_get(*, vendor_id: UUID | str) -> Vendor:
    try:
        return Vendor.objects.get(pk=vendor_id)
    except (Vendor.DoesNotExist, ValidationError, ValueError, TypeError):
        raise VendorNotFoundError() from None


def vendor_for_user(*, user: User) -> Vendor:
    """The vendor profile linked to a signed-in user; others are refused with 403."""
    if not user.is_authenticated:
        raise NotAVendorError()
    try:
        return Vendor.objects.get(user=user)
    except Vendor.DoesNotExist:
        raise NotAVendorError() from None


def vendor_lock(*, vendor_id: UUID) -> Vendor:
    return Vendor.objects.select_for_update(no_key=True).get(pk=vendor_id)


def vendor_document_list(*, vendor: Vendor) -> QuerySet[VendorDocument]:
    return VendorDocument.objects.filter(vendor=vendor)


def vendor_for_activation(*, uidb64: str, token: str) -> Vendor | None:
    """The vendor a one-time activation link is for, while it is valid (no user linked yet,
    not expired); None for any other link."""
    vendor_id = decode_id(uidb64)
    if vendor_id is None:
        return None
    try:
        vendor = Vendor.objects.get(pk=vendor_id)
    except (Vendor.DoesNotExist, ValidationError, ValueError, TypeError):
        return None
    if vendor.user_id is not None or not vendor_activation_token.check_token(vendor, token):
        return None
    return vendor
