"""Sales in the admin: the organizer's read-only list of their markets' reports (filters by
market and market day), the form that enters or revises a vendor's report from a paper slip
or a correction (through ``sales_report_submit``, as organizer); and the Payouts page on a
market (mixed into the market's admin): each vendor with the tokens the market owes them, the
fees they owe, the net, a form to settle up, and the settlements made."""

import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from marketflow.admin_base import ScopedModelAdmin, ViewOnlyMixin, market_filter, person
from marketflow.currencies import format_money
from marketflow.errors import DomainError
from marketflow.forms import add_domain_error_to_form
from marketflow.models import MarketDay, SalesCurrency
from marketflow.pages import posted
from marketflow.selectors import market_list
from sales import selectors, services
from sales.errors import SalesBookingNotFoundError
from sales.forms import SalesReportForm
from sales.models import SalesReport, Settlement, currency_lines
from sales.settlements import settlement_create

# The market days a filter offers: the latest of the user's markets.
MARKET_DAY_CHOICES = 30


class MarketDayFilter(admin.SimpleListFilter):
    """The user's latest market days that have begun; any of their days by id in the URL
    (the stall board links its day's reports)."""

    title = _("market day")
    parameter_name = "market_day"

    def lookups(self, request, model_admin):
        days = (
            MarketDay.objects.filter(
                market__in=market_list(user=request.user), date__lte=timezone.now().date()
            )
            .select_related("market")
            .order_by("-date", "market__name")[:MARKET_DAY_CHOICES]
        )
        return [(str(day.pk), str(day)) for day in days]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:
            return queryset.filter(market_day_id=uuid.UUID(self.value()))
        except ValueError:
            return queryset.none()


def _money(field: str, label: str):
    @admin.display(description=label, ordering=field)
    def show(self, report):
        return format_money(getattr(report, field), report.market.currency)

    return show


