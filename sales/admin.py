"""The organizer's Payouts page on a market (mixed into the market's admin): each vendor
with the tokens the market owes them, the fees they owe, the net, a form to settle up, and
the settlements made."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from marketflow.currencies import format_money
from marketflow.errors import DomainError
from sales import selectors
from sales.models import Settlement
from sales.settlements import settlement_create

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
