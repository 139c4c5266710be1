"""Deployment checks of our own, run by ``manage.py check --deploy`` next to Django's: the
security settings the platform promises (HSTS for a year, a strict Content-Security-Policy,
Argon2, sign-in lockout) cannot be weakened by a settings edit without CI noticing."""

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.utils.module_loading import import_string

ONE_YEAR = 365 * 24 * 60 * 60
UNSAFE_SCRIPT_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"}


def is_csp_middleware(middleware) -> bool:
    """Middleware may be a function (ours are) or a class."""
    return isinstance(middleware, type) and issubclass(middleware, CSPMiddleware)


@register(Tags.security, deploy=True)
def security_settings_check(app_configs, **kwargs) -> list[Warning]:
    warnings = []
    if getattr(settings, "SECURE_HSTS_SECONDS", 0) < ONE_YEAR:
        warnings.append(
            Warning(
                "SECURE_HSTS_SECONDS is shorter than a year.",
                hint="Set DJANGO_SECURE_HSTS_SECONDS to 31536000 or more.",
                id="marketflow.W001",
            )
        )
    directives = getattr(settings, "CONTENT_SECURITY_POLICY", {}).get("DIRECTIVES", {})
    script_sources = set(directives.get("script-src", directives.get("default-src", [])))
    if (
        not any(is_csp_middleware(import_string(path)) for path in settings.MIDDLEWARE)
        or directives.get("default-src") != ["'self'"]
        or script_sources & UNSAFE_SCRIPT_SOURCES
    ):
        warnings.append(
            Warning(
                "The Content-Security-Policy is missing or not strict.",
                hint="Keep CSPMiddleware, default-src 'self' and a script-src without "
                "'unsafe-inline', 'unsafe-eval' or wildcards.",
                id="marketflow.W002",
            )
        )
    if not settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher"):
        warnings.append(
            Warning(
                "New passwords are not hashed with Argon2.",
                hint="Put Argon2PasswordHasher first in PASSWORD_HASHERS.",
                id="marketflow.W003",
            )
        )
    if not getattr(settings, "AXES_ENABLED", False) or (
        "marketflow.security.LoginLockoutBackend" not in settings.AUTHENTICATION_BACKENDS
    ):
        warnings.append(
            Warning(
                "Failed sign-ins are not locked out.",
                hint="Keep AXES_ENABLED and marketflow.security.LoginLockoutBackend first in "
                "AUTHENTICATION_BACKENDS.",
                id="marketflow.W004",
            )
        )
    return warnings