@admin.register(SalesReport)
class SalesReportAdmin(ViewOnlyMixin, ScopedModelAdmin):
    """Figures are written through the service only (the enter view): no add or change page."""

    list_display = ["market_day", "vendor", "gross", "tokens", "late", "revised_at", "revise"]
    list_filter = [market_filter("market"), MarketDayFilter, "late"]
    list_select_related = ["market", "market_day__market", "vendor", "booking"]
    search_fields = ["vendor__business_name"]
    search_help_text = _("Business name.")
    ordering = ["-market_day__date", "vendor__business_name"]
    fields = [
        "market_day",
        "vendor",
        "gross",
        "cash",
        "card",
        "snap",
        "wic",
        "market_tokens",
        "incentive",
        "late",
        "reported_by_person",
        "created_at",
        "revised_at",
        "sales_fee",
        "revision_history",
        "revise",
    ]
    readonly_fields = fields

    gross = _money("gross_cents", _("gross sales"))
    cash = _money("cash_cents", SalesCurrency.CASH.label)
    card = _money("card_cents", SalesCurrency.CARD.label)
    snap = _money("snap_cents", SalesCurrency.SNAP.label)
    wic = _money("wic_cents", SalesCurrency.WIC.label)
    market_tokens = _money("market_tokens_cents", SalesCurrency.MARKET_TOKENS.label)
    incentive = _money("incentive_cents", SalesCurrency.INCENTIVE.label)

    @admin.display(description=_("tokens owed"))
    def tokens(self, report):
        return format_money(report.tokens_cents, report.market.currency)

    @admin.display(description=_("reported by"))
    def reported_by_person(self, report):
        return person(report.reported_by)

    @admin.display(description=_("sales fee"))
    def sales_fee(self, report):
        booking = report.booking
        if not booking.sales_fee_note:
            return "–"
        money = format_money(booking.sales_fee_cents, report.market.currency)
        return f"{money}: {booking.sales_fee_note}"

    @admin.display(description=_("earlier figures"))
    def revision_history(self, report):
        lines = [
            f"{date_format(revision.created_at, 'SHORT_DATETIME_FORMAT')}: "
            f"{format_money(revision.gross_cents, report.market.currency)} ({revision.reason})"
            for revision in report.revisions.order_by("-created_at", "-id")
        ]
        return "; ".join(lines) or "–"

    @admin.display(description=_("enter or revise"))
    def revise(self, report):
        url = reverse("admin:sales_salesreport_enter", args=[report.booking_id])
        return format_html('<a href="{}">{}</a>', url, _("Revise…"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("enter/<uuid:booking_id>/", view(self.enter_view), name="sales_salesreport_enter"),
            *super().get_urls(),
        ]

    def enter_view(self, request, booking_id):
        """The organizer enters a booked day's sales (a paper slip) or revises them with a
        reason, at any time until the day is settled; refusals are messages and field
        errors, and the day's stall board is where it returns."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            booking = selectors.organizer_sales_booking_get(
                user=request.user, booking_id=booking_id
            )
        except SalesBookingNotFoundError:
            raise Http404(_("No booking matches the given query.")) from None
        market = booking.market_day.market
        report = getattr(booking, "sales_report", None)
        form = SalesReportForm(**posted(request), market=market, report=report)
        board_url = reverse("admin:stalls_booking_board", args=[booking.market_day_id])
        if request.method == "POST" and form.is_valid():
            try:
                saved = services.sales_report_submit(
                    user=request.user,
                    booking_id=booking.pk,
                    amounts=form.amounts(),
                    reason=form.cleaned_data.get("reason", ""),
                    as_organizer=True,
                )
            except DomainError as error:
                add_domain_error_to_form(form, error)
                messages.error(request, error.message)
            else:
                gross = format_money(saved.gross_cents, market.currency)
                done = _("revised") if report else _("entered")
                messages.success(
                    request,
                    _("Sales of %(vendor)s %(done)s: %(gross)s.")
                    % {"vendor": booking.vendor.business_name, "done": done, "gross": gross},
                )
                return HttpResponseRedirect(board_url)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Sales of %(vendor)s, %(day)s")
            % {"vendor": booking.vendor.business_name, "day": booking.market_day},
            "opts": self.opts,
            "booking": booking,
            "market": market,
            "report": report,
            "figures": [
                (label, format_money(cents, market.currency))
                for label, cents in currency_lines(report.amounts, market.sales_currencies)
            ]
            if report
            else [],
            "gross": format_money(report.gross_cents, market.currency) if report else "",
            "form": form,
            "board_url": board_url,
        }
        return TemplateResponse(request, "marketflow_admin/sales_report_enter.html", context)


# -- payouts --------------------------------------------------------------------------------

# The settlements listed under the payouts, latest first.
SETTLEMENT_HISTORY_ROWS = 100


class SettleForm(forms.Form):
    vendor = forms.UUIDField(widget=forms.HiddenInput)
    expected_net_cents = forms.IntegerField(widget=forms.HiddenInput)
    method = forms.ChoiceField(label=_("How"), choices=Settlement.Method.choices)
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=Settlement._meta.get_field("reference").max_length,
    )


def net_text(net_cents: int, currency: str) -> str:
    """Who pays whom, in words."""
    if net_cents > 0:
        return _("The market pays %(amount)s") % {"amount": format_money(net_cents, currency)}
    if net_cents < 0:
        return _("The vendor owes %(amount)s") % {"amount": format_money(-net_cents, currency)}
    return _("Even: nothing to pay either way")


class PayoutsAdminMixin:
    """Needs ``FeeStatementsAdminMixin`` (stalls.admin) for ``_fees_market`` and
    ``_fees_context``."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<uuid:market_id>/payouts/",
                view(self.payouts_view),
                name="marketflow_market_payouts",
            ),
            *super().get_urls(),
        ]

    def payouts_view(self, request, market_id):
        market = self._fees_market(request, market_id)
        can_change = self.has_change_permission(request, market)
        if request.method == "POST":
            if not can_change:
                raise PermissionDenied
            self._settle(request, market, SettleForm(request.POST))
            return HttpResponseRedirect(request.path)
        rows = selectors.market_payouts(market=market)
        for row in rows:
            row["net_text"] = net_text(row["net_cents"], market.currency)
            row["form"] = SettleForm(
                initial={
                    "vendor": row["vendor_id"],
                    "expected_net_cents": row["net_cents"],
                    "method": Settlement.Method.CASH
                    if row["net_cents"]
                    else Settlement.Method.NONE,
                },
                auto_id=f"id_%s_{row['vendor_id']}",  # one form per vendor: ids of its own
            )
        context = {
            **self._fees_context(request, market, _("Payouts: %(market)s") % {"market": market}),
            "rows": rows,
            "settlements": selectors.settlement_list(market=market)[:SETTLEMENT_HISTORY_ROWS],
            "history_rows": SETTLEMENT_HISTORY_ROWS,
            "can_change": can_change,
        }
        return TemplateResponse(request, "marketflow_admin/payouts.html", context)

    def _settle(self, request, market, form: SettleForm) -> None:
        if not form.is_valid():
            self.message_user(
                request,
                _("Not settled: %(errors)s")
                % {"errors": " ".join(m for errors in form.errors.values() for m in errors)},
                messages.ERROR,
            )
            return
        data = form.cleaned_data
        try:
            settlement = settlement_create(
                user=request.user,
                market_id=market.pk,
                vendor_id=data["vendor"],
                method=data["method"],
                reference=data["reference"],
                expected_net_cents=data["expected_net_cents"],
            )
        except DomainError as error:
            self.message_user(request, _("Not settled: %s") % error.message, messages.ERROR)
            return
        self.message_user(
            request,
            _("Settled with %(vendor)s: %(net)s.")
            % {
                "vendor": settlement.vendor.business_name,
                "net": net_text(settlement.net_cents, market.currency),
            },
            messages.SUCCESS,
        )
