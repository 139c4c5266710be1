"""A changelist's rows as HTML, the same bytes as Django's ``items_for_result``, with the work
that is the same for every row done once per page.

Django's ``items_for_result`` decides, for every cell of every row, what kind of column it
is (model field, admin method, callable...), which CSS classes and which empty value it
gets, whether it links, and then builds the cell with ``format_html``: a third of an
applications changelist's time went there (`make bench`). ``Column`` makes those decisions
once per page from the same rules, so a row only reads its values and escapes them.

Only what needs no form takes this path: a changelist with ``list_editable`` or opened as a
popup goes Django's way (``ScopedChangeList.result_rows`` returns None).
tests/test_admin_fast_paths.py renders every registered changelist both ways and requires
identical HTML.
"""

import datetime
import html
from typing import Any

from django.contrib.admin.templatetags.admin_list import _coerce_field_name
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    lookup_field,
)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe

_NO_CHOICES = object()


def conditional_escape(text) -> str:
    """Django's ``conditional_escape``, without the lazy-argument wrapper that every call to
    ``escape`` goes through: the same text for the same input."""
    if isinstance(text, Promise):
        text = str(text)
    if hasattr(text, "__html__"):
        return text.__html__()
    return html.escape(str(text))


class Column:
    """One column of ``list_display``, with everything ``items_for_result`` works out per cell
    that does not depend on the row."""

    def __init__(self, changelist, index: int, name, *, link: bool, first: bool, empty: str):
        model_admin = changelist.model_admin
        self.name = name
        self.link = link
        self.table_tag = "th" if link and first else "td"
        self.empty = empty
        # A related row that does not exist shows the empty value with the plain class.
        self.missing_class_attr = f' class="field-{_coerce_field_name(name, index)}"'
        field = attr = lookup = None
        try:
            field = _get_non_gfk_field(changelist.lookup_opts, name)
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            if callable(name):
                attr = name
            elif hasattr(model_admin, name) and name != "__str__":
                attr = getattr(model_admin, name)
            else:  # a model attribute, property or related path: Django's lookup, per row

                def lookup(obj):
                    return lookup_field(name, obj, model_admin)

        self.field, self.attr, self.lookup = field, attr, lookup
        # Django shows a field through display_for_field, anything else (and auto-created
        # fields such as an AutoField) through display_for_value.
        self.shows_field = field is not None and not field.auto_created
        classes = f"field-{_coerce_field_name(name, index)}"
        self.foreign_key = False
        self.choices = _NO_CHOICES
        if self.shows_field:
            self.foreign_key = isinstance(field.remote_field, models.ManyToOneRel)
            if isinstance(field, (models.DateField, models.TimeField, models.ForeignKey)):
                classes += " nowrap"
            if not self.foreign_key and getattr(field, "flatchoices", None):
                try:
                    # Each label escaped once per page rather than once per row.
                    self.choices = {
                        value: SafeString(conditional_escape(label))
                        for value, label in dict(field.flatchoices).items()
                    }
                except TypeError:  # list-like choices: Django's way, per row
                    self.choices = _NO_CHOICES
        else:
            if name == "action_checkbox":
                classes = "action-checkbox"
            self._value_options(attr)
        self.classes = classes
        self.class_attr = f' class="{classes}"'

    def _value_options(self, attr) -> None:
        self.value_empty = getattr(attr, "empty_value_display", self.empty)
        boolean = getattr(attr, "boolean", False)
        if isinstance(attr, property) and hasattr(attr, "fget"):
            boolean = getattr(attr.fget, "boolean", False)
        self.boolean = boolean

    def cell(self, obj) -> tuple[Any, str]:
        """(what the cell shows, its class attribute), as ``items_for_result`` works them out."""
        try:
            if self.lookup is not None:
                _field, attr, value = self.lookup(obj)
                self._value_options(attr)
            elif self.attr is not None:
                value = self.attr(obj)
            else:
                value = getattr(obj, self.name)
        except ObjectDoesNotExist:
            return self.empty, self.missing_class_attr
        if isinstance(value, str) and value.strip() == "":
            value = ""
        if not self.shows_field:
            if isinstance(value, str) and not self.boolean:  # display_for_value, for text
                return (str(value) if value else self.value_empty), self.class_attr
            shown = display_for_value(value, self.value_empty, self.boolean)
            if isinstance(value, (datetime.date, datetime.time)):
                return shown, f' class="{self.classes} nowrap"'
            return shown, self.class_attr
        if self.foreign_key:
            related = getattr(obj, self.field.name)
            return (self.empty if related is None else related), self.class_attr
        if self.choices is not _NO_CHOICES:
            try:
                return self.choices.get(value, self.empty), self.class_attr
            except TypeError:  # an unhashable value: Django's way
                pass
        shown = display_for_field(value, self.field, self.empty, avoid_link=self.link)
        return shown, self.class_attr


class ChangeListRows:
    """The rows of one changelist page, each a ``SafeString`` of its ``<td>``/``<th>`` cells."""

    def __init__(self, changelist):
        self.changelist = changelist
        empty = changelist.model_admin.get_empty_value_display()
        links = changelist.list_display_links
        self.columns = []
        first = True
        for index, name in enumerate(changelist.list_display):
            if links is None:
                link = False
            elif first and not links:
                link = True
            else:
                link = name in links
            self.columns.append(
                Column(changelist, index, name, link=link, first=first, empty=empty)
            )
            if link:
                first = False
        self._filters_checked = False
        self._filters_merge = False

    def _url(self, obj) -> str:
        changelist = self.changelist
        url = changelist.url_for_result(obj)
        if self._filters_merge:
            return add_preserved_filters(self._preserved, url)
        if not self._filters_checked:
            # The links of a ScopedChangeList carry their filters already, so Django's merge
            # gives the URL back as it was; should it not, every row goes Django's way.
            self._filters_checked = True
            self._preserved = {
                "preserved_filters": changelist.preserved_filters,
                "opts": changelist.opts,
            }
            merged = add_preserved_filters(self._preserved, url)
            if merged != url:
                self._filters_merge = True
                return merged
        return url

    def render(self, obj) -> SafeString:
        cells = []
        for column in self.columns:
            shown, class_attr = column.cell(obj)
            if column.link:
                try:
                    url = self._url(obj)
                except NoReverseMatch:
                    pass
                else:
                    shown = SafeString(
                        f'<a href="{conditional_escape(url)}">{conditional_escape(shown)}</a>'
                    )
                tag = column.table_tag
                cells.append(f"<{tag}{class_attr}>{conditional_escape(shown)}</{tag}>")
            else:
                cells.append(f"<td{class_attr}>{conditional_escape(shown)}</td>")
        return mark_safe("".join(cells))
