"""List pages read with ``QuerySet.values()`` and shaped like their read serializer.

A list response used to load model instances, build a ModelSerializer's fields and walk them
per row: `make bench` found that a multiple of the page's own SQL. ``ValuesRows`` reads the
serializer's fields once per process and turns each into a ``values()`` lookup and a
conversion (the ones ``marketflow.representation`` does, else the field's own
``to_representation``), so a page is one ``values()`` query and one dict per row, with the
bytes DRF would answer (``tests/test_rows.py`` compares both for every list endpoint).

A serializer whose output a lookup cannot give (a method field, a ``source="*"``, a nested
list, a path through a nullable relation, where DRF would leave the field out) has no plan:
``values_rows`` answers None and the caller uses the serializer as before.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from rest_framework import fields as drf_fields
from rest_framework import serializers
from rest_framework.settings import api_settings

from marketflow.representation import _converter, iso_datetime


class Unsupported(Exception):
    pass


class ValuesRows:
    def __init__(self, serializer_class):
        serializer = serializer_class()
        model = getattr(getattr(serializer_class, "Meta", None), "model", None)
        if model is None:
            raise Unsupported(f"{serializer_class.__name__} names no model")
        self.lookups: list[str] = []
        self.plan = self._plan(serializer, model, "")
        self._render = _compile(self.plan, serializer_class.__name__)

    def _plan(self, serializer, model, prefix: str) -> list[tuple]:
        """(output name, lookup, kind, conversion or nested plan) per readable field."""
        plan = []
        for field in serializer._readable_fields:
            if field.source == "*" or not field.source_attrs:
                raise Unsupported(f"{field.field_name}: source '*'")
            if isinstance(field, serializers.ListSerializer | serializers.ManyRelatedField):
                raise Unsupported(f"{field.field_name}: a list")
            lookup = prefix + "__".join(field.source_attrs)
            target = _walk(model, field.source_attrs, field.field_name)
            if isinstance(field, serializers.BaseSerializer):
                # A nested object is null when its relation is: the relation's id says so.
                self._add(lookup)
                plan.append((field.field_name, lookup, "nested",
                             self._plan(field, target, lookup + "__")))  # fmt: skip
                continue
            if type(field).get_attribute is not drf_fields.Field.get_attribute:
                raise Unsupported(f"{field.field_name}: its own get_attribute")
            self._add(lookup)
            if _in_current_zone(field):
                plan.append((field.field_name, lookup, "datetime", field))
            else:
                plan.append((field.field_name, lookup, "plain",
                             _converter(field) or field.to_representation))  # fmt: skip
        return plan

    def _add(self, lookup: str) -> None:
        if lookup not in self.lookups:
            self.lookups.append(lookup)

    def columns(self, *also: str) -> tuple[str, ...]:
        """The ``values()`` the rows need, plus ``also`` (the cursor's sort key)."""
        return (*self.lookups, *(name for name in also if name not in self.lookups))

    def render(self, rows) -> list[dict]:
        """The serializer's output for ``values()`` rows (dicts keyed by lookup)."""
        zone = timezone.get_current_timezone() if settings.USE_TZ else None
        return self._render(rows, zone)


def _in_current_zone(field) -> bool:
    """A DateTimeField written in ISO 8601 in the current time zone: DRF's default."""
    if type(field) is not drf_fields.DateTimeField or hasattr(field, "timezone"):
        return False
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    return output_format is not None and output_format.lower() == drf_fields.ISO_8601


def _compile(plan, name: str):
    """One function that builds each row's dict as a literal, without a loop over fields.
    Its source holds only ``repr`` of our serializers' field names and lookups and numbered
    helpers from ``namespace``."""
    namespace = {"_iso_datetime": iso_datetime}

    def expression(plan) -> str:
        items = []
        for out_name, lookup, kind, how in plan:
            index = len(namespace)
            value = f"row[{lookup!r}]"
            if kind == "nested":
                items.append(f"{out_name!r}: None if {value} is None else {expression(how)}")
                continue
            if kind == "datetime":
                namespace[f"_f{index}"] = how
                converted = f"_iso_datetime(_v, zone, _f{index})"
            else:
                namespace[f"_c{index}"] = how
                converted = f"_c{index}(_v)"
            items.append(f"{out_name!r}: None if (_v := {value}) is None else {converted}")
        return "{" + ", ".join(items) + "}"

    source = f"def render(rows, zone):\n    return [{expression(plan)} for row in rows]\n"
    exec(compile(source, f"<rows of {name}>", "exec"), namespace)
    return namespace["render"]


def _walk(model, attrs, name):
    """The model at the end of ``attrs`` for a relation, else None. Refuses a step through a
    nullable relation: DRF leaves such a field out when the relation is null, a lookup would
    answer null."""
    for index, attr in enumerate(attrs):
        if model is None:
            raise Unsupported(f"{name}: no model at {attr}")
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            # `market_id`: the attname of a foreign key reads as a column.
            model_field = next((f for f in model._meta.concrete_fields if f.attname == attr), None)
            if model_field is None:
                raise Unsupported(f"{name}: {attr} is not a field") from None
            if index == len(attrs) - 1:
                return None
            raise Unsupported(f"{name}: path through {attr}") from None
        if not model_field.is_relation:
            if index != len(attrs) - 1:
                raise Unsupported(f"{name}: path through {attr}")
            return None
        if model_field.many_to_many or model_field.one_to_many:
            raise Unsupported(f"{name}: {attr} is a many relation")
        if index != len(attrs) - 1 and model_field.null:
            raise Unsupported(f"{name}: path through nullable {attr}")
        model = model_field.related_model
    return model


@cache
def values_rows(serializer_class) -> ValuesRows | None:
    try:
        return ValuesRows(serializer_class)
    except Unsupported:
        return None
