"""Hot reads compiled to SQL once per process.

Django turns a queryset into SQL on every evaluation. For the reads every API request makes
(the token's user, the organizer's market, the page of a list) `make bench` measured that
compilation at more than PostgreSQL's own time for the (prepared) statement. Here a queryset
is compiled once per shape, with placeholder values, and afterwards only the request's
values are bound into the same SQL; the ORM's converters are applied and rows become
instances (``Model.from_db``) or ``values()`` dicts: what the ORM would do, minus compiling.

- ``PreparedGet``: one instance by a few values (``get``), or None.
- ``PreparedList``: a list's queryset as DRF's cursor pagination uses it (``order_by``, one
  filter on the sort key, a slice, ``values()``); each combination is compiled once.

Only plain querysets qualify (no ``select_related`` instances, ``only``, annotations or extra
selects; checked when compiling). A value of another type than declared (a malformed id
from a URL, say), a shape whose values do not reach the SQL as plain parameters (JSON
containment, say), and any database but PostgreSQL (SQLite stores UUIDs as text) go through
the ORM as always.
"""

from __future__ import annotations

import datetime
import uuid
from collections import OrderedDict
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Model, QuerySet

MAX_SHAPES = 128  # compiled list shapes kept per PreparedList (page sizes, offsets, filters)


class PreparedQueryError(Exception):
    """A queryset that cannot be prepared: a programming error, never a request's."""


def _sentinel(name: str, kind: type):
    if kind is uuid.UUID:
        return uuid.uuid4()
    if kind is str:
        return f"prepared-{name}-{uuid.uuid4().hex}"
    if kind is datetime.datetime:  # an instant no row holds, unique to the microsecond
        return datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
            microseconds=uuid.uuid4().int % 10**12
        )
    raise PreparedQueryError(f"no placeholder for {kind.__name__}")


class _Compiled:
    """SQL compiled from ``queryset`` (built with ``sentinels``), and where each value goes."""

    def __init__(self, queryset: QuerySet, sentinels: dict[str, object], using: str):
        query = queryset.query
        values = bool(query.values_select)
        if (
            (query.select_related and not values)
            or query.annotations
            or query.extra
            or query.deferred_loading[0]
        ):
            raise PreparedQueryError("only plain querysets can be prepared")
        compiler = query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        self.sql = sql
        self.params = list(params)
        self.slots: list[tuple[int, str]] = []
        for index, param in enumerate(self.params):
            for name, sentinel in sentinels.items():
                if type(param) is type(sentinel) and param == sentinel:
                    self.slots.append((index, name))
        missing = set(sentinels) - {name for _index, name in self.slots}
        if missing:
            raise PreparedQueryError(f"{sorted(missing)} do not reach the SQL as given")
        columns = [column for column, _sql, _alias in compiler.select]
        self.converters = compiler.get_converters(columns)
        self.compiler = compiler
        self.model = query.model
        if values:  # as ValuesIterable names them
            self.names = list(query.selected) if query.selected else list(query.values_select)
        else:
            self.attnames = [column.target.attname for column in columns]

    def fetch(self, values: dict[str, object], size: int | None = None) -> list:
        params = list(self.params)
        for index, name in self.slots:
            params[index] = values[name]
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall() if size is None else cursor.fetchmany(size)
        if self.converters and rows:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        return rows


def _preparable(types: dict[str, type], values: dict[str, object]) -> bool:
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return False
    return all(values[name] is None or type(values[name]) is kind for name, kind in types.items())


class PreparedGet:
    """``PreparedGet(lambda key: User.objects.filter(auth_token__key=key), key=str)``;
    ``get(key=...)`` answers the one matching instance or None."""

    def __init__(self, build: Callable[..., QuerySet], **types: type):
        self.build = build
        self.types = types
        self._compiled: _Compiled | None = None

    def compiled(self) -> _Compiled:
        if self._compiled is None:
            sentinels = {name: _sentinel(name, kind) for name, kind in self.types.items()}
            self._compiled = _Compiled(self.build(**sentinels)[:2], sentinels, DEFAULT_DB_ALIAS)
        return self._compiled

    def get(self, **values) -> Model | None:
        if not _preparable(self.types, values) or None in values.values():
            queryset = self.build(**values)  # the ORM validates what it was given
            try:
                return queryset.get()
            except queryset.model.DoesNotExist:
                return None
        compiled = self.compiled()
        rows = compiled.fetch(values, size=2)
        if not rows:
            return None
        if len(rows) > 1:
            raise compiled.model.MultipleObjectsReturned()
        return compiled.model.from_db(DEFAULT_DB_ALIAS, compiled.attnames, rows[0])


