"""The sales summary as a CSV for funders: one row per market day, per season, per product
category, and the period's total, amounts in units of the market's currency
(``money_amount``). It is shared beyond the organizer, so it is built from
``shared_summary``: a suppressed group has its amounts empty and ``suppressed`` says why.
Cells go through ``csv_response`` (``csv_cell``: no formulas)."""

from marketflow.currencies import money_amount
from sales.selectors import COMPLEMENT, FEWER_VENDORS, MIN_VENDORS

# The ``suppressed`` column: why a row's amounts are empty.
SUPPRESSED_TEXT = {
    FEWER_VENDORS: f"fewer than {MIN_VENDORS} vendors",
    COMPLEMENT: "would give away a smaller group",
}


def summary_csv_header(summary: dict) -> list[str]:
    return [
        "row",
        "date",
        "season",
        "category",
        "vendors_booked",
        "vendors_reporting",
        "vendor_days",
        *summary["currencies"],
        "gross",
        "tokens",
        "average_per_vendor_day",
        "currency",
        "suppressed",
    ]


def summary_csv_rows(summary: dict):
    """The rows of ``summary_csv_header``; ``summary`` must come from ``shared_summary``."""
    currency = summary["market"].currency

    def money(cents):
        return "" if cents is None else money_amount(cents, currency)

    def figures(group):
        amounts = group["amounts"] or {}
        return [
            group["vendors"],
            group["reports"],
            *(money(amounts.get(code)) for code in summary["currencies"]),
            money(group["gross_cents"]),
            money(group["tokens_cents"]),
            money(group["average_cents"]),
            currency,
            SUPPRESSED_TEXT.get(group["suppressed_reason"], ""),
        ]

    for day in summary["days"]:
        yield ["day", day["date"].isoformat(), "", "", day["booked"], *figures(day)]
    for season in summary["seasons"]:
        yield ["season", "", season["name"], "", "", *figures(season)]
    for category in summary["categories"]:
        yield ["category", "", "", category["label"], "", *figures(category)]
    yield ["total", "", "", "", "", *figures(summary["total"])]
