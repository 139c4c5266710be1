"""Test overrides: the real PostgreSQL, a fast hasher, in-memory e-mail."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/marketflow")

from marketflow.settings import *  # noqa: F403

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECURE_SSL_REDIRECT = False
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        "public_apply": "10000/minute",
        "token": "10000/minute",
        "sign_in": "10000/minute",
        "public_directory": "10000/minute",
    },
}
# Tasks (e-mails) run at once, in the test's own process; uploads go to a throwaway folder.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="marketflow-test-media-"))
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
MARKETFLOW_BASE_URL = "http://testserver"
