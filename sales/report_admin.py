"""The market's "Sales" page in the admin (mixed into the market's admin,
``marketflow.admin.MarketAdmin``): a period (a season, dates), the charts of the shared
summary with a table of the same figures beside each, vendors reporting against vendors
booked per day, each vendor's figures for the organizer alone, and the funders' CSV."""

from django import forms
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from marketflow.admin_base import csv_response
from marketflow.currencies import format_money
from marketflow.errors import DomainError
from marketflow.forms import add_domain_error_to_form
from marketflow.models import Market, SalesCurrency
from sales import charts, selectors
from sales.exports import summary_csv_header, summary_csv_rows
from sales.selectors import MIN_VENDORS
from seasons.models import Season


class SalesPeriodForm(forms.Form):
    season = forms.ModelChoiceField(
        queryset=Season.objects.none(), required=False, empty_label=_("All days")
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, market: Market, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["season"].queryset = Season.objects.filter(market=market)


def _with_cells(groups: list[dict], currencies: list[str], currency: str) -> list[dict]:
    """Each group with ``cells``, the ``<td>``s of its amounts in the order of
    ``currencies``, then gross and tokens, written as money; one cell saying why when the
    group is suppressed (spanning ``len(currencies) + 2`` columns). Built here rather than
    cell by cell in the template (or by format_html): a page has hundreds of them."""
    span = len(currencies) + 2
    why = {
        selectors.FEWER_VENDORS: _("fewer than %(count)s vendors") % {"count": MIN_VENDORS},
        selectors.COMPLEMENT: _("not shown: it would give away a smaller group"),
    }
    rows = []
    for group in groups:
        if group["suppressed"]:
            cells = format_html(
                '<td colspan="{}" class="suppressed">{}</td>', span, why[group["suppressed_reason"]]
            )
        else:
            amounts = (
                *(group["amounts"][code] for code in currencies),
                group["gross_cents"],
                group["tokens_cents"],
            )
            cells = mark_safe(  # escaped text only
                "".join(
                    f'<td class="amount">{escape(format_money(c, currency))}</td>' for c in amounts
                )
            )
        rows.append({**group, "cells": cells})
    return rows


class SalesAdminMixin:
    """Needs the market's admin's ``_fees_market`` and ``_fees_context`` (the fee pages'
    mixin): the same market lookup and page context."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<uuid:market_id>/sales/", view(self.sales_view), name="marketflow_market_sales"),
            path(
                "<uuid:market_id>/sales.csv",
                view(self.sales_csv_view),
                name="marketflow_market_sales_csv",
            ),
            *super().get_urls(),
        ]

    def _sales_period(self, request, market: Market) -> tuple[SalesPeriodForm, object]:
        """The period the form asks for, checked by the selector (a refusal goes on the
        form); every day of the market until the form is valid."""
        form = SalesPeriodForm(request.GET or None, market=market)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                period = selectors.sales_period(
                    market=market,
                    season_id=data["season"].pk if data["season"] else None,
                    date_from=data["date_from"],
                    date_to=data["date_to"],
                )
            except DomainError as error:
                add_domain_error_to_form(form, error)
            else:
                return form, period
        return form, selectors.SalesPeriod()

    def sales_view(self, request, market_id):
        market = self._fees_market(request, market_id)
        form, period = self._sales_period(request, market)
        summary = selectors.sales_summary(market=market, period=period)
        shared = selectors.shared_summary(summary)
        currencies, currency = shared["currencies"], market.currency
        labels = dict(SalesCurrency.choices)
        query = request.GET.urlencode()
        csv_url = reverse("admin:marketflow_market_sales_csv", args=[market.pk])
        context = {
            **self._fees_context(request, market, _("Sales: %(market)s") % {"market": market}),
            "form": form,
            "currency_labels": [labels[code] for code in currencies],
            "days": _with_cells(shared["days"], currencies, currency),
            "seasons": _with_cells(shared["seasons"], currencies, currency),
            "categories": _with_cells(shared["categories"], currencies, currency),
            "total": _with_cells([shared["total"]], currencies, currency)[0],
            "vendors": _with_cells(
                selectors.sales_by_vendor(market=market, period=period), currencies, currency
            ),
            "days_chart": charts.days_chart(shared),
            "categories_chart": charts.categories_chart(shared),
            "min_vendors": MIN_VENDORS,
            "csv_url": f"{csv_url}?{query}" if query else csv_url,
        }
        return TemplateResponse(request, "marketflow_admin/sales.html", context)

    def sales_csv_view(self, request, market_id):
        market = self._fees_market(request, market_id)
        _form, period = self._sales_period(request, market)
        shared = selectors.shared_summary(selectors.sales_summary(market=market, period=period))
        return csv_response(
            f"sales-{market.slug}.csv", summary_csv_header(shared), summary_csv_rows(shared)
        )
