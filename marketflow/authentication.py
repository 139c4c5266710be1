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
    """The token's user, then the token's id and password check, by the token's digest: one
    hand-written statement, run as written (an ORM queryset would be compiled again on every
    request, and ``Manager.raw`` spends twice the statement's own cost on mapping columns;
    this is every API request's first read)."""
    user_table = connection.ops.quote_name(User._meta.db_table)
    token_table = connection.ops.quote_name(ApiToken._meta.db_table)
    columns = ", ".join(
        f"u.{connection.ops.quote_name(field.column)}" for field in User._meta.concrete_fields
    )
    return (
        f"SELECT {columns}, t.id, t.password_check "
        f"FROM {token_table} t JOIN {user_table} u ON u.id = t.user_id "
        "WHERE t.digest = %s AND t.expiry > %s"
    )


class TokenAuthentication(auth.TokenAuthentication):
    """``Authorization: Token <token>``. Knox's own check also reads all of the user's tokens
    and deletes the expired ones on every request; this one reads the token by its digest,
    with its user, and refuses it once expired, or once the user's password is not the one
    it was issued under (every way of changing a password, as for sessions). Expired rows
    are deleted by writes (``services.user_token_create``), never by a read.

    ``request.user`` is built from the row with the model's constructor (the columns in
    field order), so Django takes it for an unsaved instance: services that change a user
    read the row again (``select_for_update``) instead of saving ``request.user``."""

    def authenticate_credentials(self, token: bytes):
        try:
            digest = hash_token(token.decode())
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid token.") from None
        with connection.cursor() as cursor:
            cursor.execute(_token_user_sql(), [digest, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            raise AuthenticationFailed("Invalid token.")
        *user_values, token_id, password_check = row
        user = User(*user_values)
        if not constant_time_compare(password_check, user.get_session_auth_hash()):
            raise AuthenticationFailed("Invalid token.")
        # ``request.auth``: the token row as read (its id names it to logout).
        api_token = ApiToken(id=token_id, user=user, digest=digest)
        return self.validate_user(api_token)  # knox's: an inactive user is refused


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of this class (drf-spectacular knows knox's own only)."""

    target_class = TokenAuthentication
    name = "tokenAuth"
