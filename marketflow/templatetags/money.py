"""``{{ booking.fee_cents|money:market.currency }}`` → ``25.00 EUR`` (``format_money``)."""

from django import template

from marketflow.currencies import format_money

register = template.Library()


@register.filter
def money(cents: int | None, currency: str) -> str:
    return format_money(cents, currency)
