"""Reads of sales reports for the organizer: a market's figures per market day, per season
and per product category, with totals by currency, over a period (a season, a date range, or
both); the reports one by one; and the privacy rule that decides what may be shown beyond
the organizer (``shared_summary``).

Every figure is aggregated in SQL (``Sum``/``Count`` over ``values()``): a summary costs the
same few queries whatever the number of days, vendors and reports.
"""

import datetime
from dataclasses import dataclass
from uuid import UUID

from django.db.models import Count, F, OuterRef, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import gettext_lazy as _

from marketflow.models import TOKEN_CURRENCIES, Market, MarketDay, ProductCategory, SalesCurrency
from marketflow.selectors import subquery_count
from sales.errors import SalesPeriodInvalidError, SalesSeasonUnknownError
from sales.models import SalesReport, amount_field
from seasons.models import Season
from stalls.models import ACTIVE, Booking

# The privacy rule: a group's amounts are shown beyond the organizer only when at least this
# many vendors reported in it (``shared_summary``).
MIN_VENDORS = 3
NO_SEASON = _("Days outside any season")
# Why a group shows no amounts: too few vendors, or it would give such a group back.
FEWER_VENDORS, COMPLEMENT = "fewer_vendors", "complement"


@dataclass(frozen=True)
class SalesPeriod:
    """The market days a summary covers: a season's, those within ``date_from``..``date_to``
    (both included), or both at once. All three empty: every day of the market."""

    season: Season | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None

    def day_filter(self, prefix: str = "") -> Q:
        """The condition on a market day (reached through ``prefix``) to be in the period."""
        condition = Q()
        if self.season is not None:
            condition &= Q(**{f"{prefix}season_day__season": self.season})
        if self.date_from is not None:
            condition &= Q(**{f"{prefix}date__gte": self.date_from})
        if self.date_to is not None:
            condition &= Q(**{f"{prefix}date__lte": self.date_to})
        return condition


