"""DRF's JSON parser, decoding with orjson, for input that cannot crash what reads it.

Python's ``json`` raises RecursionError (a 500) on a few thousand nested ``[``; orjson refuses
such a document as malformed. A value nested deeper than ``MAX_DEPTH`` (the API takes lists of
strings at most) or a NUL character in any string (PostgreSQL refuses it in text) is refused
here too, before a serializer or a query sees it. Every refusal is DRF's ParseError, which the
exception handler answers as a 400 ``invalid``.
"""

import orjson
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32


def check_parsed(data) -> None:
    """ParseError if ``data`` nests deeper than MAX_DEPTH or holds a NUL character in a key or
    a string. Walks with a stack, not recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise ParseError("Text must not contain NUL characters.")
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels.")
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read()
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise ParseError(f"JSON parse error - {error}") from None
        # Only a document with that many brackets can nest that deep; only one with the
        # escape can hold a NUL (orjson refuses raw control characters in strings).
        if body.count(b"[") + body.count(b"{") > MAX_DEPTH or b"\\u0000" in body:
            check_parsed(data)
        return data
