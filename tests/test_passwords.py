"""Password rules per OWASP ASVS 5.0 (V6.2) and Argon2 hashing in production.

At least 8 characters; common and context-specific passwords refused; up to 128 characters
accepted, in full (no truncation); any characters, with no composition rules. The test
settings hash with MD5 for speed, so the production hashers are taken from
``marketflow.settings`` itself.
"""

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.test import RequestFactory

import marketflow.settings as production
from marketflow.errors import ValidationFailedError
from marketflow.models import User
from marketflow.services import organizer_sign_up
from marketflow.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "plum-orchard-42-lantern"


@pytest.fixture
def production_validators(settings):
    """The validators of the production settings (the test settings inherit them too)."""
    settings.AUTH_PASSWORD_VALIDATORS = production.AUTH_PASSWORD_VALIDATORS


@pytest.fixture
def production_hashers(settings):
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS


def problems(password: str, user=None) -> list[str]:
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        return [e.code for e in error.error_list]
    return []


@pytest.mark.parametrize(
    "password",
    [
        "lantern-8",  # 9 characters, lower case and a digit
        "qmvtzkrw",  # exactly 8, letters only: no composition rule
        "8274619305172",  # digits only, not a common one
        "correct horse battery staple",  # spaces
        "Grüße aus Köln 🌻 und Lüttich",  # any Unicode
        "x" * 30 + "plum orchard lantern" + "y" * 14,  # 64 characters
        "a long passphrase " * 7 + "ok",  # 128 characters
    ],
)
def test_acceptable_passwords(production_validators, password):
    assert problems(password, user=User(email="lena@market.example")) == []


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("k9#Lm2!", "password_too_short"),  # 7 characters, however mixed
        ("", "password_too_short"),
        ("password1", "password_too_common"),
        ("12345678", "password_too_common"),
        ("iloveyou", "password_too_common"),
        ("qwertyuiop", "password_too_common"),
        ("a" * 129, "password_too_long"),
    ],
)
def test_refused_passwords(production_validators, password, code):
    assert code in problems(password)


def test_a_password_like_the_account_s_own_details_is_refused(production_validators):
    user = User(email="lena.orchard@market.example", full_name="Lena Orchard")

    assert "password_too_similar" in problems("lena.orchard", user=user)


def test_the_rules_are_explained_where_a_password_is_chosen(production_validators):
    texts = " ".join(password_validators_help_texts())

    assert "at least 8 characters" in texts
    assert "commonly used password" in texts
    assert "up to 128 characters" in texts
    assert "entirely numeric" not in texts  # no composition rules


def test_the_sign_up_service_applies_the_rules(production_validators):
    with pytest.raises(ValidationFailedError) as excinfo:
        organizer_sign_up(email="new@market.example", password="password1")

    assert excinfo.value.extra["fields"]["password"]
    assert not User.objects.filter(email="new@market.example").exists()


def test_the_sign_up_page_takes_a_long_passphrase_as_typed(
    production_validators, client, django_capture_on_commit_callbacks
):
    passphrase = "  two spaces, then a long passphrase that nobody would guess at all  "
    assert len(passphrase) > 64

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/signup/",
            {
                "email": "long@market.example",
                "full_name": "Long",
                "password": passphrase,
                "password_again": passphrase,
            },
        )

    assert response.status_code == 302
    user = User.objects.get(email="long@market.example")
    assert user.check_password(passphrase)
    assert not user.check_password(passphrase.strip())  # not stripped
    assert not user.check_password(passphrase[:-1])  # not truncated


# -- hashing ------------------------------------------------------------------------------------


def test_production_hashes_new_passwords_with_argon2id(production_hashers):
    encoded = make_password(PASSWORD)

    assert encoded.startswith("argon2$argon2id$")
    assert identify_hasher(encoded).algorithm == "argon2"
    assert check_password(PASSWORD, encoded)
    assert not check_password(PASSWORD.upper(), encoded)


def test_argon2_uses_every_character_of_a_long_password(production_hashers):
    long_password = "p" * 100 + "-the-end"
    encoded = make_password(long_password)

    assert check_password(long_password, encoded)
    assert not check_password(long_password[:72], encoded)  # no bcrypt-style truncation
    assert not check_password(long_password[:-1], encoded)


def test_an_older_hash_is_upgraded_to_argon2_at_sign_in(production_hashers, settings):
    user = UserFactory(email="old@market.example")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    assert user.password.startswith("pbkdf2_sha256$")
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS

    request = RequestFactory().post("/accounts/sign-in/")
    signed_in = authenticate(request, username="old@market.example", password=PASSWORD)

    assert signed_in == user
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")


def test_the_test_settings_keep_a_fast_hasher(settings):
    """The suite itself hashes with MD5 (thousands of users); production never does."""
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert "MD5" not in " ".join(production.PASSWORD_HASHERS)
