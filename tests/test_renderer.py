"""The orjson renderer (marketflow/renderers.py) writes the bytes DRF's renderer writes."""

import datetime
import decimal
import uuid

from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer as DrfJSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from marketflow.renderers import JSONRenderer


def test_orjson_renderer_writes_the_bytes_drf_writes():
    control = "".join(chr(code) for code in range(32)) + '"\\/\x7f'
    data = ReturnList(
        [
            ReturnDict(
                {"id": uuid.uuid4(), "text": control, "unicode": "Käse – 🥖"}, serializer=None
            ),
            {
                "separators": "line\u2028paragraph\u2029end",
                "lazy": gettext_lazy("Only organizers can manage markets."),
                "error": ErrorDetail("Not found.", code="not_found"),
                "when": datetime.datetime(2030, 5, 1, 12, 0, 0, 5, tzinfo=datetime.UTC),
                "naive": datetime.datetime(2030, 5, 1, 12, 0),
                "day": datetime.date(2030, 5, 1),
                "time": datetime.time(8, 30, 0, 250),
                "money": decimal.Decimal("12.50"),
                "numbers": [0, -1, 2**62, True, False, None],
                1: "an int key",
                "bytes": b"raw",
                "nested": {"empty": [], "deeper": {"tuple": (1, "two")}},
            },
        ],
        serializer=None,
    )
    assert JSONRenderer().render(data) == DrfJSONRenderer().render(data)
    assert JSONRenderer().render(None) == b""
    pretty = "application/json; indent=4"
    assert JSONRenderer().render(data, pretty) == DrfJSONRenderer().render(data, pretty)
