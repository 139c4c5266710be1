"""What every model admin of the manager's site shares.

- Tenant scoping: an organizer sees only what hangs off their own markets; superusers see
  everything. Querysets, foreign-key choices, autocomplete and list filters are all scoped,
  and another organizer's object is a 404 at its URL (never a redirect that confirms it).
- Permissions follow ownership, not Django's model permissions: an organizer is a staff user
  with ``is_organizer`` and needs no group or permission rows (see ``ScopedModelAdmin``).
- Writes go through services. A ``DomainError`` from a service becomes a form error on the
  page the manager submitted (the transaction rolled back) or an admin error message.
- Speed, through Django's documented options only: no full result counts, no facets, short
  pages, a paginator that stops counting exactly on huge tables.

The admin is a face over every app, like ``urls.py``: admin modules may import any app's
selectors and services.
"""

import csv
import datetime
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.widgets import AutocompleteSelect, RelatedFieldWidgetWrapper
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from marketflow.errors import DomainError
from marketflow.forms import add_domain_error_to_form
from marketflow.selectors import acts_as_organizer, email_bounced, market_list, scope_queryset
from marketflow.services import email_suppression_clear

# -- service errors ---------------------------------------------------------------------------


class ServiceRefused(Exception):
    """Raised inside the admin's atomic block so that the whole save rolls back; carries the
    service's DomainError and, for an inline row, which row it was about."""

    def __init__(self, error: DomainError, *, about: str = ""):
        self.error = error
        self.label = about
        super().__init__(error.message)

    @property
    def message(self) -> str:
        return f"{self.label}: {self.error.message}" if self.label else self.error.message


def call_service(service: Callable[..., Any], *, about: str = "", **kwargs) -> Any:
    """Call a write service from an admin form; ``about`` names an inline row in messages."""
    try:
        return service(**kwargs)
    except DomainError as error:
        raise ServiceRefused(error, about=about) from error


def form_with_refusal(form_class, refusal: ServiceRefused):
    class RefusedForm(form_class):
        def clean(self):
            cleaned_data = super().clean()
            add_domain_error_to_form(self, refusal.error, about=refusal.label)
            return cleaned_data

    RefusedForm.__name__ = form_class.__name__
    return RefusedForm


def adopt(instance, saved) -> None:
    """Make the admin's unsaved ``instance`` the row a service saved (pk, defaults, state),
    so that logging, inlines and the redirect that follow use the real object."""
    for field in instance._meta.concrete_fields:
        setattr(instance, field.attname, getattr(saved, field.attname))
    instance._state.adding = False
    instance._state.db = saved._state.db


# -- paging --------------------------------------------------------------------------------


class LargeTablePaginator(Paginator):
    """Counts exactly up to ``exact_count_limit`` rows, then takes the planner's estimate.

    An exact COUNT(*) over 100,000 applications on every changelist page costs more than the
    page itself; above the limit, page numbers need only be about right.
    """

    exact_count_limit = 10_000

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if not hasattr(object_list, "query"):
            return super().count
        capped = object_list[: self.exact_count_limit + 1].count()
        if capped <= self.exact_count_limit:
            return capped
        return max(self._estimate(object_list), self.exact_count_limit + 1)

    @staticmethod
    def _estimate(queryset) -> int:
        if connections[queryset.db].vendor != "postgresql":
            return queryset.count()
        (plan,) = json.loads(queryset.order_by().explain(format="json"))
        return int(plan["Plan"]["Plan Rows"])


def person(user) -> str | None:
    """A user as text, ``Ana Ruiz (ana@example.com)``: a read-only user field would link the
    account's admin page, which only platform staff may open (a 403 for organizers)."""
    if user is None:
        return None
    return f"{user.full_name} ({user.email})" if user.full_name else user.email


# -- CSV ---------------------------------------------------------------------------------------


class _Echo:
    def write(self, value):
        return value


# A phone number as people write it: digits, spaces and ``+-().``, nothing else.
PHONE_NUMBER = re.compile(r"\+?[\d ().-]*\d[\d ().-]*")


def csv_cell(value) -> str:
    """A cell a spreadsheet shows as text: the one helper of every CSV export. Vendors type
    business names on a public form, and a leading ``=``, ``+``, ``-`` or ``@`` would make
    it a formula, so such a cell starts with an apostrophe. Not a phone number such as
    ``+1 555 0100``: made of digits and ``+-().`` only, it can neither call a function nor
    refer to a cell, and people read it as written."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="seconds")
    text = ", ".join(value) if isinstance(value, list) else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not PHONE_NUMBER.fullmatch(text):
        return f"'{text}"
    return text


def csv_response(
    filename: str, header: list[str], rows: Iterable[Iterable[Any]]
) -> StreamingHttpResponse:
    """Streams the rows, so an export of 100,000 applications never sits in memory."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # a byte-order mark, so spreadsheet programs read UTF-8
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# -- filters -----------------------------------------------------------------------------------


