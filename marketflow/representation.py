"""Read serializers without DRF's per-field overhead, answering exactly what DRF would.

DRF spends most of a list response in ``Serializer.to_representation``: for every row and
every field it walks ``source_attrs``, checks for callables, looks up the current time zone
and dispatches to the field. ``FastRepresentationMixin`` plans the work once per serializer
instance (once per response for ``many=True``) and then, for the plain field types below,
does only the attribute reads and the conversions DRF does. Any other field, any custom
``format`` or any attribute that cannot be read directly goes through DRF's own code, so the
output stays identical (``tests/test_bench_fast_paths.py`` compares the two).
"""

from __future__ import annotations

from rest_framework import fields as drf_fields
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

_MISSING = object()


def _as_str(value):
    return str(value)


def _as_int(value):
    return int(value)


def _as_is(value):
    return value


def _datetime_converter(field):
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    if output_format is None or output_format.lower() != drf_fields.ISO_8601:
        return None
    field_timezone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if field_timezone is None:
        return None

    def convert(value):
        return iso_datetime(value, field_timezone, field) if value else None

    return convert


def iso_datetime(value, zone, field):
    """DRF's ``DateTimeField.to_representation`` of ``value`` in ``zone``, in ISO 8601."""
    if zone is None or isinstance(value, str) or value.utcoffset() is None:
        return field.to_representation(value)  # DRF's own rules for the unusual
    if value.tzinfo is not zone:
        try:
            value = value.astimezone(zone)
        except OverflowError:
            return field.to_representation(value)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _date_converter(field, setting):
    output_format = getattr(field, "format", setting)
    if output_format is None or output_format.lower() != drf_fields.ISO_8601:
        return None

    def convert(value):
        if value in (None, ""):
            return None
        return value if isinstance(value, str) else value.isoformat()

    return convert


def _converter(field):
    """A function doing what ``field.to_representation`` does, or None to use the field."""
    kind = type(field)
    if kind in (drf_fields.CharField, drf_fields.EmailField, drf_fields.SlugField):
        return _as_str
    if kind is drf_fields.IntegerField:
        return _as_int
    if kind is drf_fields.BooleanField:
        return None  # rare in lists; DRF's mapping of truthy strings stays authoritative
    if kind is drf_fields.UUIDField:
        return _as_str if field.uuid_format == "hex_verbose" else None
    if kind is drf_fields.ReadOnlyField:
        return _as_is
    if kind is drf_fields.JSONField:
        return None if field.binary else _as_is
    if kind is drf_fields.DateTimeField:
        return _datetime_converter(field)
    if kind is drf_fields.DateField:
        return _date_converter(field, api_settings.DATE_FORMAT)
    if kind is drf_fields.TimeField:
        return _date_converter(field, api_settings.TIME_FORMAT)
    return None


class FastRepresentationMixin:
    """Put first in the bases of a read-only serializer: ``class X(FastRepresentationMixin,
    serializers.ModelSerializer)``. Output is the same as DRF's, only cheaper."""

    def _representation_plan(self):
        plan = getattr(self, "_fast_plan", None)
        if plan is None:
            plan = []
            for field in self._readable_fields:
                attrs = field.source_attrs
                direct = (
                    field.source != "*"
                    and attrs
                    and type(field).get_attribute is drf_fields.Field.get_attribute
                )
                plan.append((field.field_name, field, tuple(attrs) if direct else None,
                             _converter(field)))  # fmt: skip
            self._fast_plan = plan
        return plan

    def to_representation(self, instance):
        representation = {}
        for name, field, attrs, convert in self._representation_plan():
            value = _MISSING
            if attrs is not None:
                value = instance
                for attr in attrs:
                    value = getattr(value, attr, _MISSING)
                    if value is _MISSING or value is None or callable(value):
                        value = _MISSING
                        break
            if value is _MISSING:  # DRF's own walk: callables, None on the way, SkipField
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
                checked = value.pk if isinstance(value, PKOnlyObject) else value
                if checked is None:
                    representation[name] = None
                    continue
                representation[name] = field.to_representation(value)
                continue
            representation[name] = convert(value) if convert else field.to_representation(value)
        return representation
