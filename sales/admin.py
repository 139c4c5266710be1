"""Sales reports in the admin: the organizer's read-only list of their markets' reports
(filters by market and market day), and the form that enters or revises a vendor's report
from a paper slip or a correction (through ``sales_report_submit``, as organizer)."""

import uuid

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
from sales.models import SalesReport, currency_lines

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
