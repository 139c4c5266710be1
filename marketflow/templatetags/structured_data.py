"""``{{ data|json_ld }}``: schema.org data for a ``<script type="application/ld+json">``."""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import mark_safe

register = template.Library()

# Inside a <script> element only "</script" (or "<!--") ends it early; JSON allows writing
# these characters as \u escapes, so none of them appears literally and the data is the same.
SCRIPT_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


@register.filter
def json_ld(data: dict) -> str:
    """``data`` (without its None values) as JSON that cannot close its script element."""
    data = {key: value for key, value in data.items() if value is not None}
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return mark_safe(text.translate(SCRIPT_ESCAPES))
