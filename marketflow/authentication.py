"""API token authentication: django-rest-knox's tokens, checked in one query that writes nothing."""

from django.utils import timezone
from django.utils.crypto import constant_time_compare
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth
from knox.crypto import hash_token
from rest_framework.exceptions import AuthenticationFailed

from marketflow.models import ApiToken


class TokenAuthentication(auth.TokenAuthentication):
    """``Authorization: Token <token>``. Knox's own check also reads all of the user's tokens
    and deletes the expired ones on every request; this one reads the token by its digest,
    with its user, and refuses it once expired, or once the user's password is not the one
    it was issued under (every way of changing a password, as for sessions). Expired rows
    are deleted by writes (``services.user_token_create``), never by a read."""

    def authenticate_credentials(self, token: bytes):
        try:
            api_token = ApiToken.objects.select_related("user").get(
                digest=hash_token(token.decode()), expiry__gt=timezone.now()
            )
        except (UnicodeDecodeError, ApiToken.DoesNotExist):
            raise AuthenticationFailed("Invalid token.") from None
        if not constant_time_compare(
            api_token.password_check, api_token.user.get_session_auth_hash()
        ):
            raise AuthenticationFailed("Invalid token.")
        return self.validate_user(api_token)  # knox's: an inactive user is refused


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of this class (drf-spectacular knows knox's own only)."""

    target_class = TokenAuthentication
    name = "tokenAuth"
