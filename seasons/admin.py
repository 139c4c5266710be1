"""The admin's seasons: organizers write a season's pattern and exceptions as lines of text, see
what the change will do to the market days before it is saved, and make vendors full-season."""

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from marketflow.admin_base import (
    ScopedInlineMixin,
    ScopedModelAdmin,
    adopt,
    call_service,
    market_filter,
)
from marketflow.currencies import format_money
from marketflow.errors import DomainError
from marketflow.forms import MoneyField, add_domain_error_to_form
from seasons import services
from seasons.models import WEEKDAY_NAMES, Season, SeasonVendor, season_exceptions, weekly_slots

SLOT_LINE = re.compile(r"^(\w{3})\w*\s+(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$")
EXCEPTION_LINE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})\s+(?:skip|(?:->|→|moved to)\s*(\d{4}-\d{2}-\d{2})"
    r"(?:\s+(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2}))?)$",
    re.IGNORECASE,
)
PREVIEWED = "previewed"  # the hidden input naming the preview the organizer saw


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class PatternField(forms.CharField):
    """``Sat 08:00-13:00``, one weekday a line, to the stored pattern."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 30})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(
                f"{WEEKDAY_NAMES[s.weekday]} {s.start_time:%H:%M}-{s.end_time:%H:%M}"
                for s in weekly_slots(value)
            )
        return value

    def to_python(self, value):
        names = [name.lower() for name in WEEKDAY_NAMES]
        pattern = []
        for line in _lines(value):
            match = SLOT_LINE.match(line)
            if not match or match[1].lower() not in names:
                raise ValidationError(
                    _("“%(line)s”: write e.g. Sat 08:00-13:00."), params={"line": line}
                )
            pattern.append(
                {
                    "weekday": names.index(match[1].lower()),
                    "start_time": match[2],
                    "end_time": match[3],
                }
            )
        return pattern


class ExceptionsField(forms.CharField):
    """``2026-07-04 skip`` or ``2026-07-04 -> 2026-07-05 09:00-12:00``, one a line."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 40})

    def prepare_value(self, value):
        if isinstance(value, list):
            rows = []
            for e in season_exceptions(value):
                if e.moved_to is None:
                    rows.append(f"{e.date} skip")
                else:
                    times = f" {e.start_time:%H:%M}-{e.end_time:%H:%M}" if e.start_time else ""
                    rows.append(f"{e.date} -> {e.moved_to}{times}")
            return "\n".join(rows)
        return value

    def to_python(self, value):
        exceptions = []
        for line in _lines(value):
            match = EXCEPTION_LINE.match(line)
            if not match:
                raise ValidationError(
                    _("“%(line)s”: write e.g. 2026-07-04 skip, or %(move)s."),
                    params={"line": line, "move": "2026-07-04 -> 2026-07-05 09:00-12:00"},
                )
            row = {"date": match[1]}
            if match[2]:
                row["moved_to"] = match[2]
            if match[3]:
                row.update(start_time=match[3], end_time=match[4])
            exceptions.append(row)
        return exceptions


class SeasonForm(forms.ModelForm):
    """A season; once valid, the form shows what saving will do to the market days and saves
    only when resubmitted with that very preview seen (``PREVIEWED``)."""

    weekly_pattern = PatternField(
        label=_("Weekly pattern"), help_text=_("One weekday a line: Sat 08:00-13:00.")
    )
    exceptions = ExceptionsField(
        label=_("Exception dates"),
        required=False,
        help_text=_(
            "One a line: 2026-07-04 skip (no market), or 2026-07-04 -> 2026-07-05 09:00-12:00 "
            "(moved; the times are optional)."
        ),
    )
    fee_cents = MoneyField(
        label=_("Season fee per stall"),
        required=False,
        help_text=_(
            "Optional, in the market's currency: a full-season vendor pays it over the "
            "season's days (an equal share each, the remainder on the first). Empty: the "
            "stall's daily price on each day."
        ),
    )

    user = None  # set by SeasonAdmin.get_form
    preview = None

    class Meta:
        model = Season
        fields = ["market", *services.SEASON_FIELDS]

    def full_clean(self):
        market = self.instance.market if self.instance.market_id else None
        if market is not None:
            self.fields["fee_cents"].currency = market.currency
        super().full_clean()

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        adding = "market" in self.fields  # a season stays in its market
        market = cleaned["market"] if adding else self.instance.market
        fields = {name: cleaned[name] for name in services.SEASON_FIELDS if name in cleaned}
        try:
            self.preview = services.season_preview(
                user=self.user,
                market_id=market.pk,
                season_id=None if adding else self.instance.pk,
                **fields,
            )
        except DomainError as error:
            add_domain_error_to_form(self, error)
            return cleaned
        changes_days = self.preview.summary() != services.SeasonChanges().summary()
        if changes_days and self.data.get(PREVIEWED) != self.preview.summary():
            raise ValidationError(
                _("Check what saving will do to the market days (above), then save again."),
                code="preview",
            )
        return cleaned


