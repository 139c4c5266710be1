"""marketflow.database: the timestamptz loader the project registers on each connection."""

import datetime

import pytest
from django.db import DataError, connection
from psycopg.types.datetime import TimestamptzLoader

from marketflow.database import UtcTimestamptzLoader

pytestmark = pytest.mark.django_db

VALUES = [
    "2026-12-07 15:53:33.123456+00",
    "2026-12-07 15:53:33+00",
    "2026-12-07 15:53:33.5+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2024-02-29 12:00:00+05:30",  # another offset: the same instant, in UTC
]


def read(literal: str):
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [literal])
        return cursor.fetchone()[0]


def test_connections_load_timestamptz_with_the_project_s_loader():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(
        connection.connection.adapters.types["timestamptz"].oid, 0
    )
    assert loader is UtcTimestamptzLoader


@pytest.mark.parametrize("literal", VALUES)
def test_values_equal_psycopg_s_own_parse_in_utc(literal):
    """The value is psycopg's own reading, as an aware datetime in UTC: what Django's loader
    answers."""
    value = read(literal)
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz::text", [literal])
        text = cursor.fetchone()[0]
    expected = TimestamptzLoader(0, connection.connection).load(text.encode())
    assert value == expected
    assert value.tzinfo is datetime.UTC
    assert value.utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize("literal", ["infinity", "-infinity", "10000-01-01 00:00:00+00"])
def test_what_python_cannot_hold_is_psycopg_s_error_as_before(literal):
    with pytest.raises(DataError):
        read(literal)
