"""API tokens (issue 11, finding 5, and the token half of finding 4): hashed at rest, they
expire, and they end on sign-out, on any password change (admin form, reset link, any other
way) and on e-mail verification; the list of one's own tokens; ``GET /api/me/``. Activation
never touches an existing account (tests/test_identity.py), so it has no token to end."""

import datetime
import re

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.crypto import hash_token
from rest_framework.test import APIClient

from conftest import token_client
from marketflow import services
from marketflow.models import ApiToken, User
from marketflow.tests.factories import OrganizerFactory
from marketflow.tokens import email_verification_token, encode_id
from tests.api_contract import assert_error, assert_page
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # the factories' password
NEW_PASSWORD = "plum-orchard-42-lantern"
TTL = settings.REST_KNOX["TOKEN_TTL"]


def sign_in(user) -> tuple[str, dict]:
    response = APIClient().post(
        "/api/auth/token/", {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"], response.json()


def client_for(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def row(token: str) -> ApiToken:
    return ApiToken.objects.get(digest=hash_token(token))


def expire(token: str) -> None:
    ApiToken.objects.filter(pk=row(token).pk).update(expiry=timezone.now())


def works(token: str) -> bool:
    status = client_for(token).get("/api/me/").status_code
    assert status in (200, 401), status
    return status == 200


# -- issuing: the contract, hashed at rest -------------------------------------------------------


def test_the_token_endpoint_answers_the_token_and_when_it_expires(organizer):
    before = timezone.now()
    token, body = sign_in(organizer)

    assert set(body) == {"token", "expiry"}
    expiry = datetime.datetime.fromisoformat(body["expiry"])
    assert before + TTL <= expiry <= timezone.now() + TTL
    assert works(token)


def test_only_a_digest_of_the_token_is_stored(organizer):
    token, _body = sign_in(organizer)

    stored = ApiToken.objects.filter(user=organizer).values().get()
    assert not [value for value in stored.values() if str(value) == token]
    assert stored["digest"] == hash_token(token) != token


def test_the_lifetime_is_a_setting(settings, organizer):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": datetime.timedelta(hours=2)}
    _token, body = sign_in(organizer)

    expiry = datetime.datetime.fromisoformat(body["expiry"])
    assert expiry - timezone.now() <= datetime.timedelta(hours=2)


# -- expiry ----------------------------------------------------------------------------------


def test_a_token_works_until_it_expires_and_not_after(organizer, monkeypatch):
    token, _body = sign_in(organizer)
    issued = timezone.now()

    monkeypatch.setattr(timezone, "now", lambda: issued + TTL - datetime.timedelta(minutes=1))
    assert works(token)
    monkeypatch.setattr(timezone, "now", lambda: issued + TTL + datetime.timedelta(seconds=1))
    response = client_for(token).get("/api/markets/")

    assert_error(response, 401, "authentication_failed")


def test_authenticating_writes_nothing_even_with_an_expired_token(organizer):
    live, _body = sign_in(organizer)
    expired, _body = sign_in(organizer)
    expire(expired)

    for token, status in ((live, 200), (expired, 401)):
        with CaptureQueriesContext(connection) as queries:
            assert client_for(token).get("/api/me/").status_code == status
        assert all(query["sql"].startswith("SELECT") for query in queries), queries.captured_queries
    assert ApiToken.objects.count() == 2  # the expired row waits for the next sign-in


def test_a_sign_in_deletes_the_user_s_dead_tokens(organizer, other_organizer):
    expire(sign_in(organizer)[0])
    sign_in(other_organizer)
    others = ApiToken.objects.filter(user=other_organizer).count()
    token, _body = sign_in(organizer)

    assert ApiToken.objects.filter(user=organizer).count() == 1 and works(token)
    assert ApiToken.objects.filter(user=other_organizer).count() == others


# -- sign-out and the list of one's tokens -----------------------------------------------------


def test_logout_ends_this_token_only(organizer):
    token, _body = sign_in(organizer)
    other, _body = sign_in(organizer)

    response = client_for(token).post("/api/auth/logout/")

    assert response.status_code == 204
    assert not works(token)
    assert works(other)


def test_logout_needs_a_token_not_a_session(organizer):
    session = APIClient()
    session.force_login(organizer)

    assert_error(session.post("/api/auth/logout/"), 401, "not_authenticated")
    assert_error(APIClient().post("/api/auth/logout/"), 401, "not_authenticated")


def test_logout_all_ends_every_token_of_the_user_only(organizer, other_organizer):
    tokens = [sign_in(organizer)[0] for _ in range(3)]
    neighbour, _body = sign_in(other_organizer)

    assert client_for(tokens[0]).post("/api/auth/logout-all/").status_code == 204

    assert not any(works(token) for token in tokens)
    assert works(neighbour)


def test_the_token_list_shows_my_live_tokens_without_secrets(organizer, other_organizer):
    token, _body = sign_in(organizer)
    expired, _body = sign_in(organizer)
    expire(expired)
    sign_in(other_organizer)

    rows = assert_page(client_for(token).get("/api/auth/tokens/"))

    assert [set(listed) for listed in rows] == [{"id", "created", "expiry"}]
    assert rows[0]["id"] == str(row(token).pk)
    assert token not in str(rows) and row(token).digest not in str(rows)


def test_deleting_one_of_my_tokens_ends_it(organizer):
    token, _body = sign_in(organizer)
    other, _body = sign_in(organizer)

    response = client_for(token).delete(f"/api/auth/tokens/{row(other).pk}/")

    assert response.status_code == 204
    assert not works(other) and works(token)


def test_another_user_s_token_id_is_a_404_and_keeps_working(organizer, other_organizer):
    token, _body = sign_in(organizer)
    theirs, _body = sign_in(other_organizer)

    response = client_for(token).delete(f"/api/auth/tokens/{row(theirs).pk}/")

    assert_error(response, 404, "not_found")
    assert works(theirs)


# -- a changed password ends every token -------------------------------------------------------


def test_the_admin_password_change_form_ends_the_tokens(organizer):
    token, _body = sign_in(organizer)
    admin = Client()
    admin.force_login(organizer)

    response = admin.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302, response.content
    assert not works(token)


def test_a_password_reset_ends_the_tokens(client, organizer):
    token, _body = sign_in(organizer)
    client.post("/accounts/password-reset/", {"email": organizer.email})
    link = re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)

    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert done.status_code == 302
    assert not works(token)
    assert not ApiToken.objects.filter(user=organizer).exists()  # deleted, not only refused


def test_a_password_changed_any_other_way_ends_the_tokens(organizer):
    """``manage.py changepassword``, the shell: no service is told, the check still holds."""
    token, _body = sign_in(organizer)

    organizer.set_password(NEW_PASSWORD)
    organizer.save(update_fields=["password"])

    assert not works(token)
    assert ApiToken.objects.filter(user=organizer).exists()  # refused, though still stored


def test_a_token_asked_for_with_the_old_password_during_a_change_does_not_work(organizer):
    """The race of a sign-in with the old password against a reset: whichever commits last,
    the token names the password it was issued under."""
    stale_user = type(organizer).objects.get(pk=organizer.pk)  # read before the change
    organizer.set_password(NEW_PASSWORD)
    organizer.save(update_fields=["password"])
    services.user_tokens_revoke(user=organizer)

    _row, token = services.user_token_create(user=stale_user)  # commits after the reset

    assert not works(token)


def test_a_control_token_of_the_current_password_works(organizer):
    organizer.set_password(NEW_PASSWORD)
    organizer.save(update_fields=["password"])

    _row, token = services.user_token_create(user=organizer)

    assert works(token)


# -- squatted addresses and e-mail verification ------------------------------------------------


def test_a_squatter_s_token_dies_when_the_owner_of_the_address_resets_the_password(
    client, django_capture_on_commit_callbacks
):
    """Finding 4: a squatter signs up with a vendor's address, the vendor clicks the
    verification mail, the squatter takes a token; the vendor cannot activate over a verified
    account, so they reset its password, and the squatter's token ends."""
    vendor = VendorFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.organizer_sign_up(email=vendor.email, password=PASSWORD)
    squatted = User.objects.get(email=vendor.email)
    services.organizer_verify_email(
        uidb64=encode_id(squatted.pk), token=email_verification_token.make_token(squatted)
    )
    token, _body = sign_in(squatted)
    mail.outbox.clear()

    client.post("/accounts/password-reset/", {"email": vendor.email})
    link = re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert not works(token)


def test_verifying_an_e_mail_ends_the_tokens_made_before(db):
    squatter = OrganizerFactory(is_active=False)
    _row, token = services.user_token_create(user=squatter)

    services.organizer_verify_email(
        uidb64=encode_id(squatter.pk), token=email_verification_token.make_token(squatter)
    )

    assert not works(token)
    assert not ApiToken.objects.filter(user=squatter).exists()


# -- GET /api/me/ ----------------------------------------------------------------------------


def test_me_for_an_organizer(organizer):
    response = token_client(organizer).get("/api/me/")

    assert response.status_code == 200
    assert response.json() == {
        "id": str(organizer.pk),
        "email": organizer.email,
        "is_organizer": True,
        "is_vendor": False,
        "plan": "free",
        "plan_status": "",
        "plan_renews_at": None,
        "plan_grace_until": None,
    }


def test_me_for_a_vendor_signed_in_with_a_session(vendor_user):
    client = APIClient()
    client.force_login(vendor_user)

    body = client.get("/api/me/").json()

    assert (body["id"], body["is_organizer"], body["is_vendor"]) == (
        str(vendor_user.pk),
        False,
        True,
    )


def test_me_for_nobody_is_401(anon_client):
    assert_error(anon_client.get("/api/me/"), 401, "not_authenticated")


def test_the_token_s_user_is_the_stored_user_field_by_field(organizer):
    """The authentication builds ``request.user`` from its own statement's row: every field
    must come back as the ORM loads it (a field needing a database converter would not)."""
    from marketflow.authentication import TokenAuthentication

    secret, _ = sign_in(organizer)
    user, token = TokenAuthentication().authenticate_credentials(secret.encode())
    stored = User.objects.get(pk=organizer.pk)
    for field in User._meta.concrete_fields:
        assert getattr(user, field.attname) == getattr(stored, field.attname), field.name
    assert token.pk == ApiToken.objects.get(user=organizer).pk