class SeasonVendorInline(ScopedInlineMixin, admin.TabularInline):
    model = SeasonVendor
    fields = ["vendor", "stall"]
    autocomplete_fields = ["vendor"]
    extra = 0
    organizer_can_change = False  # remove and add again: a new stall is a new booking run
    verbose_name_plural = _("full-season vendors (booked on every day of the season)")


@admin.register(Season)
class SeasonAdmin(ScopedModelAdmin):
    form = SeasonForm
    inlines = [SeasonVendorInline]
    change_form_template = "admin/seasons/season/change_form.html"
    list_display = ["name", "market", "start_date", "end_date", "pattern", "fee"]
    list_filter = [market_filter("market")]
    list_select_related = ["market"]
    search_fields = ["name"]
    ordering = ["-start_date", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related)

    def get_readonly_fields(self, request, obj=None):
        return ["market"] if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        return type(form_class.__name__, (form_class,), {"user": request.user})

    @admin.display(description=_("weekly pattern"))
    def pattern(self, season):
        return season.pattern_display()

    @admin.display(description=_("season fee"), ordering="fee_cents")
    def fee(self, season):
        return format_money(season.fee_cents, season.market.currency, empty="–")

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in services.SEASON_FIELDS
            if not change or name in form.changed_data
        }
        if change:
            saved = call_service(
                services.season_update,
                user=request.user,
                market_id=obj.market_id,
                season_id=obj.pk,
                **data,
            )
        else:
            saved = call_service(
                services.season_create,
                user=request.user,
                market_id=form.cleaned_data["market"].pk,
                **data,
            )
        adopt(obj, saved.season)
        self.message_user(request, saved.changes.summary(done=True), messages.SUCCESS)
        self._report_skipped(request, saved.changes.skipped)

    def _report_skipped(self, request, skipped):
        for skip in skipped:
            self.message_user(
                request,
                _("%(vendor)s not booked on stall %(stall)s on %(date)s: %(reason)s")
                % {
                    "vendor": skip.vendor,
                    "stall": skip.stall,
                    "date": date_format(skip.date),
                    "reason": skip.reason,
                },
                messages.WARNING,
            )

    def delete_model(self, request, obj):
        call_service(
            services.season_delete, user=request.user, market_id=obj.market_id, season_id=obj.pk
        )

    def get_deleted_objects(self, objs, request):
        (season,) = objs
        return [str(season)], {}, set(), []

    def save_formset(self, request, form, formset, change):
        season = form.instance
        formset.save(commit=False)
        ids = {"user": request.user, "market_id": season.market_id, "season_id": season.pk}
        for member in formset.deleted_objects:
            call_service(services.season_vendor_remove, **ids, season_vendor_id=member.pk)
        for member in formset.new_objects:
            result = call_service(
                services.season_vendor_add,
                about=str(member.vendor),
                **ids,
                vendor_id=member.vendor_id,
                stall_id=member.stall_id,
            )
            adopt(member, result.season_vendor)
            self.message_user(
                request,
                _("%(vendor)s is full-season on stall %(stall)s: booked on %(count)d days.")
                % {
                    "vendor": member.vendor,
                    "stall": member.stall,
                    "count": result.booked,
                },
                messages.SUCCESS,
            )
            self._report_skipped(request, result.skipped)
