"""The sales report form of the vendor's page and the admin: one amount per currency of the
market, typed in units of its currency, and the reason of a revision."""

from django import forms

from marketflow.forms import MoneyField
from marketflow.models import Market, SalesCurrency
from sales.models import REVISION_REASON_MAX_LENGTH, SalesReport


class SalesReportForm(forms.Form):
    """``market``'s currencies, each an amount (empty: 0); ``report``, when the day is
    reported already, fills them in and makes the reason of the revision required."""

    reason = forms.CharField(
        label="Why are you changing these figures?",
        max_length=REVISION_REASON_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, market: Market, report: SalesReport | None = None, **kwargs):
        initial = report.amounts if report is not None else {}
        super().__init__(*args, initial=initial, **kwargs)
        labels = dict(SalesCurrency.choices)
        reason = self.fields.pop("reason")
        for code in market.sales_currencies:
            self.fields[code] = MoneyField(
                label=labels[code], currency=market.currency, required=False
            )
        if report is not None:
            reason.required = True
            self.fields["reason"] = reason

    def amounts(self) -> dict[str, int]:
        """``{currency: cents}`` of the cleaned form (an empty amount is 0)."""
        return {code: self.cleaned_data[code] or 0 for code in self.fields if code != "reason"}
