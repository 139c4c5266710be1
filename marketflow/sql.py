"""Hand-written SELECTs for the hottest API lists, paged by DRF's own ``CursorPagination``.

An ORM queryset is built and compiled to SQL again on every request: for the stall list that
was a third of the request's Python time. ``SqlRows`` is a statement written once, with the
three things ``CursorPagination.paginate_queryset`` asks of a ``values()`` queryset:
``order_by(key)``, ``filter(key__gt=position)`` / ``filter(key__lt=position)``, and a slice.
Each hot selector keeps its ORM queryset as the reference (and for SQLite, the embedded demo
database): tests/test_fast_paths.py holds the two to the same rows, in every scope.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from django.db import connection
from django.db.models import Field


def use_sql() -> bool:
    """The statements are PostgreSQL's; SQLite reads the ORM reference querysets."""
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class SqlRows:
    """``select`` (``SELECT ... FROM ...``, no WHERE) narrowed by ``where`` (conditions with
    ``%s`` placeholders and their ``params``), as dictionaries keyed by the columns' names.
    ``keys`` names the columns a page may be ordered and compared by: the name the
    pagination uses, its SQL expression and its model field (which checks a cursor's
    position as the ORM would: a forged one is a ``ValidationError``, a 400). A column's
    name in the SELECT is its key in the rows (``AS "vendor__email"``)."""

    select: str
    where: tuple[str, ...]
    params: tuple
    keys: Mapping[str, tuple[str, Field]]
    ordering: tuple[str, ...] = field(default=())
    # Columns whose text the ORM would convert (a JSONField's): name -> function.
    converters: Mapping[str, Callable] = field(default_factory=dict)

    def order_by(self, *names: str) -> "SqlRows":
        return replace(self, ordering=names)

    def filter(self, **lookups) -> "SqlRows":
        where, params = list(self.where), list(self.params)
        for lookup, value in lookups.items():
            name, operator = lookup.rsplit("__", 1)
            if operator not in ("gt", "lt"):
                raise TypeError(f"SqlRows compares with __gt and __lt only, not {lookup}")
            expression, model_field = self.keys[name]
            where.append(f"{expression} {'>' if operator == 'gt' else '<'} %s")
            params.append(model_field.to_python(value))
        return replace(self, where=tuple(where), params=tuple(params))

    def __getitem__(self, page: slice) -> list[dict]:
        return self.fetch(limit=page.stop - (page.start or 0), offset=page.start or 0)

    def __iter__(self):
        return iter(self.fetch())

    def fetch(self, limit: int | None = None, offset: int = 0) -> list[dict]:
        sql = f"{self.select} WHERE {' AND '.join(self.where) or 'TRUE'}"
        if self.ordering:
            order = (
                f"{self.keys[name.lstrip('-')][0]}{' DESC' if name.startswith('-') else ''}"
                for name in self.ordering
            )
            sql += f" ORDER BY {', '.join(order)}"
        params = list(self.params)
        if limit is not None:
            sql += " LIMIT %s OFFSET %s"
            params += [limit, offset]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            names = [column.name for column in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        for name, convert in self.converters.items():
            for row in rows:
                row[name] = convert(row[name])
        return rows
