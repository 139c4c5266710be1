"""Reads of sales: a vendor's reportable days (each with its report, if any), one report with
its revisions, the days the reminders are about; and token reconciliation: what the market
owes each vendor for the tokens they took in (their reports not yet settled), what each owes
in fees, the net, and the settlements made."""

import datetime
import operator
from collections import defaultdict
from functools import reduce
from uuid import UUID

from django.db.models import BooleanField, ExpressionWrapper, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from marketflow.models import MAX_SALES_REPORT_DAYS, Market, MarketDay, User
from marketflow.selectors import market_list
from sales.errors import SalesBookingNotFoundError, SalesReportNotFoundError
from sales.models import TOKEN_FIELDS, SalesReminder, SalesReport, SalesReportRevision, Settlement
from stalls.models import OWED_DAY, SALES_FEE_DUE, STALL_FEE_DUE, Booking
from stalls.selectors import vendor_fee_statements
from vendors.models import Vendor

# Any market's "today" is within a day of the UTC date (time zones run from UTC-12 to UTC+14).
ZONE_MARGIN = datetime.timedelta(days=1)


def _reportable(bookings: QuerySet[Booking]) -> QuerySet[Booking]:
    """``bookings`` whose day can be reported, by ``sales_report_submit``'s rule: active, on a
    scheduled day that has started at its market, not a no-show. Whether a day of the last
    two has started depends on its market's time zone and start time: those few are read
    and the ones still to start left out."""
    bookings = bookings.active().filter(market_day__status=MarketDay.Status.SCHEDULED)
    bookings = bookings.exclude(attendance=Booking.Attendance.NO_SHOW)
    now = timezone.now()
    bookings = bookings.filter(market_day__date__lte=now.date() + ZONE_MARGIN)
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
    """Of ``bookings`` (reportable ones), those not reported whose deadline has not passed:
    the days a vendor still has to report, soonest deadline first."""
    earliest = timezone.now().date() - ZONE_MARGIN - datetime.timedelta(days=MAX_SALES_REPORT_DAYS)
    candidates = bookings.filter(
        sales_report__isnull=True, market_day__date__gte=earliest
    ).select_related("market_day__market", "stall")
    days = [booking for booking in candidates if within_deadline(booking)]
    return sorted(days, key=lambda booking: (deadline(booking), booking.market_day.date))


def vendor_days_to_report(*, vendor: Vendor) -> list[Booking]:
    return unreported_open_days(_reportable(Booking.objects.filter(vendor=vendor)))


def days_to_remind() -> dict[UUID, list[Booking]]:
    """Every vendor who has reportable days not reported whose deadline has not passed, and
    those days (across markets): what the reminders are about. A day still under way is left
    out: the vendor is still selling."""
    bookings = _reportable(Booking.objects.all())
    now = timezone.now()
    by_vendor: dict[UUID, list[Booking]] = {}
    for booking in unreported_open_days(bookings):
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
    bookings = _reportable(Booking.objects.filter(pk__in=reminder.bookings))
    days = unreported_open_days(bookings)
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
