"""Marketflow settings, driven by environment variables only (see `.env.example`)."""

import contextlib
import datetime
import ipaddress
import os
import secrets
from pathlib import Path

import botocore.config
import dj_database_url
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)


def development_secret_key(path: Path) -> str:
    """This checkout's own random key, made on first use and kept in a git-ignored file:
    no key is published, so nobody else can sign this server's links or sessions."""
    private = lambda name, flags: os.open(name, flags, 0o600)  # noqa: E731
    with contextlib.suppress(FileExistsError), open(path, "x", opener=private) as file:
        file.write(secrets.token_urlsafe(50))  # "x": never replaces a key made before
    return path.read_text().strip()


# Required with DEBUG off, yet left empty when unset: Django refuses an empty key wherever it
# signs something, the web entry points (wsgi.py, asgi.py) refuse to start without one, and
# commands that sign nothing (makemigrations, migrate) run in a bare checkout.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or (
    development_secret_key(BASE_DIR / ".dev-secret-key") if DEBUG else ""
)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "marketflow.security.csrf_failure"  # our page, with the CSP nonce

INSTALLED_APPS = [
    "marketflow.admin_apps.MarketflowAdminConfig",  # django.contrib.admin with our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",  # /sitemap.xml (marketflow/sitemaps.py)
    "rest_framework",
    "knox",  # API tokens (marketflow.ApiToken): hashed at rest, expiring, revocable
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "axes",  # counts failed sign-ins and locks out (marketflow/security.py)
    "csp",  # the Content-Security-Policy header
    "anymail",  # e-mail through a provider's API, its tracking webhooks
    "marketflow",
    "vendors",
    "applications",
    "stalls",
    "seasons",
    "sales",
]

MIDDLEWARE = [
    # First: the request id (X-Request-ID, logs) and the duration of every response.
    "marketflow.observability.request_context",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # After CSP, so that the 400 page it answers carries the nonce.
    "marketflow.security.reject_nul_characters",
    # DEBUG only: an unknown /api/ URL answers the API's JSON 404, not Django's debug page.
    "marketflow.exception_handler.api_not_found_in_debug",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees the response of a sign-in view that axes refused.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "marketflow.urls"
WSGI_APPLICATION = "marketflow.wsgi.application"
ASGI_APPLICATION = "marketflow.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# PostgreSQL in production and in the test suite; SQLite is the embedded default so that
# `make run` works on a bare machine.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Persistent by default: opening a PostgreSQL connection costs more than most requests.
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        # Django's CONN_HEALTH_CHECKS: a kept connection is tested (one round trip) before a
        # request uses it. Off by default, as in Django (README, "Database connections").
        conn_health_checks=env_bool("DATABASE_HEALTH_CHECKS", False),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    options = DATABASES["default"].setdefault("OPTIONS", {})
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        # Parameters bound by the server and statements prepared on their fifth run on a
        # connection: PostgreSQL parses and plans the hot queries once per connection, not
        # once per request. Turn off behind a pooler in transaction mode (PgBouncer < 1.21).
        options |= {"server_side_binding": True, "prepare_threshold": 5}
    if env_bool("DATABASE_POOL", False):
        # psycopg's pool replaces persistent connections; the two cannot be combined.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        options["pool"] = {
            "min_size": int(os.environ.get("DATABASE_POOL_MIN_SIZE", "2")),
            "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", "10")),
            "timeout": 10,
        }

