"""Reads of sales: a vendor's reportable days (each with its report, if any), one report with
its revisions, the days the reminders are about; token reconciliation: what the market owes
each vendor for the tokens they took in (their reports not yet settled), what each owes in
fees, the net, and the settlements made; and for the organizer, a market's figures per market
day, per season and per product category, with totals by currency, over a period (a season, a
date range, or both), the reports one by one, and the privacy rule that decides what may be
shown beyond the organizer (``shared_summary``).

Every figure is aggregated in SQL (``Sum``/``Count`` over ``values()``): a summary costs the
same few queries whatever the number of days, vendors and reports.
"""

import datetime
import operator
from collections import defaultdict
from dataclasses import dataclass
from functools import reduce
from uuid import UUID

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketflow.models import (
    MAX_SALES_REPORT_DAYS,
    TOKEN_CURRENCIES,
    Market,
    MarketDay,
    ProductCategory,
    SalesCurrency,
    User,
)
from marketflow.selectors import market_list, subquery_count
from sales.errors import (
    SalesBookingNotFoundError,
    SalesPeriodInvalidError,
    SalesReportNotFoundError,
    SalesSeasonUnknownError,
)
from sales.models import (
    TOKEN_FIELDS,
    SalesReminder,
    SalesReport,
    SalesReportRevision,
    Settlement,
    amount_field,
)
from seasons.models import Season
from stalls.models import ACTIVE, OWED_DAY, SALES_FEE_DUE, STALL_FEE_DUE, Booking
from stalls.selectors import vendor_fee_statements
from vendors.models import Vendor

# Any market's "today" is within a day of the UTC date (time zones run from UTC-12 to UTC+14).
ZONE_MARGIN = datetime.timedelta(days=1)


def _reportable_rows(bookings: QuerySet[Booking]) -> QuerySet[Booking]:
    """What the database can tell of ``sales_report_submit``'s rule: active bookings on
    scheduled days up to tomorrow (UTC), not no-shows; whether such a day has started at its
    market is for ``_reportable`` (or the caller) to say."""
    bookings = bookings.active().filter(market_day__status=MarketDay.Status.SCHEDULED)
    bookings = bookings.exclude(attendance=Booking.Attendance.NO_SHOW)
    return bookings.filter(market_day__date__lte=timezone.now().date() + ZONE_MARGIN)


def _reportable(bookings: QuerySet[Booking]) -> QuerySet[Booking]:
    """``bookings`` whose day can be reported, by ``sales_report_submit``'s rule: active, on a
    scheduled day that has started at its market, not a no-show. Whether a day of the last
    two has started depends on its market's time zone and start time: those few are read
    and the ones still to start left out."""
    bookings = _reportable_rows(bookings)
    now = timezone.now()
    soon = bookings.filter(market_day__date__gte=now.date() - ZONE_MARGIN).select_related(
        "market_day__market"
    )
    not_started = [booking.pk for booking in soon if now < booking.market_day.starts_at]
    return bookings.exclude(pk__in=not_started) if not_started else bookings


def vendor_sales_days(*, vendor: Vendor) -> QuerySet[Booking]:
    """``vendor``'s reportable booked days with their market, stall and report (or none):
    the days not reported first, then newest first. ``day_date`` is the day's date."""
    return (
        _reportable(Booking.objects.filter(vendor=vendor))
        .select_related("market_day__market", "stall", "sales_report")
        .annotate(
            day_date=F("market_day__date"),
            reported=ExpressionWrapper(Q(sales_report__isnull=False), output_field=BooleanField()),
        )
        .order_by("reported", "-day_date", "-id")
    )


def deadline(booking: Booking) -> datetime.date:
    """The last day (at its market) to report ``booking``'s day on time."""
    return booking.market_day.market.sales_report_deadline(booking.market_day.date)


def within_deadline(booking: Booking) -> bool:
    """The day's report is still due: its market's deadline has not passed."""
    return booking.market_day.market.today() <= deadline(booking)


