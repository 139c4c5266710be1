"""How requests are authenticated: DRF's token authentication and Django's ModelBackend,
each reading the user with one prepared query."""

import uuid

from django.contrib.auth import backends
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from marketflow.models import User
from marketflow.prepared import PreparedGet

token_user = PreparedGet(lambda key: User.objects.filter(auth_token__key=key), key=str)


class TokenAuthentication(authentication.TokenAuthentication):
    """Answers what DRF's does (the same errors, ``request.auth`` a Token of the key), with
    the user compiled once instead of a ``select_related`` compiled per request."""

    def authenticate_credentials(self, key):
        user = token_user.get(key=key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token = Token.from_db(None, ["key", "user_id"], [key, user.pk])
        token.user = user
        return (user, token)


_user_by_id = PreparedGet(lambda pk: User.objects.filter(pk=pk), pk=uuid.UUID)


class ModelBackend(backends.ModelBackend):
    """Django's ModelBackend; the signed-in user of every page and admin request is read by
    a prepared query (marketflow/prepared.py) rather than compiled per request."""

    def get_user(self, user_id):
        user = _user_by_id.get(pk=user_id)
        if user is None:
            return None
        return user if self.user_can_authenticate(user) else None