def sales_period(
    *,
    market: Market,
    season_id: UUID | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> SalesPeriod:
    """The period of ``market``: ``season_id`` must be one of its seasons
    (``SalesSeasonUnknownError``), and ``date_from`` not after ``date_to``
    (``SalesPeriodInvalidError``)."""
    if date_from is not None and date_to is not None and date_from > date_to:
        raise SalesPeriodInvalidError(extra={"from": str(date_from), "to": str(date_to)})
    season = None
    if season_id is not None:
        season = Season.objects.filter(market=market, pk=season_id).first()
        if season is None:
            raise SalesSeasonUnknownError(extra={"season": str(season_id)})
    return SalesPeriod(season=season, date_from=date_from, date_to=date_to)


def _amount_sums(prefix: str = "") -> dict:
    """``Sum`` of each currency's column (reached through ``prefix``), named by its code."""
    return {code: Sum(f"{prefix}{amount_field(code)}", default=0) for code in SalesCurrency.values}


def _figures(row: dict, vendors: int, reports: int) -> dict:
    """A group's figures from a row of ``_amount_sums``: ``amounts`` by currency, gross,
    tokens, and how many vendors and reports (vendor-days) they sum."""
    amounts = {code: row[code] for code in SalesCurrency.values}
    return {
        "vendors": vendors,
        "reports": reports,
        "amounts": amounts,
        "gross_cents": sum(amounts.values()),
        "tokens_cents": sum(amounts[code] for code in TOKEN_CURRENCIES),
        "average_cents": sum(amounts.values()) // reports if reports else None,
        "suppressed": False,
        "suppressed_reason": None,
    }


def _reports(market: Market, period: SalesPeriod) -> QuerySet[SalesReport]:
    return SalesReport.objects.filter(market=market).filter(period.day_filter("market_day__"))


def sales_summary(*, market: Market, period: SalesPeriod) -> dict:
    """What ``market``'s vendors reported over ``period``, for the organizer's eyes:

    - ``days``: each market day of the period that has taken place (cancelled days left out)
      or has reports, by date: vendors booked (active bookings), vendors reporting, and
      their figures;
    - ``seasons``: the same summed per season (days outside any season as one row), with the
      average per vendor-day;
    - ``categories``: per product category, each vendor counted in their first category
      only, so that the rows add up to the total;
    - ``total``: the whole period, vendors counted once;
    - ``currencies``: the columns to show: the market's currencies and any other that was
      reported in the period.

    Four queries at most, whatever the rows. Anything shown beyond the organizer goes through
    ``shared_summary``."""
    reports = _reports(market, period)
    day_rows = (
        MarketDay.objects.filter(market=market)
        .filter(period.day_filter())
        .filter(
            Q(date__lte=market.today(), status=MarketDay.Status.SCHEDULED)
            | Q(sales_reports__isnull=False)
        )
        .values("id", "date", season_id=F("season_day__season"))
        .annotate(
            booked=subquery_count(Booking.objects.filter(ACTIVE, market_day=OuterRef("pk"))),
            reporting=Count("sales_reports"),
            **_amount_sums("sales_reports__"),
        )
        .order_by("date")
    )
    # A day has at most one report per vendor (one booking each), so its reports count its
    # vendors; seasons, categories and the total count vendors distinctly.
    days = [
        {
            "market_day_id": row["id"],
            "date": row["date"],
            "season_id": row["season_id"],
            "booked": row["booked"],
            **_figures(row, row["reporting"], row["reporting"]),
        }
        for row in day_rows
    ]
    season_rows = (
        reports.values(
            season_id=F("market_day__season_day__season"),
            name=F("market_day__season_day__season__name"),
            start=F("market_day__season_day__season__start_date"),
        )
        .annotate(
            vendor_count=Count("vendor", distinct=True), report_count=Count("id"), **_amount_sums()
        )
        .order_by(F("start").asc(nulls_last=True), "name")
    )
    seasons = [
        {
            "season_id": row["season_id"],
            "name": row["name"] or NO_SEASON,
            **_figures(row, row["vendor_count"], row["report_count"]),
        }
        for row in season_rows
    ]
    category_rows = (
        reports.annotate(category=KeyTextTransform("0", "vendor__product_categories"))
        .values("category")
        .annotate(
            vendor_count=Count("vendor", distinct=True), report_count=Count("id"), **_amount_sums()
        )
        .order_by("category")
    )
    labels = dict(ProductCategory.choices)
    categories = [
        {
            "category": row["category"],
            "label": str(labels.get(row["category"], row["category"])),
            **_figures(row, row["vendor_count"], row["report_count"]),
        }
        for row in category_rows
    ]
    # Each vendor is in one category: the categories add up to the total, vendors included.
    total = _figures(
        {code: sum(row["amounts"][code] for row in categories) for code in SalesCurrency.values},
        sum(row["vendors"] for row in categories),
        sum(row["reports"] for row in categories),
    )
    # Who reported on the days with too few vendors to show: the privacy rule needs to know
    # whether those days together hold enough distinct vendors (at most 2 rows a day).
    small_days = [day["market_day_id"] for day in days if 0 < day["vendors"] < MIN_VENDORS]
    small_day_vendors = {}
    for market_day_id, vendor_id in reports.filter(market_day__in=small_days).values_list(
        "market_day_id", "vendor_id"
    ):
        small_day_vendors.setdefault(market_day_id, set()).add(vendor_id)
    reported = {code for code in SalesCurrency.values if total["amounts"][code]}
    return {
        "market": market,
        "period": period,
        "currencies": [
            code
            for code in SalesCurrency.values
            if code in market.sales_currencies or code in reported
        ],
        "days": days,
        "seasons": seasons,
        "categories": categories,
        "total": total,
        "small_day_vendors": small_day_vendors,
    }


def _suppress(group: dict, reason: str = FEWER_VENDORS) -> dict:
    return {
        **group,
        "amounts": None,
        "gross_cents": None,
        "tokens_cents": None,
        "average_cents": None,
        "suppressed": True,
        "suppressed_reason": reason,
    }


def shareable(groups: list[dict], vendors_of) -> list[dict]:
    """The privacy rule, the one place it lives: ``groups`` (sibling groups that add up to
    a published total) with the amounts of every group of fewer than ``MIN_VENDORS``
    reporting vendors removed (``suppressed``, reason ``FEWER_VENDORS``).
    ``vendors_of(group)`` is the set of the group's vendors, asked only of those groups.

    Removing them is not enough when the total stays published: the total less the others
    would give them back. So when the removed groups together hold fewer than
    ``MIN_VENDORS`` distinct vendors, the smallest group shown is removed too (reason
    ``COMPLEMENT``; it holds at least ``MIN_VENDORS``, so what can be worked out then sums
    enough vendors)."""
    small = [i for i, group in enumerate(groups) if 0 < group["vendors"] < MIN_VENDORS]
    hidden_vendors = set().union(*(vendors_of(groups[i]) for i in small)) if small else set()
    complement = None
    if small and len(hidden_vendors) < MIN_VENDORS:
        shown = [i for i, group in enumerate(groups) if group["vendors"] >= MIN_VENDORS]
        if shown:
            complement = min(shown, key=lambda i: (groups[i]["gross_cents"], i))
    return [
        _suppress(group)
        if i in small
        else _suppress(group, COMPLEMENT)
        if i == complement
        else group
        for i, group in enumerate(groups)
    ]


def shared_summary(summary: dict) -> dict:
    """``summary`` as it may be shown beyond the organizer (charts and their tables, the
    summary API, the CSV for funders), by the rule of ``shareable``: seasons against the
    total, each season's days against the season (all of them hidden when the season is),
    categories against the total; nothing at all if the whole period had fewer than
    ``MIN_VENDORS`` vendors. Counts of vendors stay."""
    if summary["total"]["vendors"] < MIN_VENDORS:
        return {
            **summary,
            **{
                name: [_suppress(group) if group["vendors"] else group for group in summary[name]]
                for name in ("days", "seasons", "categories")
            },
            "total": _suppress(summary["total"])
            if summary["total"]["vendors"]
            else summary["total"],
        }
    day_vendors = summary["small_day_vendors"]
    days_of_season: dict = {}
    for index, day in enumerate(summary["days"]):
        days_of_season.setdefault(day["season_id"], []).append(index)

    def season_vendors(season: dict) -> set:
        # A season of fewer than MIN_VENDORS vendors has only days of as few.
        days = (summary["days"][i] for i in days_of_season.get(season["season_id"], []))
        return set().union(*(day_vendors.get(day["market_day_id"], set()) for day in days))

    seasons = shareable(summary["seasons"], season_vendors)
    hidden_seasons = {season["season_id"] for season in seasons if season["suppressed"]}
    days = list(summary["days"])
    for season_id, indices in days_of_season.items():
        siblings = [days[i] for i in indices]
        if season_id in hidden_seasons:
            shared = [
                day
                if not day["vendors"]
                else _suppress(day, FEWER_VENDORS if day["vendors"] < MIN_VENDORS else COMPLEMENT)
                for day in siblings
            ]
        else:
            shared = shareable(siblings, lambda day: day_vendors[day["market_day_id"]])
        for index, day in zip(indices, shared, strict=True):
            days[index] = day
    return {
        **summary,
        "days": days,
        "seasons": seasons,
        # Each vendor is in one category only: the categories' vendors never overlap.
        "categories": shareable(
            summary["categories"],
            lambda category: {(category["category"], n) for n in range(category["vendors"])},
        ),
    }


def sales_by_vendor(*, market: Market, period: SalesPeriod) -> list[dict]:
    """Each vendor's figures over ``period``, by business name: for the organizer only (never
    through ``shared_summary``). One query."""
    rows = (
        _reports(market, period)
        .values("vendor_id", business_name=F("vendor__business_name"))
        .annotate(report_count=Count("id"), late_count=Count("id", filter=Q(late=True)))
        .annotate(**_amount_sums())
        .order_by("business_name", "vendor_id")
    )
    return [
        {
            "vendor_id": row["vendor_id"],
            "business_name": row["business_name"],
            "late": row["late_count"],
            **_figures(row, 1, row["report_count"]),
        }
        for row in rows
    ]


def sales_report_list(
    *, market: Market, market_day_id: UUID | None = None, vendor_id: UUID | None = None
) -> QuerySet[SalesReport]:
    """``market``'s reports one by one (with their day and vendor), optionally of one market
    day or one vendor: for the organizer only."""
    reports = SalesReport.objects.filter(market=market).select_related("market_day", "vendor")
    if market_day_id is not None:
        reports = reports.filter(market_day_id=market_day_id)
    if vendor_id is not None:
        reports = reports.filter(vendor_id=vendor_id)
    return reports