def unreported_open_days(bookings: QuerySet[Booking]) -> list[Booking]:
    """Of ``bookings``, those a vendor still has to report: reportable (by
    ``sales_report_submit``'s rule: the day has started), not reported, their deadline not
    passed; soonest deadline first. One query, of the columns the portal's count and the
    reminders read."""
    now = timezone.now()
    earliest = now.date() - ZONE_MARGIN - datetime.timedelta(days=MAX_SALES_REPORT_DAYS)
    candidates = (
        _reportable_rows(bookings)
        .filter(sales_report__isnull=True, market_day__date__gte=earliest)
        .select_related("market_day__market", "stall")
        .only(
            "vendor_id",
            "market_day__date",
            "market_day__start_time",
            "market_day__end_time",
            "market_day__market__name",
            "market_day__market__timezone",
            "market_day__market__sales_report_days",
            "stall__label",
        )
    )
    days = [
        booking
        for booking in candidates
        if booking.market_day.starts_at <= now and within_deadline(booking)
    ]
    return sorted(days, key=lambda booking: (deadline(booking), booking.market_day.date))


def vendor_days_to_report(*, vendor: Vendor) -> list[Booking]:
    return unreported_open_days(Booking.objects.filter(vendor=vendor))


def days_to_remind() -> dict[UUID, list[Booking]]:
    """Every vendor who has reportable days not reported whose deadline has not passed, and
    those days (across markets): what the reminders are about. A day still under way is left
    out: the vendor is still selling."""
    now = timezone.now()
    by_vendor: dict[UUID, list[Booking]] = {}
    for booking in unreported_open_days(Booking.objects.all()):
        day = booking.market_day
        if day.market.at(day.date, day.end_time) <= now:
            by_vendor.setdefault(booking.vendor_id, []).append(booking)
    return by_vendor


def _revisions() -> Prefetch:
    return Prefetch(
        "revisions",
        queryset=SalesReportRevision.objects.order_by("-created_at", "-id"),
    )


def vendor_sales_booking_get(*, vendor: Vendor, booking_id: UUID) -> Booking:
    """One of ``vendor``'s reportable booked days with its report (or none);
    SalesBookingNotFoundError for any other booking."""
    return _booking_with_report(_reportable(Booking.objects.filter(vendor=vendor)), booking_id)


