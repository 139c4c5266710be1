"""Sign-in protection: the client address behind proxies, django-axes' lockout, a per-address
sign-in budget, passwords; and the refusal of NUL characters in request addresses.

Every sign-in form (admin, vendor portal) and the token endpoint call Django's
``authenticate(request, ...)``; django-axes counts the failures there. After
``AXES_FAILURE_LIMIT`` failures within ``AXES_COOLOFF_TIME`` for one e-mail address from one
client address, that pair is refused until the cool-off has passed: the pages show
``templates/lockout.html``, the API answers 429 with ``{"code": "locked_out", ...}``. The owner
of the account, signing in from their own address, is never locked out by a stranger's
failures; guessing from one address at many accounts is bounded by a rate per address instead
(``MARKETFLOW_SIGN_IN_RATE`` on the sign-in pages, ``MARKETFLOW_TOKEN_RATE`` on the token
endpoint).

The client address is ``REMOTE_ADDR`` unless ``MARKETFLOW_TRUSTED_PROXY_COUNT`` proxies sit
in front of the app: ``X-Forwarded-For`` is written by the client too, so only the entries that
our own proxies appended are believed. A forged header therefore neither resets nor evades a
lockout.
"""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import BadRequest, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.exceptions import APIException
from rest_framework.throttling import ScopedRateThrottle

from marketflow.errors import error_body
from marketflow.faults import is_api_request


def client_ip(request: HttpRequest) -> str | None:
    """The address of the client that sent ``request``.

    With N trusted proxies, the last proxy connects to us (``REMOTE_ADDR``) and the N-1 before
    it each appended the address they received from to ``X-Forwarded-For``; the first proxy
    appended the client's. So the client is the N-th entry from the right. Everything to the
    left of it was written by the client and is ignored. (The same rule as DRF's
    ``NUM_PROXIES`` for throttling, which settings set to the same number.)
    """
    proxy_count = settings.MARKETFLOW_TRUSTED_PROXY_COUNT
    remote_addr = request.META.get("REMOTE_ADDR")
    if proxy_count <= 0:
        return remote_addr
    forwarded = [
        address.strip()
        for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if address.strip()
    ]
    if len(forwarded) < proxy_count:  # not through all of our proxies: trust the socket
        return remote_addr
    return forwarded[-proxy_count]


def login_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The e-mail address a sign-in was for, normalized, so that ``Ada@X.org`` and
    ``ada@x.org `` count against the same account. Forms post it as ``username`` (Django's
    AuthenticationForm), the token endpoint passes ``email``."""
    value = None
    if credentials:
        value = credentials.get("email") or credentials.get("username")
    if value is None:
        data = getattr(request, "data", None) or request.POST
        value = data.get("email") or data.get("username")
    if not isinstance(value, str):
        return None
    return value.strip().lower() or None


class LoginLockoutBackend(AxesStandaloneBackend):
    """django-axes' check before the real backends: a locked-out client or account is refused
    before its password is even looked at.

    ``authenticate()`` without a request is not an HTTP sign-in (the test client's
    ``login()``, the shell): nothing to rate there, so it is let through to the next backend
    instead of raising. Every sign-in an HTTP client can reach passes its request.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def rate_limited(request: HttpRequest, scope: str) -> int:
    """Count this request against the client address's budget of ``scope``; once it is used
    up, the seconds until the next window (0 while it lasts). The apply form and the API
    (``PublicApplyThrottle``) count here in one budget, the sign-in pages in another.

    The budget is the throttle rate of the scope (``DEFAULT_THROTTLE_RATES``), the address is
    found as DRF finds it (``NUM_PROXIES``), the count is one atomic increment in Django's
    cache (Redis when ``REDIS_URL`` is set, so all web processes share it) per fixed window.
    """
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]
    throttle = ScopedRateThrottle()
    limit, seconds = throttle.parse_rate(rate)
    now = int(timezone.now().timestamp())
    key = f"page-rate:{scope}:{throttle.get_ident(request)}:{now // seconds}"
    cache.add(key, 0, timeout=seconds)
    return seconds - now % seconds if cache.incr(key) > limit else 0


