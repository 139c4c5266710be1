"""``{{ booking.fee_cents|money:market.currency }}`` → ``25.00 EUR``."""

from django import template

register = template.Library()

# ISO 4217 currencies without minor units: their amounts are stored as whole units.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND"}
    | {"VUV", "XAF", "XOF", "XPF"}
)


@register.filter
def money(cents: int | None, currency: str) -> str:
    if cents is None:
        return ""
    if currency in ZERO_DECIMAL_CURRENCIES:
        return f"{cents:,} {currency}"
    return f"{cents / 100:,.2f} {currency}"