def _booking_with_report(bookings: QuerySet[Booking], booking_id: UUID) -> Booking:
    booking = (
        bookings.select_related("market_day__market", "stall", "vendor", "sales_report")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        raise SalesBookingNotFoundError()
    return booking


def sales_report_get(*, booking: Booking) -> SalesReport:
    """The report of ``booking`` with its revisions, newest first; SalesReportNotFoundError
    when the day is not reported."""
    report = (
        SalesReport.objects.filter(booking=booking)
        .select_related("booking", "vendor")
        .prefetch_related(_revisions())
        .first()
    )
    if report is None:
        raise SalesReportNotFoundError()
    return report


def organizer_sales_booking_get(*, user: User, booking_id: UUID) -> Booking:
    """A booking of one of ``user``'s markets (any market for superusers) with its report
    (or none); SalesBookingNotFoundError for another organizer's."""
    bookings = Booking.objects.filter(market_day__market__in=market_list(user=user))
    return _booking_with_report(bookings, booking_id)


def market_day_booking_get(*, market_day: MarketDay, booking_id: UUID) -> Booking:
    """A booking of ``market_day`` (one of the organizer's: ``market_day_get_in_market``),
    reportable or not (the service says why not), with its report (or none)."""
    return _booking_with_report(Booking.objects.filter(market_day=market_day), booking_id)


def reminder_days(*, reminder: SalesReminder) -> list[Booking]:
    """The days ``reminder`` is about that are still to report (not reported since, deadline
    not passed), each with its ``deadline``."""
    days = unreported_open_days(Booking.objects.filter(pk__in=reminder.bookings))
    for booking in days:
        booking.deadline = deadline(booking)
    return days


# -- token reconciliation -------------------------------------------------------------------


def unsettled_reports(*, market: Market | None = None, vendor_id: UUID | None = None):
    """Reports whose tokens the market has not paid yet (of ``market``, of ``vendor_id``)."""
    reports = SalesReport.objects.filter(settlement__isnull=True)
    if market is not None:
        reports = reports.filter(market=market)
    if vendor_id is not None:
        reports = reports.filter(vendor_id=vendor_id)
    return reports


def fees_owed(*, market: Market | None = None, vendor_id: UUID | None = None) -> QuerySet:
    """Bookings with a fee owed (``OWED_DAY``, a stall fee or a sales fee unpaid)."""
    bookings = Booking.objects.filter(OWED_DAY, STALL_FEE_DUE | SALES_FEE_DUE)
    if market is not None:
        bookings = bookings.filter(market_day__market=market)
    if vendor_id is not None:
        bookings = bookings.filter(vendor_id=vendor_id)
    return bookings


def tokens_total() -> Coalesce:
    """The sum of the token currencies of reports: what the market owes for them."""
    return Coalesce(Sum(reduce(operator.add, (F(field) for field in TOKEN_FIELDS))), 0)


def fees_total() -> Coalesce:
    """The sum of the unpaid stall and sales fees of ``fees_owed`` bookings."""
    return Coalesce(Sum("fee_cents", filter=STALL_FEE_DUE), 0) + Coalesce(
        Sum("sales_fee_cents", filter=SALES_FEE_DUE), 0
    )


def _balances(*, market: Market | None = None, vendor_id: UUID | None = None) -> dict:
    """``{(market_id, vendor_id): {"tokens_cents", "fees_cents", "net_cents"}}`` for every
    pair with tokens or fees owed: two queries however many vendors and days."""
    balances = defaultdict(lambda: {"tokens_cents": 0, "fees_cents": 0})
    tokens = (
        unsettled_reports(market=market, vendor_id=vendor_id)
        .values("market_id", "vendor_id")
        .annotate(total=tokens_total())
        .filter(total__gt=0)
        .order_by()
    )
    for row in tokens:
        balances[row["market_id"], row["vendor_id"]]["tokens_cents"] = row["total"]
    fees = (
        fees_owed(market=market, vendor_id=vendor_id)
        .values("vendor_id", market_id=F("market_day__market_id"))
        .annotate(total=fees_total())
        .order_by()
    )
    for row in fees:
        balances[row["market_id"], row["vendor_id"]]["fees_cents"] = row["total"]
    for balance in balances.values():
        balance["net_cents"] = balance["tokens_cents"] - balance["fees_cents"]
    return dict(balances)


def market_payouts(*, market: Market) -> list[dict]:
    """Each vendor of ``market`` with tokens or fees owed, by business name: ``vendor_id``,
    ``business_name``, ``tokens_cents`` (the market owes them), ``fees_cents`` (they owe the
    market) and ``net_cents`` (above 0: the market pays them). Three queries."""
    balances = _balances(market=market)
    names = dict(
        Vendor.objects.filter(pk__in=[vendor_id for _, vendor_id in balances]).values_list(
            "id", "business_name"
        )
    )
    rows = [
        {"vendor_id": vendor_id, "business_name": names[vendor_id], **balance}
        for (_, vendor_id), balance in balances.items()
    ]
    return sorted(rows, key=lambda row: (row["business_name"], str(row["vendor_id"])))


def settlement_list(*, market: Market) -> QuerySet[Settlement]:
    """The market's settlements, latest first, with their vendor and who made them."""
    return (
        Settlement.objects.filter(market=market)
        .select_related("vendor", "created_by")
        .order_by("-created_at", "-pk")
    )


def vendor_statements(*, vendor_id: UUID) -> list[dict]:
    """The vendor's fee statements (``stalls.selectors.vendor_fee_statements``), each netted
    against the tokens the market owes them: ``tokens_owed_cents`` (reports not yet settled)
    and ``net_cents``, tokens owed minus fees due (above 0: the market pays the vendor)."""
    tokens_of = dict(
        unsettled_reports(vendor_id=vendor_id)
        .values("market_id")
        .annotate(total=tokens_total())
        .values_list("market_id", "total")
        .order_by()
    )
    statements = vendor_fee_statements(vendor_id=vendor_id)
    for statement in statements:
        tokens = tokens_of.get(statement["market_id"], 0)
        statement["tokens_owed_cents"] = tokens
        statement["net_cents"] = tokens - statement["due_cents"]
    return statements


# -- what organizers see: figures per day, season and category, and the privacy rule --------

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
