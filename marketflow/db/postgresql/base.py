"""Django's PostgreSQL backend, with timestamps parsed by psycopg's C loader.

Django loads every ``timestamptz`` through a subclass of psycopg's pure-Python loader, so it
can set the time zone it wants: about 6 µs per value, a third of a 30-row list response in
`make bench`. psycopg's C loader cannot be subclassed; ``TimestamptzLoader`` below wraps it
and sets the same time zone, so values are identical to Django's (``tests/test_db_backend.py``)
at a tenth of the cost. Without psycopg's C extension it wraps the Python loader: same values,
Django's speed.
"""

import time
from functools import lru_cache

from django.conf import settings
from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import get_adapters_template
from psycopg import adapt, adapters
from psycopg.pq import Format

TIMESTAMPTZ_OID = adapters.types["timestamptz"].oid
_FastestLoader = adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)


class TimestamptzLoader(adapt.Loader):
    """What Django's ``BaseTzLoader`` answers, parsed in C."""

    timezone = None

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self._load = _FastestLoader(oid, context).load

    def load(self, data):
        value = self._load(data)
        return value if value.tzinfo is self.timezone else value.replace(tzinfo=self.timezone)


@lru_cache
def adapters_template(use_tz, timezone):
    context = adapt.AdaptersMap(get_adapters_template(use_tz, timezone))
    loader = type("SpecificTzLoader", (TimestamptzLoader,), {"timezone": timezone})
    context.register_loader("timestamptz", loader)
    return context


class DatabaseWrapper(base.DatabaseWrapper):
    """Also: ``CONN_HEALTH_CHECKS`` skip a connection used less than ``HEALTH_CHECK_DELAY``
    seconds ago (a key of the database's settings; 0, the default, checks on every request
    as Django does). Django's check is a round trip to the server at the start of every
    request; PgBouncer's ``server_check_delay`` makes the same trade: a connection that just
    answered is trusted, one that sat idle is checked before use."""

    _used_at = 0.0

    def get_connection_params(self):
        params = super().get_connection_params()
        params["context"] = adapters_template(settings.USE_TZ, self.timezone)
        return params

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        self._used_at = time.monotonic()
        return connection

    def create_cursor(self, name=None):
        self._used_at = time.monotonic()
        return super().create_cursor(name)

    def close_if_health_check_failed(self):
        delay = self.settings_dict.get("HEALTH_CHECK_DELAY", 0)
        if (
            delay
            and self.connection is not None
            and not self.health_check_done
            and time.monotonic() - self._used_at < delay
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
