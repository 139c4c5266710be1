"""The one-time link that confirms an application: the application's id, signed.

Signed with ``django.core.signing`` (the secret key and a salt of its own), so nobody can make
one for an application they did not get the e-mail of. It works once because confirming
moves the application out of ``unconfirmed``, and stops working with the purge
(``UNCONFIRMED_LIFETIME``).
"""

from uuid import UUID

from django.core import signing

from applications.models import UNCONFIRMED_LIFETIME

SALT = "applications.confirmation"


def confirmation_token(application_id: UUID) -> str:
    return signing.dumps(str(application_id), salt=SALT)


def confirmation_application_id(token: str) -> UUID | None:
    """The id ``token`` signs, or None when it is forged, malformed or too old."""
    try:
        return UUID(signing.loads(token, salt=SALT, max_age=UNCONFIRMED_LIFETIME))
    except (signing.BadSignature, ValueError, TypeError):
        return None
