"""`manage.py check --deploy --fail-level WARNING` passes on the production settings (what
`make check-deploy` runs in CI), and fails when one of the promised settings is weakened."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[1]


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "MARKETFLOW_", "DATABASE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="marketflow.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="example.com",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/marketflow",
    )
    env.update(overrides)
    return env


def check_deploy(**overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(**overrides),
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_value(expression: str, **overrides: str) -> str:
    """``expression`` evaluated against the production settings, in a fresh process."""
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production_env(**overrides),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


def test_the_deployment_checks_pass_on_the_production_settings():
    result = check_deploy()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "check_id"),
    [
        ({"DJANGO_DEBUG": "1"}, "security.W018"),  # DEBUG on
        ({"DJANGO_SECURE_SSL_REDIRECT": "0"}, "security.W008"),  # no HTTPS redirect
        ({"DJANGO_SECURE_HSTS_SECONDS": "3600"}, "marketflow.W001"),  # HSTS shorter than a year
        ({"DJANGO_SECRET_KEY": "too-short"}, "security.W009"),
    ],
)
def test_the_deployment_checks_fail_when_a_setting_is_weakened(overrides, check_id):
    """Controls: the same command, one setting weakened, fails and names the problem."""
    result = check_deploy(**overrides)

    assert result.returncode != 0
    assert check_id in result.stdout + result.stderr


def test_production_settings_are_the_promised_ones():
    assert settings_value("settings.DEBUG") == "False"
    assert settings_value("settings.SECURE_SSL_REDIRECT") == "True"
    assert settings_value("settings.SECURE_HSTS_SECONDS") == "31536000"
    assert settings_value("settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE") == (
        "True"
    )
    assert settings_value("settings.PASSWORD_HASHERS[0]") == (
        "django.contrib.auth.hashers.Argon2PasswordHasher"
    )
    assert settings_value("settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['default-src']") == (
        "[\"'self'\"]"
    )


def csp_directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


@pytest.mark.django_db
def test_responses_carry_the_strict_content_security_policy(client):
    response = client.get("/accounts/sign-in/")

    directives = csp_directives(response)
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    # The page's one inline <style> carries the nonce the header allows; nothing else inline.
    nonce = directives["style-src"].split("'nonce-")[1].rstrip("'")
    assert f'<style nonce="{nonce}">' in response.content.decode()
    assert "unsafe-inline" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_only_the_api_docs_allow_inline_styles(client):
    docs = csp_directives(client.get("/api/docs/"))
    admin_login = client.get("/admin/login/")

    assert docs["style-src"] == "'self' 'unsafe-inline'"
    # Swagger UI's one inline start-up script runs by the response's nonce, nothing else.
    assert docs["script-src"].startswith("'self' 'nonce-")
    assert "unsafe" not in docs["script-src"]
    assert "unsafe-inline" not in admin_login["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_csrf_failure_page_keeps_its_style_under_the_policy():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/sign-in/", {"username": "a@b.example", "password": "x"})

    assert response.status_code == 403
    nonce = csp_directives(response)["style-src"].split("'nonce-")[1].rstrip("'")
    assert f'<style nonce="{nonce}">' in response.content.decode()
    assert "Please try again" in response.content.decode()


def bare_env() -> dict[str, str]:
    """A checkout's shell: no Django, Marketflow or database variables at all."""
    return {"PATH": os.environ["PATH"]}


def test_makemigrations_runs_in_a_bare_checkout_and_finds_nothing_missing():
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=bare_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


@pytest.mark.parametrize("entry_point", ["marketflow.wsgi", "marketflow.asgi"])
def test_the_server_refuses_to_start_without_a_secret_key(entry_point):
    def start(env):
        command = [sys.executable, "-c", f"import {entry_point}"]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)

    without_key = start(bare_env())
    with_key = start({**bare_env(), "DJANGO_SECRET_KEY": secrets.token_urlsafe(64)})

    assert without_key.returncode != 0
    assert "SECRET_KEY setting must not be empty" in without_key.stderr
    assert with_key.returncode == 0, with_key.stderr