def market_filter(market_path: str = "market"):
    """A list filter offering only the user's own markets (Django's related-field filter would
    list every market in the database)."""

    class MarketFilter(admin.SimpleListFilter):
        title = _("market")
        parameter_name = "market"

        def lookups(self, request, model_admin):
            return [(str(market.pk), market.name) for market in market_list(user=request.user)]

        def queryset(self, request, queryset):
            value = self.value()
            if value is None:
                return queryset
            if value not in {key for key, _label in self.lookup_choices}:
                return queryset.none()
            return queryset.filter(**{market_path: value})

    return MarketFilter


def when_filter(date_path: str, title=None):
    """A list filter for upcoming (today on) or past rows by the date at ``date_path``."""

    class WhenFilter(admin.SimpleListFilter):
        parameter_name = "when"

        def lookups(self, request, model_admin):
            return [("upcoming", _("Upcoming")), ("past", _("Past"))]

        def queryset(self, request, queryset):
            today = timezone.now().date()
            if self.value() == "upcoming":
                return queryset.filter(**{f"{date_path}__gte": today})
            if self.value() == "past":
                return queryset.filter(**{f"{date_path}__lt": today})
            return queryset

    WhenFilter.title = title or _("when")
    return WhenFilter


# -- admins ------------------------------------------------------------------------------------