AUTH_USER_MODEL = "marketflow.User"
# OWASP ASVS 5.0 (V6.2): at least 8 characters, common and context-specific passwords refused,
# up to 128 characters accepted, and no composition rules, so no NumericPasswordValidator
# (a long all-digit passphrase is fine; "12345678" is refused as a common password).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "marketflow.security.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
]
# Argon2id for new hashes; the others only verify (and upgrade on sign-in) older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# Brute force (django-axes, see marketflow/security.py). After AXES_FAILURE_LIMIT failed
# sign-ins within the cool-off for one e-mail address from one client address, that pair is
# locked out until the cool-off has passed since the last failure: a stranger elsewhere cannot
# lock the owner out. Guesses from one address at many accounts are bounded by the sign-in
# rate per address (pages) and the token throttle (API), below.
AUTHENTICATION_BACKENDS = [
    "marketflow.security.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sessions in the database, read through Redis when REDIS_URL is set. Not through the
# per-process memory cache: a sign-out in one worker would not reach another's copy.
SESSION_ENGINE = "django.contrib.sessions.backends." + (
    "cached_db" if os.environ.get("REDIS_URL") else "db"
)
AXES_ENABLED = True
# Failures and lockouts are rows in the database, so every web server sees them.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_VERBOSE = False  # no start-up banner in every management command
AXES_FAILURE_LIMIT = int(os.environ.get("MARKETFLOW_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=int(os.environ.get("MARKETFLOW_LOGIN_COOLOFF_MINUTES", "15"))
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "marketflow.security.login_username"
AXES_CLIENT_IP_CALLABLE = "marketflow.security.client_ip"
AXES_LOCKOUT_CALLABLE = "marketflow.security.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# How many reverse proxies (load balancer, nginx) sit in front of the app. Only the
# X-Forwarded-For entries they appended are trusted; with 0 the socket address is the client.
MARKETFLOW_TRUSTED_PROXY_COUNT = int(os.environ.get("MARKETFLOW_TRUSTED_PROXY_COUNT", "0"))

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# English only (no translation catalogs): Django's documented switch skips the translation
# machinery, which every admin page called a few hundred times (bench/README.md).
USE_I18N = False
USE_TZ = True
# One date format per language (marketflow/formats/), whatever the locale's defaults.
FORMAT_MODULE_PATH = ["marketflow.formats"]

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Documents in S3-compatible object storage (AWS S3, Cloudflare R2, MinIO, ...) when a bucket
# is named, through django-storages with its standard AWS_* variables; else MEDIA_ROOT.


def object_storage(*, addressing_style: str | None = None, **options) -> dict:
    """The default storage in a private bucket: django-storages' S3 backend with ``options``
    (bucket_name, endpoint_url, region_name, ...). The keys come from AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY (or boto3's own chain: an instance role, ~/.aws)."""
    client_config = botocore.config.Config(
        signature_version="s3v4",  # what R2 and every recent S3 region accept
        s3={"addressing_style": addressing_style},
        # A store that does not answer fails the upload within seconds (a clear 503 / form
        # error), well before gunicorn's 30-second worker timeout would.
        connect_timeout=3,
        read_timeout=20,
        retries={"total_max_attempts": 2},
    )
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            # No ACL is sent (the bucket's own: private), and every read is a presigned URL
            # that /documents/<id>/ hands out, valid for 60 seconds, after its check.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
            "client_config": client_config,
            **options,
        },
    }


AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = object_storage(
        bucket_name=AWS_STORAGE_BUCKET_NAME,
        # None: AWS itself; R2 is https://<account id>.r2.cloudflarestorage.com.
        endpoint_url=os.environ.get("AWS_S3_ENDPOINT_URL") or None,
        region_name=os.environ.get("AWS_S3_REGION_NAME") or None,
        addressing_style=os.environ.get("AWS_S3_ADDRESSING_STYLE") or None,
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# E-mail through a provider's API with django-anymail: its settings come from the ANYMAIL_*
# variables (ANYMAIL_RESEND_API_KEY -> ANYMAIL["RESEND_API_KEY"]). Resend when its key is
# set, unless DJANGO_EMAIL_BACKEND names another backend (README, "E-mail provider"); its
# tracking webhook records bounces (marketflow/email_tracking.py).
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_") and value
}
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND") or (
    "anymail.backends.resend.EmailBackend"
    if ANYMAIL.get("RESEND_API_KEY")
    else "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend"
)
# Django's file-based backend writes each message to a file in this directory.
EMAIL_FILE_PATH = os.environ.get("DJANGO_EMAIL_FILE_PATH") or None
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "Marketflow <noreply@localhost>")

