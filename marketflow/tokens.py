"""One-time links for e-mail: each token stops working once the state it signs changes."""

from uuid import UUID

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    """Signs an organizer's pending sign-up; verifying activates the account, which ends the
    token. Valid for ``PASSWORD_RESET_TIMEOUT`` (three days by default)."""

    key_salt = "marketflow.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.is_active}{user.email}{timestamp}"


email_verification_token = EmailVerificationTokenGenerator()


def encode_id(pk) -> str:
    return urlsafe_base64_encode(force_bytes(pk))


def decode_id(encoded: str) -> UUID | None:
    """The id ``encode_id`` encoded, or None for anything else."""
    try:
        return UUID(force_str(urlsafe_base64_decode(encoded)))
    except (ValueError, TypeError):
        return None
