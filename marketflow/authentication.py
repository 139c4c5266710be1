"""API token authentication: django-rest-knox's tokens, checked in one query that writes nothing."""

from functools import cache

from django.db import connection
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth
from knox.crypto import hash_token
from rest_framework.exceptions import AuthenticationFailed

from marketflow.models import ApiToken, User


@cache
def _token_user_sql() -> str:
    """The token's user, with the token's id and password check, by the token's digest: one
    hand-written statement through ``Manager.raw``, which runs it as written (an ORM queryset
    would be compiled again on every request; this is every API request's first read)."""
    user_table = connection.ops.quote_name(User._meta.db_table)
    token_table = connection.ops.quote_name(ApiToken._meta.db_table)
    columns = ", ".join(
        f"u.{connection.ops.quote_name(field.column)}" for field in User._meta.concrete_fields
    )
    return (
        f"SELECT {columns}, t.id AS api_token_id, t.password_check AS api_token_password_check "
        f"FROM {token_table} t JOIN {user_table} u ON u.id = t.user_id "
        "WHERE t.digest = %s AND t.expiry > %s"
    )


class TokenAuthentication(auth.TokenAuthentication):
    """``Authorization: Token <token>``. Knox's own check also reads all of the user's tokens
    and deletes the expired ones on every request; this one reads the token by its digest,
    with its user, and refuses it once expired, or once the user's password is not the one
    it was issued under (every way of changing a password, as for sessions). Expired rows
    are deleted by writes (``services.user_token_create``), never by a read."""

    def authenticate_credentials(self, token: bytes):
        try:
            digest = hash_token(token.decode())
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid token.") from None
        users = list(User.objects.raw(_token_user_sql(), [digest, timezone.now()]))
        if not users or not constant_time_compare(
            users[0].api_token_password_check, users[0].get_session_auth_hash()
        ):
            raise AuthenticationFailed("Invalid token.")
        user = users[0]
        # ``request.auth``: the token row as read (its id names it to logout).
        api_token = ApiToken(id=user.api_token_id, user=user, digest=digest)
        return self.validate_user(api_token)  # knox's: an inactive user is refused


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of this class (drf-spectacular knows knox's own only)."""

    target_class = TokenAuthentication
    name = "tokenAuth"