# Background work (e-mails) through Django's tasks API. "immediate" runs a task in the
# process that enqueues it (development, tests); "database" queues it in PostgreSQL for the
# worker: `python manage.py db_worker`.
TASKS_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
_tasks_backend = os.environ.get("MARKETFLOW_TASKS_BACKEND", "immediate")
if _tasks_backend not in TASKS_BACKENDS:
    raise ImproperlyConfigured(
        f"MARKETFLOW_TASKS_BACKEND must be one of {', '.join(TASKS_BACKENDS)}, "
        f"not {_tasks_backend!r}."
    )
TASKS = {"default": {"BACKEND": TASKS_BACKENDS[_tasks_backend]}}
# A failed e-mail send is retried (marketflow/email_tasks.py): this many attempts in all, the
# database queue waiting this long before the second, twice as long before each next one.
MARKETFLOW_EMAIL_MAX_ATTEMPTS = int(os.environ.get("MARKETFLOW_EMAIL_MAX_ATTEMPTS", "5"))
MARKETFLOW_EMAIL_RETRY_DELAY_SECONDS = int(
    os.environ.get("MARKETFLOW_EMAIL_RETRY_DELAY_SECONDS", "60")
)

# Files that applications from people not signed in may upload, per client address and day
# (counted in the cache): the files of unconfirmed applications are kept for 7 days.
MARKETFLOW_ANONYMOUS_UPLOAD_BYTES_PER_DAY = (
    int(os.environ.get("MARKETFLOW_ANONYMOUS_UPLOAD_MB_PER_DAY", "50")) * 1024 * 1024
)

# Links in e-mails are absolute: tasks run without a request to build them from.
MARKETFLOW_BASE_URL = os.environ.get("MARKETFLOW_BASE_URL", "http://localhost:8000").rstrip("/")
# Sign-ups nobody verified are deleted after this many days (purge_unverified_accounts).
MARKETFLOW_UNVERIFIED_ACCOUNT_DAYS = int(os.environ.get("MARKETFLOW_UNVERIFIED_ACCOUNT_DAYS", "7"))

# Stripe (marketflow/stripe_api.py): Billing for the organizer's plan, Connect for stall fees.
# Without STRIPE_SECRET_KEY nothing is paid online and everything else works.
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
# Events of connected accounts (stall fees) come signed with their endpoint's own secret.
STRIPE_CONNECT_WEBHOOK_SECRET = os.environ.get("STRIPE_CONNECT_WEBHOOK_SECRET", "")
STRIPE_PRICE_PAID = os.environ.get("STRIPE_PRICE_PAID", "")
# A subscription that is past due keeps the paid plan this many days.
MARKETFLOW_BILLING_GRACE_DAYS = int(os.environ.get("MARKETFLOW_BILLING_GRACE_DAYS", "7"))
# How long a vendor from a market day's waitlist has to answer the offer of a freed stall.
MARKETFLOW_OFFER_HOURS = int(os.environ.get("MARKETFLOW_OFFER_HOURS", "24"))
# Our share of each stall fee paid by card, as Stripe's application fee (0: none).
MARKETFLOW_PLATFORM_FEE_PERCENT = float(os.environ.get("MARKETFLOW_PLATFORM_FEE_PERCENT", "0"))

# Public pages: vendors sign in at the portal, organizers continue to the admin site.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "vendor-portal"

