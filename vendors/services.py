"""Writes of vendor profiles. The e-mail is the vendor's identity: no update changes it."""

from django.db import IntegrityError, transaction

from marketflow.errors import ValidationFailedError
from marketflow.models import User, normalize_email
from marketflow.validation import full_clean
from vendors.models import Vendor
from vendors.selectors import vendor_for_user, vendor_get_by_email

VENDOR_PROFILE_FIELDS = (
    "business_name",
    "contact_name",
    "phone",
    "product_categories",
    "description",
)


def _profile(fields: dict) -> dict:
    unknown = set(fields) - set(VENDOR_PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected fields: {', '.join(sorted(unknown))}")
    return fields


def vendor_get_or_create(*, email: str, **profile) -> tuple[Vendor, bool]:
    """The vendor with this e-mail, or a new one with ``profile``; never edits an existing one.

    Safe under concurrency: a racing insert of the same e-mail hits the unique constraint
    inside a savepoint, and the winner's row is read instead. Call inside a transaction.
    """
    email = normalize_email(email)
    existing = vendor_get_by_email(email=email)
    if existing is not None:
        return existing, False
    vendor = Vendor(email=email, **_profile(profile))
    full_clean(vendor, exclude=["user"])
    try:
        with transaction.atomic():
            vendor.save()
    except IntegrityError:
        existing = vendor_get_by_email(email=email)
        if existing is None:  # not the e-mail after all: let the real error surface
            raise
        return existing, False
    return vendor, True


@transaction.atomic
def vendor_update(*, user: User, **fields) -> Vendor:
    """Update the signed-in vendor's profile (not the e-mail). Locks the vendor row."""
    vendor = vendor_for_user(user=user)
    vendor = Vendor.objects.select_for_update(no_key=True).get(pk=vendor.pk)
    if "email" in fields:
        raise ValidationFailedError(fields={"email": ["The e-mail address cannot be changed."]})
    for name, value in _profile(fields).items():
        setattr(vendor, name, value)
    full_clean(vendor, exclude=["user"])
    vendor.save()
    return vendor
