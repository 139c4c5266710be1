"""DRF's JSON renderer, encoded by orjson: the same bytes for everything the API answers.

The bench measured DRF's ``json.dumps`` at a tenth of a list response's time; orjson does
the same work about twenty times faster. Types orjson would write its own way (datetimes,
dates, times, dataclasses, lazy strings, bytes, decimals) go to DRF's encoder, so they come
out as before; a pretty-printing request (``Accept: application/json; indent=4``) and
anything orjson refuses go through DRF's renderer unchanged. Floats keep their value but
may be written in another valid notation (``1e-5``); the API has none today.
"""

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_drf_encoder = JSONEncoder()
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
_OPTIONS |= orjson.OPT_PASSTHROUGH_DATACLASS


def _default(value):
    return _drf_encoder.default(value)


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            content = orjson.dumps(data, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF does: U+2028 and U+2029 escaped, so the JSON is also valid JavaScript.
        if b"\xe2\x80\xa8" in content or b"\xe2\x80\xa9" in content:
            content = content.replace(b"\xe2\x80\xa8", b"\\u2028").replace(
                b"\xe2\x80\xa9", b"\\u2029"
            )
        return content