# API tokens (django-rest-knox): a token lives MARKETFLOW_TOKEN_TTL_HOURS from its sign-in
# and is never extended, so authenticating a request writes nothing.
KNOX_TOKEN_MODEL = "marketflow.ApiToken"
MIGRATION_MODULES = {"knox": None}  # knox's own table would be created, and stay empty
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(hours=int(os.environ.get("MARKETFLOW_TOKEN_TTL_HOURS", "720"))),
    "AUTO_REFRESH": False,
}

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes a missing credential a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "marketflow.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "marketflow.pagination.CursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "marketflow.schema.AutoSchema",
    "EXCEPTION_HANDLER": "marketflow.exception_handler.exception_handler",
    # JSON decoded by orjson, which refuses what would crash Python's json (marketflow/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "marketflow.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # DRF's JSON output, encoded by orjson (see marketflow/renderers.py and `make bench`).
    "DEFAULT_RENDERER_CLASSES": ["marketflow.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    # Throttling identifies clients as the lockout does: a forged X-Forwarded-For is ignored.
    "NUM_PROXIES": MARKETFLOW_TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "public_apply": os.environ.get("MARKETFLOW_APPLY_RATE", "30/hour"),
        # Reads of a market's public vendor directory (API) per client address.
        "public_directory": os.environ.get("MARKETFLOW_DIRECTORY_RATE", "300/minute"),
        "token": os.environ.get("MARKETFLOW_TOKEN_RATE", "20/minute"),
        # Sign-in attempts on the admin's and the portal's pages per client address.
        "sign_in": os.environ.get("MARKETFLOW_SIGN_IN_RATE", "60/hour"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Marketflow API",
    "DESCRIPTION": (
        "Vendor applications, stalls, market days and bookings for farmers and artisan "
        "markets. Every error body is `{code, detail, extra}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Swagger UI's default shows a badge fetched from validator.swagger.io: nothing external.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStatusEnum": "applications.models.Application.Status",
        "PaymentStatusEnum": "stalls.models.Booking.PaymentStatus",
        "MarketDayStatusEnum": "marketflow.models.MarketDay.Status",
        "ProductCategoryEnum": "vendors.models.ProductCategory",
        "DocumentTypeEnum": "marketflow.models.DocumentType",
        "DocumentReviewStatusEnum": "vendors.models.DocumentReview.Status",
        "WaitlistEntryStateEnum": "stalls.models.WaitlistEntry.State",
        "StallOfferStateEnum": "stalls.models.StallOffer.State",
        "SalesCurrencyEnum": "marketflow.models.SalesCurrency",
    },
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }
    if os.environ.get("REDIS_URL")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# One JSON object per line on stderr, each with the id of the request (or of the request
# that enqueued the task) it was written in: marketflow/telemetry.py.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "marketflow.telemetry.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# Errors to Sentry, with personal data scrubbed before they leave (marketflow/telemetry.py).
if os.environ.get("SENTRY_DSN"):
    from marketflow.telemetry import sentry_init

    sentry_init(os.environ["SENTRY_DSN"])

# Prometheus metrics at /metrics, for these client addresses or networks only
# (marketflow/observability.py); none when empty.
try:
    MARKETFLOW_METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(entry, strict=False)
        for entry in env_list("MARKETFLOW_METRICS_ALLOWED_IPS")
    ]
except ValueError as error:
    raise ImproperlyConfigured(f"MARKETFLOW_METRICS_ALLOWED_IPS: {error}") from None

# Content-Security-Policy (django-csp): everything from our own origin, no inline script at
# all, inline <style> only with the per-response nonce (`{{ request.csp_nonce }}`). The API
# docs pages widen style-src for themselves only (marketflow/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF],
        "style-src": [csp_constants.SELF, csp_constants.NONCE],
        "img-src": [csp_constants.SELF],
        "font-src": [csp_constants.SELF],
        "connect-src": [csp_constants.SELF],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.NONE],
        # The upgrade, billing, Connect and pay buttons post to us and are redirected on to
        # Stripe's hosted pages; browsers hold such redirects to form-action too.
        "form-action": [
            csp_constants.SELF,
            "https://checkout.stripe.com",
            "https://billing.stripe.com",
            "https://connect.stripe.com",
        ],
        "frame-ancestors": [csp_constants.NONE],
    }
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Probes and the metrics scraper talk to the web process directly, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
