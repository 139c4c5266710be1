"""Repeated failed sign-ins lock out, on every face: the admin's login, the vendor portal's
sign-in and the API's token endpoint (django-axes, configured in settings and
marketflow/security.py).

After AXES_FAILURE_LIMIT failures for one e-mail address from one client address, that pair
is locked until the cool-off has passed: a stranger elsewhere cannot lock the owner out
(issue 11, finding 10). Guessing at many accounts from one address is bounded by a rate per
address instead: the sign-in pages' budget and the token endpoint's throttle. A forged
``X-Forwarded-For`` changes nothing: the client address comes from the socket, or from the
entries our own trusted proxies appended.
"""

import datetime

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.test import Client, RequestFactory
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from marketflow.security import client_ip
from marketflow.tests.factories import OrganizerFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # the factories' password
LIMIT = settings.AXES_FAILURE_LIMIT
TOKEN_URL = "/api/auth/token/"
ADMIN_LOGIN = "/admin/login/"
PORTAL_LOGIN = "/accounts/sign-in/"


def test_the_limit_is_a_handful_of_attempts():
    assert 3 <= LIMIT <= 10
    assert datetime.timedelta(minutes=5) <= settings.AXES_COOLOFF_TIME


# -- the token endpoint ------------------------------------------------------------------------


def token_request(email: str, password: str, ip: str = "198.51.100.7", **headers):
    return APIClient().post(
        TOKEN_URL, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip, **headers
    )


def assert_locked_out(response) -> None:
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert set(response.json()) == {"code", "detail", "extra"}
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()


def test_token_failures_below_the_limit_still_let_the_right_password_in():
    user = UserFactory()
    for _ in range(LIMIT - 1):
        assert token_request(user.email, "wrong-password").status_code == 401

    response = token_request(user.email, PASSWORD)

    assert response.status_code == 200 and response.json()["token"]


def test_token_endpoint_locks_out_after_the_limit():
    user = UserFactory()
    statuses = [token_request(user.email, "wrong-password").status_code for _ in range(LIMIT)]

    assert statuses == [401] * (LIMIT - 1) + [429]
    response = token_request(user.email, PASSWORD)  # even the right password, now
    assert_locked_out(response)
    assert response.json()["detail"].startswith("Too many failed sign-in attempts")


def test_a_stranger_cannot_lock_the_owner_out():
    """Finding 10: failures from other addresses, one or many, lock those addresses out of
    the account, never the owner at their own address."""
    user = OrganizerFactory()  # staff, so that the admin lets them in too
    for _ in range(LIMIT):
        token_request(user.email, "wrong-password", ip="203.0.113.1")
    for n in range(LIMIT):
        token_request(user.email, "wrong-password", ip=f"203.0.113.{n + 10}")

    assert_locked_out(token_request(user.email, PASSWORD, ip="203.0.113.1"))
    assert token_request(user.email, PASSWORD, ip="192.0.2.200").status_code == 200
    for login_url in [ADMIN_LOGIN, PORTAL_LOGIN]:
        response = form_sign_in(Client(), login_url, user.email, PASSWORD, ip="192.0.2.200")
        assert response.status_code == 302, login_url


def test_failures_at_other_accounts_do_not_lock_an_address_out():
    """Finding 10: a shared address (a market's Wi-Fi, a carrier's NAT) is not locked for
    everyone by one client's failures at other accounts."""
    for n in range(LIMIT):
        token_request(f"nobody{n}@example.com", "Summer2025!", ip="198.51.100.50")
    user = UserFactory()

    assert token_request(user.email, PASSWORD, ip="198.51.100.50").status_code == 200


def test_guesses_at_many_accounts_from_one_address_are_bounded_on_the_sign_in_pages(settings):
    """Password spraying through the pages meets the address's budget of attempts
    (``MARKETFLOW_SIGN_IN_RATE``), before any password is checked."""
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "sign_in": "3/hour",
        },
    }
    user = OrganizerFactory()
    for n, login_url in enumerate([ADMIN_LOGIN, PORTAL_LOGIN, ADMIN_LOGIN]):
        response = form_sign_in(Client(), login_url, f"victim{n}@example.com", "Summer2025!")
        assert response.status_code == 200

    for login_url in [ADMIN_LOGIN, PORTAL_LOGIN]:
        client = Client()
        refused = form_sign_in(client, login_url, user.email, PASSWORD)
        assert refused.status_code == 200
        assert "Too many sign-in attempts from your connection" in refused.content.decode()
        assert "_auth_user_id" not in client.session
    other = form_sign_in(Client(), PORTAL_LOGIN, user.email, PASSWORD, ip="198.51.100.9")
    assert other.status_code == 302  # another address has its own budget


def test_guesses_at_many_accounts_from_one_address_are_bounded_on_the_token_endpoint(
    monkeypatch,
):
    cache.clear()
    # DRF's throttles read their rates once, at import: set the class's copy.
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "token": "3/hour"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    user = UserFactory()
    for n in range(3):
        assert token_request(f"victim{n}@example.com", "guess").status_code == 401

    response = token_request(user.email, PASSWORD)

    assert response.status_code == 429 and response.json()["code"] == "throttled"


def test_case_and_spaces_do_not_make_a_new_account_to_guess():
    user = UserFactory(email="ada@example.com")
    variants = ["ADA@example.com", " ada@Example.com", "Ada@EXAMPLE.com ", "ada@example.COM"]
    for n in range(LIMIT):
        token_request(variants[n % len(variants)], "wrong-password")

    assert_locked_out(token_request(user.email, PASSWORD))


