"""django-csp's middleware, with the policy of a response that has no nonce and no per-view
policy built once per process instead of once per response (`make bench`: a tenth of a
small API response went to rebuilding the same header). ``process_response`` follows
django-csp 4.0's line by line; ``tests/test_csp_middleware.py`` compares the two."""

from functools import cache

from csp import middleware as csp_middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

_DEBUG_EXEMPT = (500, 404)
_KINDS = (
    (False, HEADER, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
    (True, HEADER_REPORT_ONLY, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
)


@cache
def _settings_policy(report_only: bool) -> str:
    return build_policy(report_only=report_only)


@receiver(setting_changed)
def _forget_policy(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _settings_policy.cache_clear()


class CSPMiddleware(csp_middleware.CSPMiddleware):
    def process_response(self, request, response):
        if response.status_code in _DEBUG_EXEMPT and settings.DEBUG:
            return response
        for report_only, header, exempt, setting in _KINDS:
            parts = self.get_policy_parts(request, response, report_only=report_only)
            if parts.config is parts.update is parts.replace is parts.nonce is None:
                policy = _settings_policy(report_only)
            else:
                policy = build_policy(parts.config, parts.update, parts.replace, parts.nonce,
                                      report_only=report_only)  # fmt: skip
            if not policy or header in response or getattr(response, exempt, False) is not False:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = policy
        # As django-csp: reading the nonce after the header is written is an error.
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