class SignInBudgetMixin:
    """A sign-in form that refuses, before any password is checked, once the client address
    has used up ``MARKETFLOW_SIGN_IN_RATE``: axes locks an (account, address) pair only, so
    this bounds guessing at many accounts from one address."""

    def clean(self):
        if rate_limited(self.request, "sign_in"):
            raise ValidationError(
                _("Too many sign-in attempts from your connection. Try again later."),
                code="sign_in_rate",
            )
        return super().clean()


class SignInForm(SignInBudgetMixin, AuthenticationForm):
    """The vendor portal's sign-in form."""


class AdminSignInForm(SignInBudgetMixin, AdminAuthenticationForm):
    """The admin site's sign-in form. A refusal also tells an organizer who never confirmed
    their address where to get a new link (it says nothing about this account)."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": format_lazy(
            "{} Signed up to run a market but not confirmed your e-mail address yet? Get a "
            "new confirmation link at /signup/resend/.",
            AdminAuthenticationForm.error_messages["invalid_login"],
        ),
    }


def reject_nul_characters(get_response):
    """Middleware: a NUL character in the query string is a 400 (``handler400``: the API's
    error body under ``/api/``, the 400 page elsewhere); in the path, a 404, as no page has
    such an address.

    PostgreSQL refuses NUL in text, so such a value would be a 500 wherever it reaches a
    query: a filter, an admin search or autocomplete, an object id in an admin URL. Form and
    JSON bodies are checked where they are parsed (Django's and DRF's text fields,
    ``marketflow.parsers``), cursors where they are decoded (``marketflow.pagination``)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        query_string = request.META.get("QUERY_STRING", "")
        if "%00" in query_string or "\x00" in query_string:
            raise BadRequest("NUL character in the query string.")
        if "\x00" in request.path:
            raise Http404("NUL character in the path.")
        return get_response(request)

    return middleware


def cool_off_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def cool_off_minutes() -> int:
    return max(1, cool_off_seconds() // 60)


def lockout_message() -> str:
    minutes = cool_off_minutes()
    return ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class LoginLockedOut(APIException):
    """The token endpoint's answer to a locked-out client or account: 429, ``locked_out``,
    with ``Retry-After`` (the exception handler writes the body and the header)."""

    status_code = 429
    default_code = "locked_out"

    def __init__(self):
        super().__init__(lockout_message())
        self.wait = cool_off_seconds()


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: what a locked-out sign-in gets instead of the login form.

    The API gets our error body; the admin and the portal a page that says what happened and
    when to try again. Rendered without touching the database (the auth context processor is
    lazy and the template does not use the user)."""
    if is_api_request(request):
        response: HttpResponse = JsonResponse(
            error_body(LoginLockedOut.default_code, lockout_message()),
            status=429,
        )
    else:
        html = render_to_string(
            "lockout.html",
            {
                "message": lockout_message(),
                "minutes": cool_off_minutes(),
                "is_admin": request.path.startswith("/admin/"),
            },
            request=request,
        )
        response = HttpResponse(html, status=429)
    response["Retry-After"] = str(cool_off_seconds())
    return response


class MaximumLengthValidator:
    """Long passphrases are welcome (OWASP ASVS 5.0 asks for at least 64 characters); the cap
    only keeps a megabyte "password" from being hashed on every sign-in."""

    def __init__(self, max_length: int = 128):
        self.max_length = max_length

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                _("This password is too long. It must contain at most %(max_length)d characters.")
                % {"max_length": self.max_length},
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return _("Your password can be up to %(max_length)d characters long.") % {
            "max_length": self.max_length
        }


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: Django's own renders ``403_csrf.html`` without the request, so
    the page's style would lack the Content-Security-Policy nonce (and the browser drop it)."""
    html = render_to_string("403_csrf.html", {"reason": reason}, request=request)
    return HttpResponse(html, status=403)
