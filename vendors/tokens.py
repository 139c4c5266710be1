"""The one-time link that lets a vendor without an account set a password."""

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class VendorActivationTokenGenerator(PasswordResetTokenGenerator):
    """Signs a vendor that has no user yet: linking a user ends the token. Valid for
    ``PASSWORD_RESET_TIMEOUT`` (three days by default); a new link can be requested."""

    key_salt = "vendors.tokens.VendorActivationTokenGenerator"

    def _make_hash_value(self, vendor, timestamp):
        return f"{vendor.pk}{vendor.user_id}{vendor.email}{timestamp}"


vendor_activation_token = VendorActivationTokenGenerator()
