"""Sales charts as SVG, drawn on the server: readable without JavaScript, with no chart
library. Each chart is an image (``role="img"``) named by its ``<title>`` and described by
its ``<desc>`` (``aria-labelledby``); each bar carries a ``<title>`` with its value; the
colours are dark enough to read against white (3:1 at least, WCAG's contrast for graphics),
stacked segments are parted by a white line and named in a legend. Presentation attributes
only (``fill="..."``), never ``style``: the CSP allows no inline styles. Pages put an HTML
table with the same figures beside each chart, for screen readers and for copying.

The charts take what ``sales.selectors.shared_summary`` gives: a suppressed group (fewer
than ``MIN_VENDORS`` vendors) is drawn as absent, marked (``SUPPRESSED_MARKS``).
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from marketflow.currencies import format_money, minor_units
from marketflow.models import SalesCurrency
from sales.selectors import COMPLEMENT, FEWER_VENDORS, MIN_VENDORS

# One colour per currency, each at least 4.5:1 against white.
CURRENCY_COLOURS = {
    SalesCurrency.CASH: "#1d6b38",
    SalesCurrency.CARD: "#1f5b9e",
    SalesCurrency.SNAP: "#a3410f",
    SalesCurrency.WIC: "#6b3a96",
    SalesCurrency.MARKET_TOKENS: "#9c1a52",
    SalesCurrency.INCENTIVE: "#4f5a00",
}
GROSS_COLOUR = "#1d6b38"
TEXT_COLOUR = "#333333"
GRID_COLOUR = "#767676"
# Marks of a group not drawn: fewer than MIN_VENDORS vendors; or hidden with such a group,
# which the total less this one would otherwise give back.
SUPPRESSED_MARKS = {FEWER_VENDORS: "<3", COMPLEMENT: "*"}

# Geometry, in the SVG's own units (it scales to its box).
LEFT, RIGHT, TOP = 110, 16, 16
LEGEND_ENTRY, LEGEND_ROW = 120, 20  # a legend entry's width and a row's height
PLOT_HEIGHT = 220
LABEL_SPACE = 96  # below the axis: rotated group labels
SLOT = 44  # width per group
BAR = 28
TICKS = 4


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str


@dataclass(frozen=True)
class Group:
    """One bar: its label and its values by series key; or None, and why (a reason of
    ``sales.selectors``), when suppressed."""

    label: str
    values: dict[str, int] | None
    suppressed_reason: str | None = None

    @classmethod
    def of(cls, label: str, group: dict, values) -> "Group":
        if group["suppressed"]:
            return cls(label, None, group["suppressed_reason"])
        return cls(label, values(group))


def nice_top(largest: int, currency: str) -> int:
    """The axis's top (cents): a round number of currency units (1, 2 or 5 × 10^n) at least
    ``largest`` when divided in ``TICKS`` steps."""
    unit = 10 ** minor_units(currency)
    if largest <= 0:
        return TICKS * unit
    raw_step = largest / TICKS / unit
    magnitude = 10 ** math.floor(math.log10(raw_step)) if raw_step >= 1 else 1
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw_step:
            return int(factor * magnitude * TICKS * unit)
    raise AssertionError("unreachable")  # pragma: no cover


def _number(value: float) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01')).normalize():f}"


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    series: list[Series],
    groups: list[Group],
    currency: str,
) -> SafeString:
    """A bar chart (stacked when ``series`` has several), one bar per group, with a money
    axis, a legend, and a ``<title>`` on each segment naming the group, series and value."""
    largest = max((sum(group.values.values()) for group in groups if group.values), default=0)
    top = nice_top(largest, currency)
    width = LEFT + max(len(groups), 4) * SLOT + RIGHT
    per_row = max(1, (width - LEFT - RIGHT) // LEGEND_ENTRY)
    legend_height = math.ceil(len(series) / per_row) * LEGEND_ROW + 8
    base = TOP + legend_height + PLOT_HEIGHT
    height = base + LABEL_SPACE
    # Numbers need no escaping; every text goes through escape(). Built with f-strings, not
    # format_html per element: a chart has hundreds of them.
    parts = []
    for tick in range(TICKS + 1):
        y = base - PLOT_HEIGHT * tick / TICKS
        money = escape(format_money(top * tick // TICKS, currency))
        parts.append(
            f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{_number(y)}" y2="{_number(y)}" '
            f'stroke="{GRID_COLOUR}" stroke-width="{1 if tick == 0 else 0.5}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{_number(y + 4)}" text-anchor="end" '
            f'font-size="12" fill="{TEXT_COLOUR}">{money}</text>'
        )
    for index, group in enumerate(groups):
        x = _number(LEFT + index * SLOT + (SLOT - BAR) / 2)
        centre = _number(LEFT + index * SLOT + SLOT / 2)
        label = escape(group.label)
        parts.append(
            f'<text x="{centre}" y="{base + 14}" font-size="11" fill="{TEXT_COLOUR}" '
            f'text-anchor="end" transform="rotate(-45 {centre} {base + 14})">{label}</text>'
        )
        if group.values is None:
            why = (
                _("%(group)s: fewer than %(count)s vendors reported, not shown")
                if group.suppressed_reason == FEWER_VENDORS
                else _("%(group)s: not shown, or the total would give away a smaller group")
            )
            why = escape(why % {"group": group.label, "count": MIN_VENDORS})
            mark = escape(SUPPRESSED_MARKS[group.suppressed_reason])
            parts.append(
                f'<text x="{centre}" y="{base - 4}" font-size="11" fill="{TEXT_COLOUR}" '
                f'text-anchor="middle" class="suppressed"><title>{why}</title>{mark}</text>'
            )
            continue
        y = base
        for one in series:
            value = group.values.get(one.key, 0)
            if not value:
                continue
            bar_height = PLOT_HEIGHT * value / top
            y -= bar_height
            bar_title = escape(f"{group.label}, {one.label}: {format_money(value, currency)}")
            parts.append(
                f'<rect class="bar" data-group="{label}" data-series="{escape(one.key)}" '
                f'x="{x}" y="{_number(y)}" width="{BAR}" height="{_number(bar_height)}" '
                f'fill="{one.colour}" stroke="#ffffff" stroke-width="1">'
                f"<title>{bar_title}</title></rect>"
            )
    legend = "".join(
        f'<rect x="{LEFT + position % per_row * LEGEND_ENTRY}" '
        f'y="{TOP + position // per_row * LEGEND_ROW}" width="12" height="12" '
        f'fill="{one.colour}"/><text x="{LEFT + position % per_row * LEGEND_ENTRY + 16}" '
        f'y="{TOP + position // per_row * LEGEND_ROW + 11}" font-size="12" '
        f'fill="{TEXT_COLOUR}">{escape(one.label)}</text>'
        for position, one in enumerate(series)
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        'width="{width}" height="{height}" role="img" aria-labelledby="{id}-title {id}-desc" '
        'id="{id}" class="mf-chart-svg" font-family="sans-serif">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        '<g class="legend">{legend}</g>{parts}</svg>',
        width=width,
        height=height,
        id=chart_id,
        title=title,
        desc=description,
        legend=mark_safe(legend),  # numbers and escaped text only, as the parts
        parts=mark_safe("".join(parts)),
    )


MARK_NAMES = {
    "few": f"“{SUPPRESSED_MARKS[FEWER_VENDORS]}”",
    "other": f"“{SUPPRESSED_MARKS[COMPLEMENT]}”",
}


def currency_series(currencies: list[str]) -> list[Series]:
    labels = dict(SalesCurrency.choices)
    return [Series(code, str(labels[code]), CURRENCY_COLOURS[code]) for code in currencies]


def days_chart(summary: dict) -> SafeString:
    """Gross per market day, stacked by currency: the trend over the period."""
    market = summary["market"]
    currencies = summary["currencies"]
    return bar_chart(
        chart_id="sales-days-chart",
        title=_("Gross sales per market day, by currency"),
        description=_(
            "One bar per market day, its segments the currencies. Days marked %(few)s had "
            "fewer than %(count)s vendors reporting, and days marked %(other)s would give "
            "them away: neither is shown. The table below has the same figures."
        )
        % {**MARK_NAMES, "count": MIN_VENDORS},
        series=currency_series(currencies),
        groups=[
            Group.of(
                date_format(day["date"]),
                day,
                lambda day: {code: day["amounts"][code] for code in currencies},
            )
            for day in summary["days"]
        ],
        currency=market.currency,
    )


def categories_chart(summary: dict) -> SafeString:
    """Gross per product category (each vendor in their first category)."""
    return bar_chart(
        chart_id="sales-categories-chart",
        title=_("Gross sales per product category"),
        description=_(
            "One bar per category; each vendor counts in their first category only. "
            "Categories marked %(few)s had fewer than %(count)s vendors reporting, and those "
            "marked %(other)s would give them away: neither is shown. The table below has "
            "the same figures."
        )
        % {**MARK_NAMES, "count": MIN_VENDORS},
        series=[Series("gross", _("Gross sales"), GROSS_COLOUR)],
        groups=[
            Group.of(category["label"], category, lambda group: {"gross": group["gross_cents"]})
            for category in summary["categories"]
        ],
        currency=summary["market"].currency,
    )
