"""The one-time link that lets a vendor without an account create one."""

from marketflow.tokens import OneTimeLinkToken, account_state
from vendors.models import Vendor


def vendor_activation_state(vendor: Vendor) -> tuple:
    """The vendor and its account: linking one (the account this link creates, with its
    password hash, last login and active flag) ends the link."""
    return (vendor.pk, vendor.email, *account_state(vendor.user))


vendor_activation_token = OneTimeLinkToken(
    purpose="vendor-activation", state=vendor_activation_state
)
