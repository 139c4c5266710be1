"""Our PostgreSQL backend (marketflow/db/postgresql) and the prepared reads
(marketflow/prepared.py) answer what Django's own code answers, on the real database."""

import datetime
import time
import uuid

import psycopg
import pytest
from django.conf import settings
from django.db import connection, connections
from django.db.backends.postgresql.psycopg_any import get_adapters_template
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from marketflow.authentication import token_user
from marketflow.db.postgresql.base import adapters_template
from marketflow.errors import MarketNotFoundError
from marketflow.models import Market, User
from marketflow.prepared import PreparedGet, PreparedQueryError
from marketflow.selectors import market_get
from marketflow.tests.factories import MarketFactory, UserFactory

TIMESTAMPS = [
    "2030-05-01 12:00:00.000005+00",
    "2030-05-01 12:00:00+02",
    "1999-12-31 23:59:59.999999-09:30",
    "0001-01-01 00:00:00+00",
]


def conninfo():
    params = connection.get_connection_params()
    return psycopg.conninfo.make_conninfo(
        **{k: v for k, v in params.items() if k in {"dbname", "user", "host", "port"}}
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "zone", [datetime.UTC, None, datetime.timezone(datetime.timedelta(hours=5))]
)
def test_timestamps_load_as_djangos_loader_loads_them(zone):
    loaded = {}
    for name, context in (("ours", adapters_template(True, zone)),
                          ("django", get_adapters_template(True, zone))):  # fmt: skip
        with psycopg.connect(conninfo(), context=context) as raw:
            raw.execute("SET TIME ZONE 'UTC'")
            loaded[name] = [raw.execute(f"SELECT '{text}'::timestamptz").fetchone()[0]
                            for text in TIMESTAMPS]  # fmt: skip
    assert loaded["ours"] == loaded["django"]
    assert [value.tzinfo for value in loaded["ours"]] == [zone] * len(TIMESTAMPS)
    assert [value.utcoffset() for value in loaded["ours"]] == [
        value.utcoffset() for value in loaded["django"]
    ]


def test_the_project_uses_the_backend_with_prepared_statements():
    assert settings.DATABASES["default"]["ENGINE"] == "marketflow.db.postgresql"
    assert connection.settings_dict["OPTIONS"]["prepare_threshold"] == 5


@pytest.mark.django_db
def test_a_prepared_get_answers_what_the_orm_answers():
    market = MarketFactory(accepted_categories=["produce", "baked_goods"])
    prepared = PreparedGet(
        lambda market_id, organizer_id: Market.objects.filter(
            pk=market_id, organizer_id=organizer_id
        ),
        market_id=uuid.UUID,
        organizer_id=uuid.UUID,
    )
    with CaptureQueriesContext(connection) as queries:
        got = prepared.get(market_id=market.pk, organizer_id=market.organizer_id)
    expected = Market.objects.get(pk=market.pk)
    assert len(queries) == 1
    fields = [field.attname for field in Market._meta.concrete_fields]
    assert [getattr(got, name) for name in fields] == [getattr(expected, name) for name in fields]
    assert got.accepted_categories == ["produce", "baked_goods"]  # JSON, converted
    assert got._state.adding is False and got._state.db == "default"
    assert prepared.get(market_id=market.pk, organizer_id=uuid.uuid4()) is None
    # The second run binds new values into the SQL compiled by the first.
    other = MarketFactory()
    assert prepared.get(market_id=other.pk, organizer_id=other.organizer_id).pk == other.pk


@pytest.mark.django_db
def test_a_value_of_another_type_goes_through_the_orm(organizer):
    market = MarketFactory(organizer=organizer)
    assert market_get(user=organizer, market_id=str(market.pk)).pk == market.pk
    with pytest.raises(MarketNotFoundError):
        market_get(user=UserFactory(is_organizer=True), market_id=market.pk)


def test_only_plain_querysets_are_prepared():
    prepared = PreparedGet(
        lambda key: Token.objects.select_related("user").filter(key=key), key=str
    )
    with pytest.raises(PreparedQueryError, match="only plain querysets"):
        prepared.compiled()


@pytest.mark.django_db
def test_the_token_user_is_the_users_row(organizer):
    key = Token.objects.create(user=organizer).key
    user = token_user.get(key=key)
    assert isinstance(user, User) and user.pk == organizer.pk
    assert user.email == organizer.email and user.is_organizer
    assert token_user.get(key=key[:-1] + ("0" if key[-1] != "0" else "1")) is None


@pytest.mark.django_db(transaction=True)
def test_health_checks_skip_only_a_connection_used_moments_ago():
    """A connection whose server process died is found out by the check when it sat idle
    past HEALTH_CHECK_DELAY, and trusted (then fails on use) when it was used just now."""
    wrapper = connections.create_connection("default")
    wrapper.settings_dict = {**wrapper.settings_dict, "CONN_HEALTH_CHECKS": True,
                             "HEALTH_CHECK_DELAY": 10}  # fmt: skip
    try:
        for idle, survives in ((0.0, True), (60.0, False)):
            wrapper.ensure_connection()
            pid = wrapper.connection.info.backend_pid
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            wrapper._used_at = time.monotonic() - idle
            wrapper.health_check_done = False
            wrapper.close_if_health_check_failed()
            assert (wrapper.connection is not None) is survives, f"idle {idle} s"
            wrapper.close()
    finally:
        wrapper.close()
