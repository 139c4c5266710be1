"""One-time links for e-mail, signed with ``django.core.signing``.

A token signs an object's id under a salt that holds a digest of the state the link is for
(for an account: its password hash, last login and active flag, as Django's password-reset
tokens do). Any change of that state ends the token, so a link works once and dies when the
password changes or someone signs in. Valid for ``PASSWORD_RESET_TIMEOUT`` (three days).
"""

import hashlib
from collections.abc import Callable
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from marketflow.models import User


def account_state(user: User | None) -> tuple:
    """What a link about an account signs: any change ends the link."""
    if user is None:
        return ()
    return (user.pk, user.email, user.password, user.last_login, user.is_active)


class OneTimeLinkToken:
    """``make_token(obj)`` and ``check_token(obj, token)`` over ``state(obj)``."""

    def __init__(self, *, purpose: str, state: Callable[[object], tuple]):
        self.purpose = purpose
        self.state = state

    def _salt(self, obj) -> str:
        state = "\x1f".join(str(part) for part in self.state(obj))
        digest = hashlib.sha256(state.encode()).hexdigest()
        return f"marketflow.tokens.{self.purpose}:{digest}"

    def make_token(self, obj) -> str:
        return signing.dumps(str(obj.pk), salt=self._salt(obj))

    def check_token(self, obj, token: str) -> bool:
        try:
            signed = signing.loads(
                token, salt=self._salt(obj), max_age=settings.PASSWORD_RESET_TIMEOUT
            )
        except signing.BadSignature:  # also an expired one
            return False
        return signed == str(obj.pk)


email_verification_token = OneTimeLinkToken(purpose="email-verification", state=account_state)
"""Signs an organizer's pending sign-up; verifying activates the account, which ends it."""


def encode_id(pk) -> str:
    return urlsafe_base64_encode(force_bytes(pk))


def decode_id(encoded: str) -> UUID | None:
    """The id ``encode_id`` encoded, or None for anything else."""
    try:
        return UUID(force_str(urlsafe_base64_decode(encoded)))
    except (ValueError, TypeError):
        return None
