"""Admin of the platform core: markets (with their days and stalls inline), market days with
"add weekly market days", and users (superusers only). Every write goes through services."""

import dataclasses
import datetime
import zoneinfo

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from applications.services import ImportedVendor
from marketflow import services
from marketflow.admin_base import (
    EmailBounceAdminMixin,
    EmailBouncedFilter,
    ScopedInlineMixin,
    ScopedModelAdmin,
    ServiceWritesMixin,
    adopt,
    call_service,
    market_filter,
    when_filter,
)
from marketflow.currencies import ISO_4217_CODES
from marketflow.errors import DomainError
from marketflow.forms import MoneyField, add_domain_error_to_form
from marketflow.models import (
    DocumentType,
    Market,
    MarketDay,
    ProductCategory,
    SalesCurrency,
    User,
)
from marketflow.selectors import market_list, with_email_bounce
from sales.admin import PayoutsAdminMixin
from sales.report_admin import SalesAdminMixin
from stalls import selectors as stall_selectors
from stalls import services as stall_services
from stalls.admin import (
    FeeStatementsAdminMixin,
    ReadinessAdminMixin,
    StallForm,
    StallOfferInline,
    WaitlistEntryInline,
)
from stalls.imports import read_vendor_list
from stalls.models import Booking, Stall, WaitlistEntry
from stalls.selectors import market_day_fill_counts
from stalls.services import STALL_FIELDS

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
INLINE_DAYS_AHEAD = 90


def public_page_url(market: Market) -> str:
    return f"/m/{market.slug}/"


def market_qr_url(market: Market) -> str:
    return f"/m/{market.slug}/qr.svg"


# -- markets -----------------------------------------------------------------------------------


class MarketAdminForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        choices=[(name, name) for name in sorted(zoneinfo.available_timezones())],
        initial="UTC",
    )
    currency = forms.ChoiceField(
        choices=[(code, code) for code in sorted(ISO_4217_CODES)], initial="USD"
    )
    accepted_categories = forms.MultipleChoiceField(
        choices=ProductCategory.choices,
        initial=list(ProductCategory.values),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Product categories this market accepts applications for."),
    )
    required_document_types = forms.MultipleChoiceField(
        choices=DocumentType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Documents every application to this market must include."),
    )
    no_show_fee_cents = MoneyField(
        label=_("No-show fee"),
        required=False,
        help_text=_(
            "In the market's currency; added to the statement of a vendor marked a no-show at "
            "check-in. Empty: none."
        ),
    )
    expiring_document_types = forms.MultipleChoiceField(
        choices=DocumentType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Documents that expire"),
        help_text=_(
            "Required documents that are valid until their expiry date only; the others "
            "never expire."
        ),
    )

    sales_currencies = forms.MultipleChoiceField(
        choices=SalesCurrency.choices,
        initial=list(SalesCurrency.values),
        widget=forms.CheckboxSelectMultiple,
        label=_("Currencies vendors report"),
        help_text=_(
            "What vendors split their sales report into. SNAP/EBT tokens, market tokens and "
            "incentive matches are redeemed by the market: what a vendor took in of them, the "
            "market pays out (the market's Payouts page)."
        ),
    )
    sales_fee_percent = forms.DecimalField(
        label=_("Percentage of gross sales"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
        help_text=_("E.g. 6 or 6.5: needed by the percentage rules. Empty: 0 (flat fee only)."),
    )
    sales_fee_cap_cents = MoneyField(
        label=_("Most a day's percentage fee comes to"),
        required=False,
        help_text=_("In the market's currency. Empty: no cap."),
    )

    class Meta:
        model = Market
        fields = ["organizer", *services.MARKET_EDITABLE_FIELDS]
        labels = {
            "sales_fee_rule": _("Fee rule"),
            "sales_report_days": _("Days to report sales"),
            "gross_sales_definition": _("What “gross sales” means"),
        }
        help_texts = {
            "sales_fee_rule": _(
                "Flat: the stall's daily price, charged at booking, as before. Percentage: "
                "computed when the vendor reports; nothing is charged at booking. The higher "
                "of the two: the stall's price at booking, and the percentage above it when it "
                "comes to more. A vendor who reports late or not at all pays the stall's "
                "daily price. A change applies to sales reported after it: fees already "
                "computed stay as they are."
            ),
            "sales_report_days": _(
                "Vendors report a day's sales by the end of this many days after it (0: the "
                "same day). A report after that is late and pays the stall's daily price; "
                "a day not reported by then is charged it the next morning."
            ),
            "gross_sales_definition": _(
                "Shown to vendors on the sales report form. Empty: the standard text."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:  # a new market's fee is typed in its default currency
            self.fields["no_show_fee_cents"].currency = self.instance.currency
            self.fields["sales_fee_cap_cents"].currency = self.instance.currency
        for name in ("late_cancellation_hours", "sales_report_days", "gross_sales_definition"):
            self.fields[name].required = False

    def clean_sales_fee_percent(self):
        return self.cleaned_data["sales_fee_percent"] or 0

    def clean_sales_report_days(self):
        days = self.cleaned_data["sales_report_days"]
        return self.instance.sales_report_days if days is None else days  # left empty

    def clean_gross_sales_definition(self):
        text = self.cleaned_data["gross_sales_definition"].strip()
        return text or Market._meta.get_field("gross_sales_definition").get_default()

    def clean_no_show_fee_cents(self):
        return self.cleaned_data["no_show_fee_cents"] or 0

    def clean_late_cancellation_hours(self):
        hours = self.cleaned_data["late_cancellation_hours"]
        return self.instance.late_cancellation_hours if hours is None else hours  # left empty


class VendorListForm(forms.Form):
    file = forms.FileField(
        label=_("Vendor list (.csv or .xlsx)"),
        help_text=_(
            "The first row names the columns: business name, contact, e-mail, phone, "
            "categories (e.g. “Produce, Baked goods”), stall (the label of the vendor’s "
            "regular stall, optional)."
        ),
    )


VENDOR_ROWS_SALT = "marketflow.admin.vendor-list"
VENDOR_ROWS_MAX_AGE = 3600  # seconds between the preview and the import


def signed_vendor_rows(rows: list[ImportedVendor]) -> str:
    """The previewed rows, carried to the import by the page (signed: what is imported is
    what was shown)."""
    return signing.dumps([dataclasses.asdict(row) for row in rows], salt=VENDOR_ROWS_SALT)


def unsigned_vendor_rows(value: str) -> list[ImportedVendor] | None:
    try:
        data = signing.loads(value, salt=VENDOR_ROWS_SALT, max_age=VENDOR_ROWS_MAX_AGE)
    except signing.BadSignature:
        return None
    return [
        ImportedVendor(**{**row, "product_categories": tuple(row["product_categories"])})
        for row in data
    ]


class MarketDayInline(ScopedInlineMixin, admin.TabularInline):
    model = MarketDay
    fields = [*services.MARKET_DAY_FIELDS, "status", "stall_board"]
    readonly_fields = ["stall_board"]
    extra = 0
    show_change_link = True
    verbose_name_plural = format_lazy(
        _("market days of the next {days} days"), days=INLINE_DAYS_AHEAD
    )

    def get_queryset(self, request):
        # Years of past days would make the page endless; the changelist has them all.
        today = timezone.now().date()
        return (
            super()
            .get_queryset(request)
            .filter(
                date__gte=today - datetime.timedelta(days=1),
                date__lte=today + datetime.timedelta(days=INLINE_DAYS_AHEAD),
            )
            .order_by("date")
        )

    @admin.display(description=_("stall board"))
    def stall_board(self, market_day):
        if market_day.pk is None:
            return "–"
        url = reverse("admin:stalls_booking_board", args=[market_day.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open stall board"))


class StallInlineForm(StallForm):
    class Meta:
        model = Stall
        fields = STALL_FIELDS
        widgets = {
            "label": forms.TextInput(attrs={"size": 8}),
            "size_category": forms.TextInput(attrs={"size": 8}),
            "notes": forms.TextInput(attrs={"size": 24}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A class, not a style attribute: the Content-Security-Policy allows no inline styles.
        self.fields["price_per_day"].widget.attrs["class"] = "mf-price"


class StallInline(ScopedInlineMixin, admin.TabularInline):
    model = Stall
    form = StallInlineForm
    fk_name = "market"
    fields = STALL_FIELDS
    autocomplete_fields = ["assigned_vendor"]
    extra = 0
    show_change_link = True
    ordering = ["label"]


@admin.register(Market)
class MarketAdmin(
    SalesAdminMixin,
    PayoutsAdminMixin,
    ReadinessAdminMixin,
    FeeStatementsAdminMixin,
    ScopedModelAdmin,
):
    owner_path = "organizer"
    form = MarketAdminForm
    inlines = [MarketDayInline, StallInline]
    list_display = ["name", "slug", "location", "is_active", "public_link"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["public_page"]
    actions = ["deactivate_markets", "activate_markets"]

    def get_list_display(self, request):
        if request.user.is_superuser:
            return [*self.list_display, "organizer"]
        return self.list_display

    def get_list_select_related(self, request):
        return ["organizer"] if request.user.is_superuser else []

    def get_fields(self, request, obj=None):
        fields = list(services.MARKET_EDITABLE_FIELDS)
        if obj is not None:
            fields.insert(0, "public_page")
        if request.user.is_superuser and obj is None:
            fields.insert(0, "organizer")  # a market never changes hands once created
        return fields

    def get_fieldsets(self, request, obj=None):
        fields = self.get_fields(request, obj)
        sales = list(services.MARKET_SALES_FIELDS)
        return [
            (None, {"fields": [name for name in fields if name not in sales]}),
            (
                _("Sales and fees"),
                {
                    "fields": sales,
                    "description": _(
                        "What vendors report after each market day, and what they pay for it."
                    ),
                },
            ),
        ]

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if obj is None else {}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organizer":
            kwargs["queryset"] = User.objects.filter(is_organizer=True, is_active=True)
            return db_field.formfield(**kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("public page"))
    def public_link(self, market):
        url = public_page_url(market)
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.display(description=_("public page and QR code"))
    def public_page(self, market):
        url, qr_url = public_page_url(market), market_qr_url(market)
        return format_html(
            '<a href="{url}" target="_blank" rel="noopener">{url}</a><br>'
            '<a href="{qr}" target="_blank" rel="noopener" title="{title}">'
            '<img src="{qr}" alt="{alt}" width="160" height="160" class="market-qr"></a><br>'
            '<a href="{qr}" download="{slug}-qr.svg">{download}</a>',
            url=url,
            qr=qr_url,
            slug=market.slug,
            title=_("Open the QR code to print it"),
            alt=_("QR code of the application page"),
            download=_("Download the QR code to print"),
        )

    # -- importing a vendor list

    def get_urls(self):
        return [
            path(
                "<uuid:market_id>/import-vendors/",
                self.admin_site.admin_view(self.import_vendors_view),
                name="marketflow_market_import_vendors",
            ),
            *super().get_urls(),
        ]

    def import_vendors_view(self, request, market_id):
        """Upload a vendor list (CSV or XLSX), see every row with its problems, and only then
        import it: all rows as accepted applications, or none."""
        market = self.get_object(request, str(market_id))
        if not self.has_change_permission(request, market):
            raise PermissionDenied
        form = VendorListForm(request.POST or None, request.FILES or None)
        rows, check, refusal = None, None, None
        if request.method == "POST" and "rows" in request.POST:  # the confirmed preview
            rows = unsigned_vendor_rows(request.POST["rows"])
            if rows is None:
                form.add_error(None, _("The preview has expired: upload the file again."))
            else:
                try:
                    imported = stall_services.vendor_list_import(
                        user=request.user, market_id=market.pk, rows=rows
                    )
                except DomainError as error:
                    refusal = error.message
                else:
                    self.message_user(
                        request,
                        _("Imported %(count)d vendor(s) into %(market)s as accepted vendors.")
                        % {"count": len(imported), "market": market.name},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:applications_application_changelist")
                        + f"?market={market.pk}&status__exact=accepted"
                    )
        elif request.method == "POST" and form.is_valid():
            try:
                rows = read_vendor_list(form.cleaned_data["file"])
            except DomainError as error:
                add_domain_error_to_form(form, error)
        if rows is not None:
            check = stall_services.vendor_list_check(
                user=request.user, market_id=market.pk, rows=rows
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import a vendor list into %(market)s") % {"market": market.name},
            "opts": self.opts,
            "original": market,
            "form": form,
            "rows": [(row, check.rows.get(row.line, [])) for row in rows or []],
            "check": check,
            "refusal": refusal,
            "signed_rows": signed_vendor_rows(rows) if rows and check.ok else "",
            "category_labels": dict(ProductCategory.choices),
        }
        return TemplateResponse(request, "marketflow_admin/import_vendors.html", context)

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in services.MARKET_EDITABLE_FIELDS
            if name in form.cleaned_data and (not change or name in form.changed_data)
        }
        if change:
            market = call_service(
                services.market_update, user=request.user, market_id=obj.pk, **data
            )
        else:
            organizer = form.cleaned_data.get("organizer") or request.user
            market = call_service(services.market_create, organizer=organizer, **data)
        adopt(obj, market)

    def delete_model(self, request, obj):
        call_service(services.market_delete, user=request.user, market_id=obj.pk)

    def get_deleted_objects(self, objs, request):
        # Listing every application of a market would be a page of 100,000 lines.
        (market,) = objs
        counts = {
            _("market days"): market.market_days.count(),
            _("stalls"): market.stalls.count(),
            _("applications"): market.applications.count(),
        }
        bookings = Booking.objects.filter(market_day__market=market).count()
        protected = [_("%(count)d bookings") % {"count": bookings}] if bookings else []
        return [str(market)], {name: n for name, n in counts.items() if n}, set(), protected

    def _set_active_each(self, request, queryset, is_active: bool, done: str, not_done: str):
        self.run_each(
            request,
            queryset,
            lambda market: services.market_update(
                user=request.user, market_id=market.pk, is_active=is_active
            ),
            done=done,
            not_done=not_done,
        )

    @admin.action(description=_("Deactivate selected markets"), permissions=["change"])
    def deactivate_markets(self, request, queryset):
        """A deactivated market leaves the public pages and takes no applications."""
        self._set_active_each(
            request,
            queryset,
            False,
            _("Deactivated {count} market(s)."),
            _("{count} market(s) not deactivated"),
        )

    @admin.action(description=_("Activate selected markets"), permissions=["change"])
    def activate_markets(self, request, queryset):
        self._set_active_each(
            request,
            queryset,
            True,
            _("Activated {count} market(s)."),
            _("{count} market(s) not activated"),
        )

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, StallInline):
            # Prices are typed in the market's currency, which this very form may change.
            kwargs["form_kwargs"] = {"market": obj}
        return kwargs

    def save_formset(self, request, form, formset, change):
        market = form.instance
        formset.save(commit=False)
        if formset.model is Stall:
            self._save_stalls(request, market, formset)
        elif formset.model is MarketDay:
            self._save_market_days(request, market, formset)
        else:  # pragma: no cover - every inline of this admin is routed above
            raise TypeError(f"No service route for {formset.model}")

    def _save_stalls(self, request, market, formset):
        user = request.user
        for stall in formset.deleted_objects:
            call_service(
                stall_services.stall_delete,
                about=_("Stall “%(label)s”") % {"label": stall.label},
                user=user,
                market_id=market.pk,
                stall_id=stall.pk,
            )
        for stall, changed in formset.changed_objects:
            call_service(
                stall_services.stall_update,
                about=_("Stall “%(label)s”") % {"label": stall.label},
                user=user,
                market_id=market.pk,
                stall_id=stall.pk,
                **{name: getattr(stall, name) for name in changed},
            )
        for stall in formset.new_objects:
            created = call_service(
                stall_services.stall_create,
                about=_("Stall “%(label)s”") % {"label": stall.label},
                user=user,
                market_id=market.pk,
                **{name: getattr(stall, name) for name in StallInline.fields},
            )
            adopt(stall, created)

    def _save_market_days(self, request, market, formset):
        user = request.user
        for market_day in formset.deleted_objects:
            call_service(
                services.market_day_delete,
                about=_("Market day %(date)s") % {"date": market_day.date},
                user=user,
                market_id=market.pk,
                market_day_id=market_day.pk,
            )
        for market_day, changed in formset.changed_objects:
            call_service(
                stall_services.market_day_update_with_fees,
                about=_("Market day %(date)s") % {"date": market_day.date},
                user=user,
                market_id=market.pk,
                market_day_id=market_day.pk,
                **{name: getattr(market_day, name) for name in changed},
            )
        for market_day in formset.new_objects:
            created = _create_market_day(user, market, market_day)
            adopt(market_day, created)


def _create_market_day(user, market, market_day: MarketDay) -> MarketDay:
    """Schedule a day from an admin form; a day entered as cancelled is cancelled right away."""
    label = _("Market day %(date)s") % {"date": market_day.date}
    created = call_service(
        services.market_day_create,
        about=label,
        user=user,
        market_id=market.pk,
        date=market_day.date,
        start_time=market_day.start_time,
        end_time=market_day.end_time,
        note=market_day.note,
    )
    if market_day.is_cancelled:
        created = call_service(
            services.market_day_cancel,
            about=label,
            user=user,
            market_id=market.pk,
            market_day_id=created.pk,
        )
    return created


# -- market days -------------------------------------------------------------------------------


CANCEL_DAYS_PAGE_LIST = 20  # days shown, with their bookings, on the cancel page


@admin.register(MarketDay)
class MarketDayAdmin(ScopedModelAdmin):
    list_display = [
        "date",
        "weekday",
        "market",
        "start_time",
        "end_time",
        "status",
        "fill",
        "stall_board",
    ]
    list_filter = [when_filter("date"), market_filter("market"), "status"]
    list_select_related = ["market"]
    search_fields = ["market__name", "note"]
    ordering = ["date", "market__name"]
    actions = ["cancel_market_days", "pause_offers", "resume_offers"]
    inlines = [WaitlistEntryInline, StallOfferInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(*self.list_select_related)
            .annotate(**market_day_fill_counts())
        )

    def get_fields(self, request, obj=None):
        if obj is None:  # a day is scheduled first; cancelling is a change
            return ["market", *services.MARKET_DAY_FIELDS]
        return ["market", *services.MARKET_DAY_FIELDS, "status", "stall_board", "offers_paused"]

    def get_readonly_fields(self, request, obj=None):
        return ["market", "stall_board", "offers_paused"] if obj is not None else []

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if "market" not in initial:
            markets = list(market_list(user=request.user)[:2])
            if len(markets) == 1:
                initial["market"] = markets[0].pk
        return initial

    @admin.display(description=_("day"))
    def weekday(self, market_day):
        return market_day.date.strftime("%A")

    @admin.display(description=_("booked"))
    def fill(self, market_day):
        return f"{market_day.booked_count} / {market_day.stall_count}"

    @admin.display(description=_("stall board"))
    def stall_board(self, market_day):
        url = reverse("admin:stalls_booking_board", args=[market_day.pk])
        return format_html('<a href="{}">{}</a>', url, _("Stall board"))

    def save_model(self, request, obj, form, change):
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data}
            saved = call_service(
                stall_services.market_day_update_with_fees,
                user=request.user,
                market_id=obj.market_id,
                market_day_id=obj.pk,
                **data,
            )
        else:
            saved = _create_market_day(request.user, form.cleaned_data["market"], obj)
        adopt(obj, saved)

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        if formset.model is not WaitlistEntry:  # the offers are read only
            return
        for entry, _changed in formset.changed_objects:
            call_service(
                stall_services.waitlist_entry_set_points,
                about=str(entry.vendor),
                user=request.user,
                market_id=form.instance.market_id,
                market_day_id=form.instance.pk,
                entry_id=entry.pk,
                priority_points=entry.priority_points,
            )

    def delete_model(self, request, obj):
        call_service(
            services.market_day_delete,
            user=request.user,
            market_id=obj.market_id,
            market_day_id=obj.pk,
        )

    def get_deleted_objects(self, objs, request):
        (market_day,) = objs
        bookings = market_day.bookings.count()
        protected = [_("%(count)d bookings") % {"count": bookings}] if bookings else []
        return [str(market_day)], {}, set(), protected

    @admin.action(description=_("Cancel selected market days…"), permissions=["change"])
    def cancel_market_days(self, request, queryset):
        """Asks first: per day, the market's policy for a cancelled day and what it does to
        each booking's fee (credited, refunded, refund due, no longer owed)."""
        if "apply" not in request.POST:
            days = list(queryset.select_related("market")[:CANCEL_DAYS_PAGE_LIST])
            bookings = stall_selectors.active_bookings_of_days(market_days=days)
            context = {
                **self.admin_site.each_context(request),
                "title": _("Cancel market days"),
                "opts": self.opts,
                "days": [
                    (
                        day,
                        day.market.get_cancelled_day_policy_display(),
                        [
                            (
                                booking,
                                stall_services.day_cancellation_note(
                                    booking, day.market.cancelled_day_policy
                                ),
                            )
                            for booking in bookings.get(day.pk, [])
                        ],
                    )
                    for day in days
                ],
                "selected_ids": [day.pk for day in days],
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "marketflow_admin/cancel_market_days.html", context)
        self.run_each(
            request,
            queryset,
            lambda market_day: stall_services.market_day_update_with_fees(
                user=request.user,
                market_id=market_day.market_id,
                market_day_id=market_day.pk,
                status=MarketDay.Status.CANCELLED,
            ),
            done=_("Cancelled {count} market day(s)."),
            not_done=_("{count} market day(s) not cancelled"),
        )

    def _pause_offers_each(self, request, queryset, paused: bool, done: str, not_done: str):
        self.run_each(
            request,
            queryset,
            lambda market_day: stall_services.market_day_offers_pause(
                user=request.user,
                market_id=market_day.market_id,
                market_day_id=market_day.pk,
                paused=paused,
            ),
            done=done,
            not_done=not_done,
        )

    @admin.action(description=_("Pause waitlist offers for selected days"), permissions=["change"])
    def pause_offers(self, request, queryset):
        self._pause_offers_each(
            request,
            queryset,
            True,
            done=_("Paused waitlist offers for {count} market day(s)."),
            not_done=_("{count} market day(s) not paused"),
        )

    @admin.action(
        description=_("Resume waitlist offers for selected days (offers free stalls now)"),
        permissions=["change"],
    )
    def resume_offers(self, request, queryset):
        self._pause_offers_each(
            request,
            queryset,
            False,
            done=_("Resumed waitlist offers for {count} market day(s)."),
            not_done=_("{count} market day(s) not resumed"),
        )

    # -- "add weekly market days"

    def get_urls(self):
        return [
            path(
                "add-weekly/",
                self.admin_site.admin_view(self.add_weekly_view),
                name="marketflow_marketday_add_weekly",
            ),
            *super().get_urls(),
        ]

    def add_weekly_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = WeeklyMarketDaysForm(
            request.POST or None,
            markets=market_list(user=request.user),
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                schedule = services.market_day_create_weekly(
                    user=request.user,
                    market_id=data["market"].pk,
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                    weekdays=data["weekdays"],
                    start_time=data["start_time"],
                    end_time=data["end_time"],
                    note=data["note"],
                )
            except DomainError as error:
                add_domain_error_to_form(form, error)
            else:
                self.message_user(request, weekly_summary(schedule), messages.SUCCESS)
                changelist = reverse("admin:marketflow_marketday_changelist")
                return HttpResponseRedirect(
                    f"{changelist}?when=upcoming&market={data['market'].pk}"
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Add weekly market days"),
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "marketflow_admin/add_weekly.html", context)


def weekly_summary(schedule: services.WeeklySchedule) -> str:
    added = len(schedule.created)
    text = _("Added %(count)d market day(s).") % {"count": added}
    if schedule.skipped_dates:
        dates = ", ".join(date_format(date) for date in schedule.skipped_dates[:10])
        more = len(schedule.skipped_dates) - 10
        if more > 0:
            dates += _(" and %(count)d more") % {"count": more}
        text += " " + _("Skipped %(count)d date(s) that already had one: %(dates)s.") % {
            "count": len(schedule.skipped_dates),
            "dates": dates,
        }
    return text


class WeeklyMarketDaysForm(forms.Form):
    market = forms.ModelChoiceField(queryset=Market.objects.none())
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    start_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, markets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["market"].queryset = markets
        if len(choices := list(markets[:2])) == 1:
            self.fields["market"].initial = choices[0].pk


# -- users -------------------------------------------------------------------------------------


class OrganizerCreationForm(forms.ModelForm):
    password = forms.CharField(widget=forms.PasswordInput, strip=False)

    class Meta:
        model = User
        fields = ["email", "full_name", "plan"]


@admin.register(User)
class UserAdmin(EmailBounceAdminMixin, ServiceWritesMixin, admin.ModelAdmin):
    """Platform staff only: organizers never see other accounts."""

    list_display = [
        "email",
        "email_bounce",
        "full_name",
        "is_organizer",
        "plan",
        "is_staff",
        "is_active",
    ]
    list_filter = [
        "is_organizer",
        "plan",
        "is_staff",
        "is_superuser",
        "is_active",
        EmailBouncedFilter,
    ]
    actions = ["clear_email_bounce"]
    search_fields = ["email", "full_name"]
    ordering = ["email"]
    fields = [
        "email",
        "email_bounce",
        "full_name",
        "is_organizer",
        "plan",
        "is_active",
        "is_staff",
        "last_login",
    ]
    readonly_fields = ["email", "email_bounce", "last_login"]
    show_full_result_count = False

    def get_queryset(self, request):
        return with_email_bounce(super().get_queryset(request))

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False  # accounts own markets (protected); deactivate instead

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = OrganizerCreationForm
            kwargs["fields"] = None
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["email", "full_name", "plan", "password"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # Adding an account here adds an organizer, the one kind made by hand.
        organizer = call_service(
            services.organizer_create,
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
            plan=form.cleaned_data["plan"],
            full_name=form.cleaned_data["full_name"],
        )
        adopt(obj, organizer)
