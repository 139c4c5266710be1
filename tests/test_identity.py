"""Issue 11, findings 1, 4, 7 and 8: activation that only creates the vendor's own account,
one-time links over the account state, no published key, sign-up that reserves nothing and
tells nobody which addresses have accounts, e-mail links from MARKETFLOW_BASE_URL only."""

import datetime
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from marketflow.errors import LinkInvalidError
from marketflow.models import ApiToken, User
from marketflow.services import organizer_sign_up, organizer_verify_email, user_token_create
from marketflow.tests.factories import OrganizerFactory, UserFactory
from marketflow.tokens import email_verification_token, encode_id
from vendors.errors import VendorAccountExistsError
from vendors.services import vendor_account_activate
from vendors.tokens import vendor_activation_token

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
STRONG = "plum-orchard-42-lantern"
OTHER = "quince-harbour-17-anvil"
BASE_URL = "https://markets.example.com"


def activate(vendor, password=STRONG) -> User:
    token = vendor_activation_token.make_token(vendor)
    return vendor_account_activate(uidb64=encode_id(vendor.pk), token=token, password=password)


def sign_up(email, password=STRONG, **extra):
    return organizer_sign_up(email=email, password=password, **extra)


def verify(message) -> User:
    """Follow the verification link in ``message``."""
    uidb64, token = re.search(r"/signup/verify/([^/]+)/([^/]+)/", message.body).groups()
    return organizer_verify_email(uidb64=uidb64, token=token)


# Finding 1: account takeover through activation.


@pytest.mark.parametrize(
    "account",
    [
        {"is_staff": True, "is_superuser": True},
        {"is_staff": True},
        {"is_organizer": True, "is_staff": True},
        {},  # any account this flow did not create
    ],
    ids=["superuser", "staff", "organizer", "other"],
)
def test_activation_never_sets_the_password_of_an_existing_account(vendor, account):
    existing = UserFactory(email=vendor.email, **account)

    with pytest.raises(VendorAccountExistsError, match="Sign in with it"):
        activate(vendor)

    existing.refresh_from_db()
    vendor.refresh_from_db()
    assert existing.check_password("correct-horse-battery") and vendor.user is None


def test_debug_without_a_key_uses_this_checkouts_random_key_not_a_published_one():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(DJANGO_SETTINGS_MODULE="marketflow.settings", DJANGO_DEBUG="1")
    script = "from django.conf import settings; print(settings.SECRET_KEY)"

    def key() -> str:
        command = [sys.executable, "-c", script]
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    first, second = key(), key()
    assert first == second == (ROOT / ".dev-secret-key").read_text().strip()
    assert first != "development-only-insecure-key" and len(first) >= 50


def test_a_verification_link_dies_when_the_password_or_last_login_changes(db):
    user = OrganizerFactory(is_active=False)
    for change in [
        lambda: user.set_password(OTHER),
        lambda: setattr(user, "last_login", timezone.now()),
    ]:
        token = email_verification_token.make_token(user)
        assert email_verification_token.check_token(user, token)
        change()
        assert not email_verification_token.check_token(user, token)


def test_an_activation_link_dies_once_an_account_is_linked(vendor):
    token = vendor_activation_token.make_token(vendor)

    vendor.user = activate(vendor)

    assert not vendor_activation_token.check_token(vendor, token)


# Finding 4: unverified sign-ups squat e-mails.


def test_a_vendor_activates_over_an_unverified_sign_up_of_their_address(vendor):
    sign_up(vendor.email, password=OTHER)
    squatter = User.objects.get(email=vendor.email)
    user_token_create(user=squatter)

    user = activate(vendor)

    assert not User.objects.filter(pk=squatter.pk).exists()
    assert not ApiToken.objects.exists()
    assert User.objects.get(email=vendor.email) == user
    assert user.is_active and not user.is_organizer and not user.is_staff
    assert Client().login(email=vendor.email, password=STRONG)


