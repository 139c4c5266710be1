from uuid import UUID

from marketflow.models import User, normalize_email
from vendors.errors import NotAVendorError, VendorNotFoundError
from vendors.models import Vendor


def vendor_get_by_email(*, email: str) -> Vendor | None:
    return Vendor.objects.filter(email=normalize_email(email)).first()


def vendor_get(*, vendor_id: UUID | str) -> Vendor:
    try:
        return Vendor.objects.get(pk=vendor_id)
    except (Vendor.DoesNotExist, ValueError, TypeError):
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