def test_a_forged_x_forwarded_for_neither_evades_nor_resets_the_lockout():
    user = UserFactory()
    for n in range(LIMIT):
        response = token_request(
            user.email, "wrong-password", HTTP_X_FORWARDED_FOR=f"10.{n}.{n}.{n}"
        )

    assert_locked_out(response)
    for forged in ["192.0.2.1", "127.0.0.1", "10.9.9.9, 192.0.2.77", "", "garbage"]:
        assert_locked_out(token_request(user.email, PASSWORD, HTTP_X_FORWARDED_FOR=forged))
    # The attempts were all recorded against the socket address, not the header's.
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


def test_the_lockout_ends_after_the_cool_off():
    user = UserFactory()
    for _ in range(LIMIT):
        token_request(user.email, "wrong-password")
    assert_locked_out(token_request(user.email, PASSWORD))

    # Time passes (the attempts are dated back rather than the test sleeping).
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC)
        - settings.AXES_COOLOFF_TIME
        - datetime.timedelta(seconds=1)
    )

    assert token_request(user.email, PASSWORD).status_code == 200


# -- trusted proxies -----------------------------------------------------------------------------


def meta_request(remote_addr: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/", **extra)


@pytest.mark.parametrize(
    ("proxy_count", "remote_addr", "forwarded", "client"),
    [
        # No proxy: the header is the client's own words and is ignored.
        (0, "198.51.100.1", "192.0.2.9", "198.51.100.1"),
        (0, "198.51.100.1", None, "198.51.100.1"),
        # One proxy: it appended the address it saw; anything left of that is forged.
        (1, "10.0.0.2", "192.0.2.9", "192.0.2.9"),
        (1, "10.0.0.2", "1.1.1.1, 192.0.2.9", "192.0.2.9"),
        (1, "10.0.0.2", "1.1.1.1,192.0.2.9 ", "192.0.2.9"),
        # Two proxies: the client is the second entry from the right.
        (2, "10.0.0.3", "6.6.6.6, 192.0.2.9, 10.0.0.2", "192.0.2.9"),
        # A request that did not come through all our proxies: the socket address.
        (1, "198.51.100.1", None, "198.51.100.1"),
        (2, "10.0.0.3", "192.0.2.9", "10.0.0.3"),
    ],
)
def test_the_client_address_trusts_only_our_proxies(
    settings, proxy_count, remote_addr, forwarded, client
):
    settings.MARKETFLOW_TRUSTED_PROXY_COUNT = proxy_count

    assert client_ip(meta_request(remote_addr, forwarded)) == client


def test_behind_a_trusted_proxy_each_client_is_locked_by_its_own_address(settings):
    settings.MARKETFLOW_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    user = UserFactory()
    for n in range(LIMIT):  # the attacker forges a fresh left-hand entry every time
        token_request(user.email, "x", ip=proxy, HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, 192.0.2.66")

    attacker = token_request(user.email, PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="192.0.2.66")
    owner = token_request(user.email, PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="192.0.2.67")

    assert_locked_out(attacker)
    assert owner.status_code == 200  # the proxy's other clients are not locked out


# -- the admin site and the vendor portal -------------------------------------------------------


def form_sign_in(
    client: Client, url: str, email: str, password: str, ip: str = "198.51.100.8", **headers
):
    return client.post(url, {"username": email, "password": password}, REMOTE_ADDR=ip, **headers)


@pytest.mark.parametrize("login_url", [ADMIN_LOGIN, PORTAL_LOGIN])
def test_sign_in_page_locks_out_with_a_clear_page(login_url):
    user = OrganizerFactory()
    client = Client()
    responses = [form_sign_in(client, login_url, user.email, "wrong") for _ in range(LIMIT)]

    assert [r.status_code for r in responses] == [200] * (LIMIT - 1) + [429]
    locked = form_sign_in(client, login_url, user.email, PASSWORD)
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    page = locked.content.decode()
    assert "Sign-in paused" in page and "Too many failed sign-in attempts" in page
    assert "_auth_user_id" not in client.session  # the right password did not sign in


@pytest.mark.parametrize("login_url", [ADMIN_LOGIN, PORTAL_LOGIN])
def test_sign_in_page_below_the_limit_signs_in(login_url):
    user = OrganizerFactory()
    client = Client()
    for _ in range(LIMIT - 1):
        assert form_sign_in(client, login_url, user.email, "wrong").status_code == 200

    response = form_sign_in(client, login_url, user.email, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_failures_on_one_face_count_on_the_others():
    """The admin, the portal and the API share one count per account and address: switching
    faces does not buy more guesses."""
    user = OrganizerFactory()
    ip = "203.0.113.30"
    faces = [
        lambda: form_sign_in(Client(), ADMIN_LOGIN, user.email, "wrong", ip=ip),
        lambda: form_sign_in(Client(), PORTAL_LOGIN, user.email, "wrong", ip=ip),
        lambda: token_request(user.email, "wrong", ip=ip),
    ]
    for n in range(LIMIT):
        faces[n % len(faces)]()

    assert_locked_out(token_request(user.email, PASSWORD, ip=ip))
    for login_url in [ADMIN_LOGIN, PORTAL_LOGIN]:
        assert form_sign_in(Client(), login_url, user.email, PASSWORD, ip=ip).status_code == 429


def test_the_locked_out_portal_page_does_not_forward_a_forged_header():
    user = UserFactory()
    client = Client()
    for n in range(LIMIT):
        form_sign_in(client, PORTAL_LOGIN, user.email, "wrong", HTTP_X_FORWARDED_FOR=f"10.1.1.{n}")
    fresh = Client()

    response = fresh.post(
        PORTAL_LOGIN,
        {"username": user.email, "password": PASSWORD},
        REMOTE_ADDR="198.51.100.8",
        HTTP_X_FORWARDED_FOR="192.0.2.250",
    )

    assert response.status_code == 429