def test_signing_up_again_sends_a_new_link_the_newest_password_wins(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up("lena@market.example", password=OTHER)
    squatter = User.objects.get()
    user_token_create(user=squatter)

    with django_capture_on_commit_callbacks(execute=True):
        sign_up("lena@market.example", full_name="Lena")

    first, second = mail.outbox
    with pytest.raises(LinkInvalidError):
        verify(first)
    user = verify(second)
    assert user.pk == squatter.pk and user.full_name == "Lena"
    assert not ApiToken.objects.exists()
    assert Client().login(email="lena@market.example", password=STRONG)
    assert not Client().login(email="lena@market.example", password=OTHER)


def test_unverified_sign_ups_expire_and_the_purge_is_safe_to_repeat(db):
    days = datetime.timedelta(days=7, minutes=1)
    expired = OrganizerFactory(is_active=False, date_joined=timezone.now() - days)
    recent = OrganizerFactory(is_active=False)
    verified = OrganizerFactory(date_joined=timezone.now() - days)
    signed_in_once = OrganizerFactory(
        is_active=False, date_joined=timezone.now() - days, last_login=timezone.now()
    )

    first, again = io.StringIO(), io.StringIO()
    call_command("purge_unverified_accounts", stdout=first)
    call_command("purge_unverified_accounts", stdout=again)

    assert first.getvalue().startswith("Deleted 1 ") and again.getvalue().startswith("Deleted 0 ")

    assert set(User.objects.all()) == {recent, verified, signed_in_once}
    assert expired not in User.objects.all()


# Finding 8: sign-up reveals which e-mails have accounts.


def without_nonces(content: bytes) -> bytes:
    """A page without its per-response CSP nonces."""
    return re.sub(rb'nonce="[^"]*"', b"", content)


@pytest.mark.parametrize(
    "account",
    [{"is_organizer": True, "is_staff": True}, {}, {"is_staff": True, "is_superuser": True}],
    ids=["organizer", "vendor", "superuser"],
)
def test_sign_up_answers_the_same_for_a_known_address_and_mails_its_owner(
    client, django_capture_on_commit_callbacks, account
):
    UserFactory(email="known@market.example", **account)

    def signup_page(email):
        data = {"email": email, "password": STRONG, "password_again": STRONG}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/signup/", data, follow=True)

    known, unknown = signup_page("known@market.example"), signup_page("new@market.example")

    assert known.redirect_chain == unknown.redirect_chain == [("/signup/done/", 302)]
    assert without_nonces(known.content) == without_nonces(unknown.content)
    notice, verification = mail.outbox
    assert notice.to == ["known@market.example"]
    assert "Someone tried to create" in notice.body and "/accounts/sign-in/" in notice.body
    assert verification.to == ["new@market.example"] and "/signup/verify/" in verification.body
    assert User.objects.get(email="known@market.example").check_password("correct-horse-battery")


# Finding 7: links in e-mails follow the request's Host header.

HOSTILE_HOST = "127.0.0.1:1"


def links_in_outbox() -> list[str]:
    texts = [m.body for m in mail.outbox] + [
        content for m in mail.outbox for content, _ in m.alternatives
    ]
    return [link for text in texts for link in re.findall(r"https?://[^\s\"'<]+", text)]


@override_settings(MARKETFLOW_BASE_URL=BASE_URL)
def test_every_link_in_every_account_e_mail_is_built_from_the_base_url(
    client, django_capture_on_commit_callbacks, vendor_user
):
    host = {"HTTP_HOST": HOSTILE_HOST}
    client.post("/accounts/password-reset/", {"email": vendor_user.email}, **host)
    for email in [vendor_user.email, "new@market.example"]:
        data = {"email": email, "password": STRONG, "password_again": STRONG}
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/signup/", data, **host)

    links = links_in_outbox()
    assert not any(HOSTILE_HOST in message.message().as_string() for message in mail.outbox)
    assert all(link.startswith(f"{BASE_URL}/") for link in links), links
    assert any(link.startswith(f"{BASE_URL}/accounts/password-reset/") for link in links)
    assert len(mail.outbox) == 3  # the reset, the sign-up notice, the verification
    assert len(links) == 8  # each twice (text and HTML), the notice's two links
