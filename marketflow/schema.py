"""OpenAPI: every operation documents the error responses it can give, in the one body shape."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from rest_framework.permissions import AllowAny

from marketflow.serializers import ErrorSerializer

ERROR_DESCRIPTIONS = {
    400: "Invalid input: `code` is `invalid`, field messages in `extra.fields`.",
    401: "No or bad credentials: `code` is `not_authenticated` or `authentication_failed`.",
    402: "Plan limit reached: `code` is `plan_limit_reached`.",
    403: "Not allowed: `code` is `permission_denied` (or a more specific code).",
    404: "Not found, or belongs to another organizer: `code` is `not_found`.",
    409: "Conflicts with the current state (see the operation for codes).",
    415: "A body in a format the operation does not read: `code` is `unsupported_media_type`.",
    429: "Too many requests: `code` is `throttled` (or a more specific code).",
    503: "Database unavailable: `code` is `service_unavailable`.",
}


# A market's times are wall-clock times in its timezone ("08:00:00"). OpenAPI's "time" format
# is RFC 3339's full-time, which carries a UTC offset: validators would refuse our values.
TIME_SCHEMA = {
    "type": "string",
    "format": "partial-time",
    "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
    "example": "08:00:00",
}


class TimeFieldExtension(OpenApiSerializerFieldExtension):
    """Every ``TimeField`` of our serializers as ``TIME_SCHEMA``."""

    target_class = "rest_framework.fields.TimeField"

    def map_serializer_field(self, auto_schema, direction):
        return dict(TIME_SCHEMA)


class AutoSchema(BaseAutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        """drf-spectacular's operation, with each error response it can give (the ones its
        ``@extend_schema`` does not already name) in the one error body."""
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        error = self.resolve_serializer(ErrorSerializer, "response")
        content = {
            media_type: {"schema": error.ref} for media_type in self.map_renderers("media_type")
        }
        for status_code in sorted(self.error_statuses()):
            operation["responses"].setdefault(
                str(status_code),
                {"content": content, "description": ERROR_DESCRIPTIONS[status_code]},
            )
        return operation

    def error_statuses(self) -> set[int]:
        statuses = {503}
        method = self.method.upper()
        if method in {"POST", "PUT", "PATCH"}:
            statuses.add(400)
            if self.get_request_serializer() is not None:
                statuses.add(415)  # a body without a JSON, form or multipart content type
        requires_auth = not any(isinstance(p, AllowAny) for p in self.view.get_permissions())
        if requires_auth:
            statuses |= {401, 403}
        if "{" in self.path:
            statuses.add(404)
        if method == "GET" and getattr(self.view, "cursor_ordering", None):
            statuses |= {400, 404}  # a cursor whose position the sort key refuses; an invalid one
        statuses |= set(getattr(self.view, "error_statuses", {}).get(method, ()))
        if getattr(self.view, "throttle_classes", None):
            statuses.add(429)
        return statuses
