"""Currencies and money: the active ISO 4217 codes (fund and precious-metal codes left out),
their minor units, and the one way amounts are shown (``format_money``), exported
(``money_amount``) and typed in (``parse_money``). Amounts are stored as integers of the
currency's minor unit ("cents"); people read and type them in currency units."""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ISO_4217_CODES = frozenset(
    {
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    }
)

# ISO 4217 currencies whose minor unit is not a hundredth of the main unit.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND"}
    | {"VUV", "XAF", "XOF", "XPF"}
)
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})

# The largest amount a PositiveIntegerField of cents holds on every database.
MAX_CENTS = 2_147_483_647

# 25 · 25.5 · 25.00 · 1,250.00 · .50, with an optional leading currency sign typed out of habit.
AMOUNT_PATTERN = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?$")
CURRENCY_SIGNS = "$€£¥₩₹₽₺₴₦₱₪฿₫"


def minor_units(currency: str) -> int:
    """Decimal places of ``currency``: 2 for USD (cents), 0 for JPY, 3 for KWD."""
    if currency in ZERO_DECIMAL_CURRENCIES:
        return 0
    if currency in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def money_amount(cents: int, currency: str) -> str:
    """The amount alone, as a spreadsheet reads it: ``25.00`` (``2500`` for JPY)."""
    places = minor_units(currency)
    return f"{Decimal(cents).scaleb(-places):.{places}f}"


def format_money(cents: int | None, currency: str, *, empty: str = "") -> str:
    """``25.00 EUR``, ``1,250.00 USD``, ``2,500 JPY``: every amount a person reads (admin,
    board, day sheet, statements, portal, e-mails, history) is written by this function."""
    if cents is None:
        return empty
    places = minor_units(currency)
    return f"{Decimal(cents).scaleb(-places):,.{places}f} {currency}"


def parse_money(text: str, currency: str) -> int:
    """The cents of an amount a person typed in units of ``currency`` (``25``, ``25.00``,
    ``$1,250.50``, ``25 USD``); ValidationError for anything else, negative amounts and more
    decimals than the currency has."""
    value = text.strip().replace("\u00a0", " ")
    value = value.removesuffix(currency).removesuffix(currency.lower()).strip()
    value = value.lstrip(CURRENCY_SIGNS).strip()
    if value.startswith("-") or value.startswith("\u2212"):
        raise ValidationError(_("Enter an amount of 0 or more."), code="negative_amount")
    if not value or not AMOUNT_PATTERN.match(value):
        raise ValidationError(
            _("Enter an amount in %(currency)s, like %(example)s.")
            % {"currency": currency, "example": f"{Decimal(25):.{minor_units(currency)}f}"},
            code="invalid_amount",
        )
    try:
        amount = Decimal(value.replace(",", ""))
    except InvalidOperation:  # the pattern admits only digits, commas and one point
        raise ValidationError(_("Enter a number."), code="invalid_amount") from None
    places = minor_units(currency)
    cents = amount.scaleb(places)
    if cents != cents.to_integral_value():
        raise ValidationError(
            _("%(currency)s amounts have at most %(places)d decimal places.")
            % {"currency": currency, "places": places}
            if places
            else _("%(currency)s amounts have no decimal places.") % {"currency": currency},
            code="too_many_decimals",
        )
    if cents > MAX_CENTS:
        raise ValidationError(
            _("Enter an amount of at most %(amount)s.")
            % {"amount": format_money(MAX_CENTS, currency)},
            code="amount_too_large",
        )
    return int(cents)