class ScopedChoicesMixin:
    """Foreign-key and many-to-many choices come from the related model's scoped admin."""

    def scoped_choices(self, request, model):
        try:
            related_admin = self.admin_site.get_model_admin(model)
        except NotRegistered:
            related_admin = None
        if isinstance(related_admin, ScopedModelAdmin):
            return related_admin.scoped_queryset(request)
        if request.user.is_superuser:
            return None
        return model._default_manager.none()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        choices = self.scoped_choices(request, db_field.related_model)
        if choices is not None:
            kwargs["queryset"] = choices
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = NamedAutocompleteSelect(db_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        choices = self.scoped_choices(request, db_field.related_model)
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ServiceWritesMixin:
    """A model admin whose saves call services: a refusal re-renders the submitted form with
    the service's message, a refused delete is an error message, bulk actions report."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        return form_with_refusal(form_class, refusal) if refusal else form_class

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refusal:
            # The first pass rolled back with its atomic block. Render the same POST again
            # with the refusal as a form error, so the manager keeps what they typed.
            request._service_refusal = refusal
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
            return HttpResponseRedirect(
                reverse(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                    args=[object_id],
                    current_app=self.admin_site.name,
                )
            )

    def run_each(
        self,
        request,
        objects: Iterable,
        operation: Callable[[Any], Any],
        *,
        done: str,
        not_done: str,
        describe: Callable[[Any], str] = str,
    ) -> int:
        """Run a service per object, each in its own transaction; report how many succeeded
        and, grouped by the service's message, which did not and why.

        ``done`` and ``not_done`` are formats with ``{count}``, e.g. "Accepted {count}
        application(s)." and "{count} application(s) not accepted".
        """
        succeeded = 0
        refused: dict[str, list[str]] = defaultdict(list)
        for obj in objects:
            try:
                operation(obj)
            except DomainError as error:
                refused[error.message].append(describe(obj))
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, done.format(count=succeeded), messages.SUCCESS)
        for message, labels in refused.items():
            shown = ", ".join(labels[:10]) + (
                f" and {len(labels) - 10} more" if len(labels) > 10 else ""
            )
            self.message_user(
                request,
                f"{not_done.format(count=len(labels))}: {message} ({shown})",
                messages.ERROR,
            )
        if not succeeded and not refused:
            self.message_user(request, _("Nothing was selected."), messages.WARNING)
        return succeeded


class ViewOnlyMixin:
    """An admin whose rows are changed only elsewhere (public forms, decisions, the vendor's
    own portal): no add, change or delete page, for anyone."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedModelAdmin(ScopedChoicesMixin, ServiceWritesMixin, admin.ModelAdmin):
    """A model admin for organizers (their own markets only) and superusers (everything).

    Permissions are decided here from ``is_organizer`` and ownership rather than from
    Django's permission tables: ownership has to be checked per object anyway, and a rule in
    code cannot drift from a group that someone forgot to assign (organizers are created by
    the API, the ``createorganizer`` command and the admin alike). Superusers keep Django's
    behaviour; other staff without ``is_organizer`` get Django's model permissions over an
    empty queryset.
    """

    #: ORM path from the model to the organizer who owns the row.
    owner_path = "market__organizer"
    organizer_can_add = True
    organizer_can_change = True
    organizer_can_delete = True

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a count per filter choice: too slow on big tables
    paginator = LargeTablePaginator
    # Django's rows cost as much again as the page around them every 25 rows or so: a short
    # page keeps the admin within its latency budget (bench/README.md, "The admin").
    list_per_page = 20

    # -- scoping

    def scoped_queryset(self, request):
        """The rows ``request.user`` may see, with nothing else: FK choices use it."""
        return scope_queryset(self.model._default_manager.all(), request.user, self.owner_path)

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user, self.owner_path)

    def owns(self, user, obj) -> bool:
        *hops, last = self.owner_path.split("__")
        target = obj
        for hop in hops:
            target = getattr(target, hop)
        return getattr(target, f"{last}_id") == user.pk

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:  # missing or another organizer's: the same answer for both
            raise Http404(f"No {self.opts.verbose_name} matches the given query.")
        return obj

    # -- permissions

    def has_module_permission(self, request):
        return acts_as_organizer(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        if acts_as_organizer(request.user):
            return obj is None or self.owns(request.user, obj)
        return super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        if acts_as_organizer(request.user):
            return self.organizer_can_add
        return super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        if acts_as_organizer(request.user):
            return self.organizer_can_change and (obj is None or self.owns(request.user, obj))
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if acts_as_organizer(request.user):
            return self.organizer_can_delete and (obj is None or self.owns(request.user, obj))
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Bulk deletion would bypass the services; deleting is one object at a time.
        actions.pop("delete_selected", None)
        return actions


class LabelledInlineFormSet(BaseInlineFormSet):
    """A tabular inline's inputs have only a column header, which names no input: each input
    (the delete box too) gets an accessible name of its own, the column and the row."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if index is None or index >= self.initial_form_count():  # an extra or the empty row
            row = _("new %(thing)s") % {"thing": self.model._meta.verbose_name}
        else:
            row = str(form.instance)
        for field in form.fields.values():
            widget = field.widget
            if isinstance(widget, RelatedFieldWidgetWrapper):
                widget = widget.widget  # the wrapper shares its attrs with the other rows
            if not widget.is_hidden:
                widget.attrs = {**widget.attrs, "aria-label": f"{capfirst(field.label)} ({row})"}


class NamedAutocompleteSelect(AutocompleteSelect):
    """The admin's vendor picker (select2) is named by its shown text only, nothing while
    empty: picker-names.js names it by the field (and the choice); the placeholder shows the
    field's name in an empty picker."""

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs["data-placeholder"] = capfirst(self.field.verbose_name)
        attrs["data-picker-name"] = attrs.get("aria-label") or attrs["data-placeholder"]
        return attrs

    @property
    def media(self):
        # After autocomplete.js, which makes the pickers.
        return super().media + forms.Media(
            js=["admin/js/autocomplete.js", "marketflow/admin/picker-names.js"]
        )


class OwnRowsInlineFormSet(LabelledInlineFormSet):
    """Refuses a posted row id that is not one of the parent's rows (edited hidden values, or
    a row deleted meanwhile); Django would skip such a row silently."""

    def clean(self):
        super().clean()
        for form in self.initial_forms:
            if form.instance._state.adding:
                raise ValidationError(
                    _("A row of this list is not one of this page’s rows: reload the page."),
                    code="unknown_row",
                )


class ScopedInlineMixin(ScopedChoicesMixin):
    """Inline rows of a parent the organizer owns (the parent's admin checked that)."""

    formset = OwnRowsInlineFormSet
    organizer_can_add = True
    organizer_can_change = True
    organizer_can_delete = True

    def has_view_permission(self, request, obj=None):
        if acts_as_organizer(request.user):
            return True
        return super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj):
        if acts_as_organizer(request.user):
            return self.organizer_can_add
        return super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if acts_as_organizer(request.user):
            return self.organizer_can_change
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if acts_as_organizer(request.user):
            return self.organizer_can_delete
        return super().has_delete_permission(request, obj)


# -- addresses that bounced --------------------------------------------------------------------


class EmailBouncedFilter(admin.SimpleListFilter):
    """Rows (vendors, users) whose e-mail address bounced or complained."""

    title = _("e-mail bounced")
    parameter_name = "email_bounced"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(email_bounced())
        if self.value() == "no":
            return queryset.filter(~email_bounced())
        return queryset


class EmailBounceAdminMixin:
    """The bounce flag of a model admin whose rows have an ``email``: a column and a list
    filter, and an action that clears it (``email_suppression_clear``, recorded in each row's
    history). The admin's ``get_queryset`` annotates ``email_bounced`` (``with_email_bounce``),
    so the column costs no query per row."""

    @admin.display(description=_("e-mail bounced"), boolean=True, ordering="email_bounced")
    def email_bounce(self, obj) -> bool:
        return obj.email_bounced

    @admin.action(description=_("Clear the e-mail bounce flag: send them e-mail again"))
    def clear_email_bounce(self, request, queryset):
        count = email_suppression_clear(user=request.user, holders=queryset)
        if count:
            self.message_user(
                request, _("Cleared the bounce flag of %d address(es).") % count, messages.SUCCESS
            )
        else:
            self.message_user(
                request, _("None of the selected addresses had bounced."), messages.WARNING
            )
