"""Settings of the benchmark: production settings, pointed at the bench database.

Only what a loopback benchmark cannot do like production is changed: no TLS redirect, the
bench host names, e-mails dropped, a public-apply throttle that the load does not trip, and
the bench URLconf, which adds the framework-floor view to the project's URLs. Production
never loads this module, so the floor view is never exposed there.
"""

import os
from pathlib import Path

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/marketflow_bench"
)
os.environ["DATABASE_URL"] = BENCH_DATABASE_URL
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production")
os.environ["DJANGO_DEBUG"] = "false"
os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "false"  # plain HTTP on loopback
os.environ.setdefault("MARKETFLOW_TASKS_BACKEND", "database")  # e-mails queued, as in production

from marketflow.settings import *  # noqa: E402, F403

ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "bench.urls"
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
STATIC_ROOT = Path(__file__).resolve().parent / "data" / "staticfiles"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],  # noqa: F405
        "public_apply": "100000000/minute",  # the throttle still runs, the load never trips it
        "public_directory": "100000000/minute",
    },
}
LOGGING = {
    **LOGGING,  # noqa: F405
    "loggers": {"django.request": {"level": "ERROR"}},  # expected 4xx are counted, not logged
}