class PreparedList:
    """``PreparedList(lambda market_id, status: <queryset>, market_id=UUID, status=str)``.

    ``values(columns, market_id=..., status=None)`` stands in for
    ``build(...).values(*columns)`` where DRF's ``CursorPagination`` takes a queryset. A value
    given as None is passed to ``build`` as None (a filter left out) and is part of the
    shape."""

    def __init__(self, build: Callable[..., QuerySet], **types: type):
        self.build = build
        self.types = types
        self._shapes: OrderedDict[tuple, _Compiled | None] = OrderedDict()
        self._model = None

    @property
    def model(self) -> type[Model]:
        if self._model is None:
            sentinels = {name: _sentinel(name, kind) for name, kind in self.types.items()}
            self._model = self.build(**sentinels).model
        return self._model

    def bind(self, **values) -> BoundList:
        return BoundList(self, values)

    def values(self, columns, **values):
        if not _preparable(self.types, values):
            return self.build(**values).values(*columns)
        return PreparedValues(self, tuple(columns), values)

    def compiled(self, shape: tuple, given: dict[str, object]) -> _Compiled | None:
        """The SQL of ``shape``; None when its values do not reach the SQL as parameters."""
        if shape in self._shapes:
            self._shapes.move_to_end(shape)
            return self._shapes[shape]
        columns, ordering, position_lookup, position_kind, low, high, absent = shape
        sentinels = {
            name: _sentinel(name, kind) for name, kind in self.types.items() if name not in absent
        }
        queryset = self.build(**sentinels, **dict.fromkeys(absent)).order_by(*ordering)
        if position_lookup:
            sentinels["__position"] = _sentinel("position", position_kind)
            queryset = queryset.filter(**{position_lookup: sentinels["__position"]})
        queryset = queryset.values(*columns)[low:high]
        try:
            compiled = _Compiled(queryset, sentinels, DEFAULT_DB_ALIAS)
        except PreparedQueryError:
            compiled = None  # this shape stays with the ORM
        self._shapes[shape] = compiled
        if len(self._shapes) > MAX_SHAPES:
            self._shapes.popitem(last=False)
        return compiled


class BoundList:
    """A PreparedList with a request's values: ``values(*columns)`` as a queryset has."""

    def __init__(self, prepared: PreparedList, values: dict[str, object]):
        self.prepared = prepared
        self.given = values

    def values(self, *columns):
        return self.prepared.values(columns, **self.given)

    def queryset(self) -> QuerySet:
        return self.prepared.build(**self.given)


_POSITION_KINDS = {
    models.UUIDField: uuid.UUID,
    models.CharField: str,
    models.TextField: str,
    models.SlugField: str,
    models.EmailField: str,
}


class PreparedValues:
    """What DRF's cursor pagination does to a queryset (``order_by``, ``filter`` on the sort
    key, a slice, iteration), recorded and run as one prepared statement."""

    def __init__(self, prepared, columns, values, ordering=(), position=None, limits=(None, None)):
        self.prepared = prepared
        self.columns = columns
        self.given = values
        self.ordering = ordering
        self.position = position  # (lookup, value) or None
        self.limits = limits
        self._rows = None

    def _copy(self, **changes):
        state = {"ordering": self.ordering, "position": self.position, "limits": self.limits}
        return PreparedValues(self.prepared, self.columns, self.given, **(state | changes))

    def order_by(self, *ordering):
        return self._copy(ordering=ordering)

    def filter(self, **lookups):
        (lookup, value), *more = lookups.items()
        if more or self.position is not None:
            raise PreparedQueryError("one filter on the sort key only")
        return self._copy(position=(lookup, value))

    def __getitem__(self, key):
        if not isinstance(key, slice) or key.step is not None:
            raise PreparedQueryError("slices only")
        return self._copy(limits=(key.start, key.stop))

    def queryset(self):
        """The same query through the ORM."""
        queryset = self.prepared.build(**self.given).order_by(*self.ordering)
        if self.position is not None:
            queryset = queryset.filter(**{self.position[0]: self.position[1]})
        return queryset.values(*self.columns)[self.limits[0] : self.limits[1]]

    def _fetch(self) -> list[dict]:
        values = dict(self.given)
        lookup, kind = None, None
        if self.position is not None:
            lookup, position = self.position
            field = self.prepared.model._meta.get_field(lookup.rsplit("__", 1)[0])
            kind = _POSITION_KINDS.get(type(field))
            try:
                values["__position"] = kind(position) if kind is not None else None
            except (TypeError, ValueError, AttributeError):
                kind = None
            if kind is None:
                return list(self.queryset())  # the ORM's own conversion and errors
        absent = tuple(sorted(name for name, value in self.given.items() if value is None))
        shape = (self.columns, self.ordering, lookup, kind, *self.limits, absent)
        compiled = self.prepared.compiled(shape, self.given)
        if compiled is None:
            return list(self.queryset())
        names = compiled.names
        return [dict(zip(names, row, strict=True)) for row in compiled.fetch(values)]

    def __iter__(self):
        if self._rows is None:
            self._rows = self._fetch()
        return iter(self._rows)

    def __len__(self):
        return len(list(iter(self)))
