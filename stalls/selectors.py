"""Reads of stalls and bookings, scoped to a market, a market day or a vendor."""

from collections import defaultdict
from datetime import date, timedelta
from uuid import UUID

import orjson
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from applications.models import Application
from applications.selectors import active_vendor_list, market_document_list
from marketflow.errors import MarketDayNotFoundError
from marketflow.models import DocumentType, Market, MarketDay, User
from marketflow.selectors import (
    get_or_raise,
    market_days_in_market,
    scope_condition,
    scope_queryset,
    subquery_count,
    upcoming_market_day_list,
)
from marketflow.serializers import datetime_text
from marketflow.sql import SqlRows, use_sql
from stalls.errors import (
    BookingNotFoundError,
    StallNotFoundError,
    StallOfferNotFoundError,
    WaitlistEntryNotFoundError,
)
from stalls.models import (
    ACTIVE,
    OWED_DAY,
    Booking,
    LateCancellation,
    Stall,
    StallOffer,
    VendorCredit,
    WaitlistEntry,
)
from vendors.models import Vendor
from vendors.selectors import readiness_of, vendor_readiness

# The readiness view looks this far ahead for documents about to expire.
EXPIRING_WITHIN_DAYS = 30

STALL_ROW_COLUMNS = (
    "id", "market_id", "label", "size_category", "price_per_day", "assigned_vendor_id", "notes",
    "created_at", "updated_at",
)  # fmt: skip


def stall_rows(*, user: User, market_id: UUID) -> QuerySet | SqlRows:
    """The stalls of market ``market_id`` if ``user`` manages it (else none), by label, as
    rows of ``STALL_ROW_COLUMNS``, which ``stall_data`` shapes: one hand-written statement on
    PostgreSQL (marketflow/sql.py), this ORM queryset elsewhere."""
    if not use_sql():
        stalls = scope_queryset(
            Stall.objects.filter(market_id=market_id), user, "market__organizer"
        )
        return stalls.order_by("label").values(*STALL_ROW_COLUMNS)
    scope, scope_params = scope_condition(user, "m.organizer_id")
    return SqlRows(
        select=f"SELECT {', '.join(f's.{c}' for c in STALL_ROW_COLUMNS)} FROM stalls_stall s "
        "JOIN marketflow_market m ON m.id = s.market_id",
        where=("s.market_id = %s", scope),
        params=(market_id, *scope_params),
        keys={"label": ("s.label", Stall._meta.get_field("label"))},
    ).order_by("label")


def stall_get(*, market: Market, stall_id: UUID) -> Stall:
    """A stall of ``market``; a stall of any other market is not found."""
    return get_or_raise(Stall.objects.filter(market=market), StallNotFoundError, pk=stall_id)


def stall_get_for_update(*, market: Market, stall_id: UUID) -> Stall:
    stalls = Stall.objects.select_for_update(no_key=True).filter(market=market)
    return get_or_raise(stalls, StallNotFoundError, pk=stall_id)


def market_day_fill_counts() -> dict:
    """Columns to annotate market days with: ``booked_count`` (its bookings) and
    ``stall_count`` (its market's stalls), one query however many days are listed."""
    return {
        "booked_count": subquery_count(Booking.objects.active().filter(market_day=OuterRef("pk"))),
        "stall_count": subquery_count(Stall.objects.filter(market=OuterRef("market"))),
    }


def booking_list(*, market_day: MarketDay) -> QuerySet[Booking]:
    """The day's bookings, cancelled ones too (marked by ``cancelled_at``): its history."""
    return Booking.objects.filter(market_day=market_day).select_related("stall", "vendor")


def cancelled_booking_list(*, market_day: MarketDay) -> QuerySet[Booking]:
    """The day's cancelled bookings, latest first: the board's "cancelled this day"."""
    return (
        booking_list(market_day=market_day)
        .filter(cancelled_at__isnull=False)
        .order_by("-cancelled_at", "pk")
    )


def active_bookings_of_days(*, market_days: list[MarketDay]) -> dict[UUID, list[Booking]]:
    """The active bookings of ``market_days`` (each day's market already read), by day id,
    each by stall label, with stall and vendor: one query."""
    days = {day.pk: day for day in market_days}
    by_day: dict[UUID, list[Booking]] = defaultdict(list)
    bookings = (
        Booking.objects.active()
        .filter(market_day__in=list(days))
        .select_related("stall", "vendor")
        .order_by("stall__label")
    )
    for booking in bookings:
        booking.market_day = days[booking.market_day_id]
        by_day[booking.market_day_id].append(booking)
    return by_day


def booking_get(*, market_day: MarketDay, booking_id: UUID) -> Booking:
    bookings = Booking.objects.select_related("stall", "vendor", "market_day")
    return get_or_raise(bookings.filter(market_day=market_day), BookingNotFoundError, pk=booking_id)


def booking_get_for_update(*, market_day: MarketDay, booking_id: UUID) -> Booking:
    bookings = Booking.objects.select_for_update(no_key=True).filter(market_day=market_day)
    return get_or_raise(bookings, BookingNotFoundError, pk=booking_id)


VENDOR_BOOKING_ROW_COLUMNS = {
    "id": "b.id", "market_day__date": "d.date", "market_day__start_time": "d.start_time",
    "market_day__end_time": "d.end_time", "market_day__market_id": "d.market_id",
    "market_day__market__name": "m.name", "stall__label": "s.label", "fee_cents": "b.fee_cents",
    "market_day__market__currency": "m.currency", "payment_status": "b.payment_status",
    "payment_method": "b.payment_method", "cancelled_at": "b.cancelled_at",
}  # fmt: skip


def vendor_booking_rows(*, user: User) -> QuerySet | SqlRows:
    """The bookings of ``user``'s vendor profile (none without one) as rows of the keys of
    ``VENDOR_BOOKING_ROW_COLUMNS``, which ``vendor_booking_data`` shapes: one hand-written
    statement on PostgreSQL (marketflow/sql.py), this ORM queryset elsewhere."""
    if not use_sql():
        bookings = Booking.objects.filter(vendor__user=user)
        if not user.is_authenticated:
            bookings = bookings.none()
        return bookings.values(*VENDOR_BOOKING_ROW_COLUMNS)
    return SqlRows(
        select="SELECT "
        + ", ".join(f'{sql} AS "{name}"' for name, sql in VENDOR_BOOKING_ROW_COLUMNS.items())
        + " FROM stalls_booking b JOIN vendors_vendor v ON v.id = b.vendor_id"
        " JOIN marketflow_marketday d ON d.id = b.market_day_id"
        " JOIN marketflow_market m ON m.id = d.market_id JOIN stalls_stall s ON s.id = b.stall_id",
        where=("v.user_id = %s",),
        params=(user.pk,),  # None for AnonymousUser: no rows
        keys={
            "id": ("b.id", Booking._meta.get_field("id")),
            "market_day__date": ("d.date", MarketDay._meta.get_field("date")),
        },
    )


def vendor_booking_list(*, vendor: Vendor, upcoming_only: bool = False) -> QuerySet[Booking]:
    bookings = Booking.objects.filter(vendor=vendor).select_related(
        "stall", "market_day", "market_day__market"
    )
    if upcoming_only:
        # A day's margin: "today" depends on each market's time zone (UTC-12 to UTC+14).
        bookings = bookings.filter(market_day__date__gte=timezone.now().date() - timedelta(days=1))
    return bookings


# The market's columns that readiness is judged by (``vendor_readiness``).
READINESS_RULES = ("required_document_types", "expiring_document_types")

BOARD_ROW_COLUMNS = {
    "id": "s.id", "label": "s.label", "size_category": "s.size_category",
    "price_per_day": "s.price_per_day", "assigned_vendor_id": "s.assigned_vendor_id",
    "booking__id": "b.id", "booking__vendor_id": "b.vendor_id",
    "booking__vendor__business_name": "v.business_name", "booking__fee_cents": "b.fee_cents",
    "booking__payment_status": "b.payment_status", "booking__payment_method": "b.payment_method",
    "booking__payment_reference": "b.payment_reference", "booking__paid_at": "b.paid_at",
}  # fmt: skip


def market_day_board_for_user(*, user: User, market_id: UUID, market_day_id: UUID) -> dict:
    """``market_day_board`` of a day of market ``market_id`` that ``user`` manages (else
    MarketDayNotFoundError): on PostgreSQL one hand-written statement (marketflow/sql.py)
    reads the day, its market's scope and the stalls with their bookings of the day;
    tests/test_sql_rows.py holds it to ``market_day_board``."""
    if not use_sql():
        market_days = market_days_in_market(user=user, market_id=market_id).values(
            "id", "market_id", "date", "status", *(f"market__{name}" for name in READINESS_RULES)
        )
        day = get_or_raise(market_days, MarketDayNotFoundError, pk=market_day_id)
        market = Market(
            id=market_id, **{name: day.pop(f"market__{name}") for name in READINESS_RULES}
        )
        return market_day_board(MarketDay(**day, market=market))
    scope, scope_params = scope_condition(user, "m.organizer_id")
    rows = SqlRows(
        select='SELECT d.id AS "day__id", d.date AS "day__date", d.status AS "day__status", '
        + "".join(f'm.{name} AS "market__{name}", ' for name in READINESS_RULES)
        + ", ".join(f'{sql} AS "{name}"' for name, sql in BOARD_ROW_COLUMNS.items())
        + ', rd.documents AS "booking__documents"'
        " FROM marketflow_marketday d JOIN marketflow_market m ON m.id = d.market_id"
        " LEFT JOIN stalls_stall s ON s.market_id = d.market_id"
        " LEFT JOIN stalls_booking b ON b.stall_id = s.id AND b.market_day_id = d.id"
        " AND b.cancelled_at IS NULL"
        " LEFT JOIN vendors_vendor v ON v.id = b.vendor_id"
        # The booked vendor's documents of the types the market requires, with this market's
        # review: what readiness judges (readiness_of), read in the same statement.
        " LEFT JOIN LATERAL (SELECT json_agg(json_build_array(vd.document_type, vd.expires_on,"
        " r.status)) AS documents FROM vendors_vendordocument vd"
        " LEFT JOIN vendors_documentreview r ON r.document_id = vd.id AND r.market_id = m.id"
        " WHERE vd.vendor_id = b.vendor_id AND m.required_document_types ? vd.document_type"
        ") rd ON b.id IS NOT NULL",
        where=("d.id = %s", "d.market_id = %s", scope),
        params=(market_day_id, market_id, *scope_params),
        keys={"label": ("s.label", Stall._meta.get_field("label"))},
        converters={
            **{f"market__{name}": orjson.loads for name in READINESS_RULES},
            # json_agg's json: text or already decoded, by the connection's loaders.
            "booking__documents": lambda value: (
                orjson.loads(value) if isinstance(value, str) else value or []
            ),
        },
    ).order_by("label")
    rows = rows.fetch()
    if not rows:
        raise MarketDayNotFoundError()
    first = rows[0]
    market = Market(id=market_id, **{name: first[f"market__{name}"] for name in READINESS_RULES})
    day = MarketDay(
        id=first["day__id"],
        market=market,
        date=first["day__date"],
        status=first["day__status"],
    )
    documents = [
        (row["booking__vendor_id"], kind, expires_on and date.fromisoformat(expires_on), review)
        for row in rows
        if row["booking__id"] is not None
        for kind, expires_on, review in row["booking__documents"]
    ]
    return board_data(day, [row for row in rows if row["id"] is not None], documents)


def stalls_with_day_booking(market_day: MarketDay) -> QuerySet[Stall]:
    """The stalls of the day's market by label, each joined (as ``booking``) to its active
    booking of that day, of which there is at most one (a unique constraint)."""
    return (
        Stall.objects.filter(market_id=market_day.market_id)
        .annotate(
            booking=FilteredRelation(
                "bookings",
                condition=Q(bookings__market_day=market_day, bookings__cancelled_at__isnull=True),
            )
        )
        .order_by("label")
    )


def market_day_sheet(market_day: MarketDay) -> list[dict]:
    """The printable day sheet: every stall of the day's market by label with its booked
    vendor's name, contact, phone and categories, the fee's status and the required documents
    the vendor lacks on the day (``vendor_readiness``), in one query and one for readiness."""
    stalls = stalls_with_day_booking(market_day).values(
        "label", "size_category", "booking__id", "booking__fee_cents", "booking__payment_status",
        "booking__vendor_id",
        "booking__vendor__business_name", "booking__vendor__contact_name",
        "booking__vendor__phone", "booking__vendor__product_categories",
    )  # fmt: skip
    readiness = vendor_readiness(
        market=market_day.market,
        date=market_day.date,
        vendor_ids=[s["booking__vendor_id"] for s in stalls if s["booking__id"] is not None],
    )
    return [
        {
            "label": stall["label"],
            "size_category": stall["size_category"],
            "booking": None
            if stall["booking__id"] is None
            else {
                "business_name": stall["booking__vendor__business_name"],
                "contact_name": stall["booking__vendor__contact_name"],
                "phone": stall["booking__vendor__phone"],
                "categories": stall["booking__vendor__product_categories"] or [],
                "fee_cents": stall["booking__fee_cents"],
                "payment_status": stall["booking__payment_status"],
                "missing_documents": readiness[stall["booking__vendor_id"]],
            },
        }
        for stall in stalls
    ]


def market_day_board(market_day: MarketDay) -> dict:
    """Every stall of the day's market, each with its booking for that day or None, and the
    day's totals: what ``StallBoardSerializer`` answers, from one ``values()`` query of
    ``stalls_with_day_booking``; stalls/tests/test_board.py holds it to the serializer."""
    return board_data(market_day, stalls_with_day_booking(market_day).values(*BOARD_ROW_COLUMNS))


def board_data(market_day: MarketDay, stalls, documents: list[tuple] | None = None) -> dict:
    """The board of ``market_day`` (its ``market`` set, with the readiness rules) from its
    stalls' rows (``BOARD_ROW_COLUMNS``, by label); each booking says whether its vendor's
    required documents are ready on the day, and which are not: from ``documents`` when the
    caller read them (``readiness_of``), else one more query, when the market requires
    documents and the day has bookings."""
    zone = timezone.get_current_timezone()
    stalls = list(stalls)
    vendor_ids = [s["booking__vendor_id"] for s in stalls if s["booking__id"] is not None]
    if documents is None:
        readiness = vendor_readiness(
            market=market_day.market, date=market_day.date, vendor_ids=vendor_ids
        )
    else:
        readiness = readiness_of(
            market=market_day.market,
            date=market_day.date,
            vendor_ids=vendor_ids,
            documents=documents,
        )
    rows = [
        {
            "id": str(stall["id"]),
            "label": stall["label"],
            "size_category": stall["size_category"],
            "price_per_day": stall["price_per_day"],
            "assigned_vendor_id": stall["assigned_vendor_id"] and str(stall["assigned_vendor_id"]),
            "booking": None
            if stall["booking__id"] is None
            else {
                "id": str(stall["booking__id"]),
                "vendor": {
                    "id": str(stall["booking__vendor_id"]),
                    "business_name": stall["booking__vendor__business_name"],
                },
                "fee_cents": stall["booking__fee_cents"],
                "payment_status": stall["booking__payment_status"],
                "payment_method": stall["booking__payment_method"],
                "payment_reference": stall["booking__payment_reference"],
                "paid_at": datetime_text(stall["booking__paid_at"], zone),
                "documents_ready": not readiness[stall["booking__vendor_id"]],
                "missing_documents": readiness[stall["booking__vendor_id"]],
            },
        }
        for stall in stalls
    ]
    booked = [row["booking"] for row in rows if row["booking"] is not None]
    return {
        "market_day_id": str(market_day.pk),
        "date": market_day.date.isoformat(),
        "status": market_day.status,
        "booked_count": len(booked),
        "free_count": len(rows) - len(booked),
        "fees_due_cents": sum(
            b["fee_cents"] for b in booked if b["payment_status"] == Booking.PaymentStatus.UNPAID
        ),
        "fees_paid_cents": sum(
            b["fee_cents"] for b in booked if b["payment_status"] == Booking.PaymentStatus.PAID
        ),
        "stalls": rows,
    }


# -- fee statements: what each vendor owes, paid and was let off, across a market's days --


def _fee_totals() -> dict:
    """Sums over bookings: ``days_booked`` counts active bookings, ``due`` their unpaid fees
    (the stall fee and the sales fee, each by its own status) on days that take place (a
    cancelled day's or booking's fee is not owed), ``paid`` and ``waived`` whatever the day
    (a cancelled booking paid in cash stays paid until the organizer records its refund);
    ``sales_fees`` what the market's sales rule added (``Booking.sales_fee_cents``) on
    those days, whatever its status, a line of its own as ``no_show_fees``, the market's
    no-show fees charged at check-in."""
    status = Booking.PaymentStatus
    scheduled = OWED_DAY

    def total(payment_status: str, condition: Q) -> Coalesce:
        stall_fee = Sum("fee_cents", filter=Q(payment_status=payment_status) & condition)
        sales_fee = Sum("sales_fee_cents", filter=Q(sales_fee_status=payment_status) & condition)
        return Coalesce(stall_fee, 0) + Coalesce(sales_fee, 0)

    return {
        "days_booked": Count("id", filter=ACTIVE),
        "due_cents": total(status.UNPAID, scheduled),
        "paid_cents": total(status.PAID, Q()),
        "waived_cents": total(status.WAIVED, Q()),
        "sales_fees_cents": Coalesce(Sum("sales_fee_cents", filter=scheduled), 0),
        "no_show_fees_cents": Coalesce(Sum("no_show_fee_cents"), 0),
    }


def market_fee_statements(*, market: Market) -> QuerySet:
    """One ``values()`` row per vendor booked on any day of ``market``, by business name:
    the vendor's id, names, e-mail and phone, ``days_booked``, ``due_cents``, ``paid_cents``
    and ``waived_cents``; one query however many vendors and days."""
    return (
        Booking.objects.filter(market_day__market=market)
        .values(
            "vendor_id", "vendor__business_name", "vendor__contact_name", "vendor__email",
            "vendor__phone",
        )
        .annotate(**_fee_totals())
        .order_by("vendor__business_name", "vendor_id")
    )  # fmt: skip


def market_fee_totals(*, market: Market) -> dict:
    """The market's own totals over every booking: the sums of ``market_fee_statements``."""
    return Booking.objects.filter(market_day__market=market).aggregate(**_fee_totals())


def vendor_fee_statements(*, vendor_id: UUID, market: Market | None = None) -> list[dict]:
    """A vendor's statement per market (of ``market`` only, if given), by market name: the
    market's ``market_id``, ``market_name`` and ``currency``, the totals ``_fee_totals``
    counts, ``credit_cents`` (the vendor's credit available there), ``lines``, the bookings
    by date (day and its status, stall, fee, credit used, payment, refund due, with
    ``payment_label`` and ``day_cancelled``), and ``no_show_fees``, the lines of the days the
    vendor did not come and was charged the market's no-show fee (``no_show_fee_cents``);
    three queries however many markets and days."""
    bookings = Booking.objects.filter(vendor_id=vendor_id)
    if market is not None:
        bookings = bookings.filter(market_day__market=market)
    markets = (
        bookings.values(
            market_id=F("market_day__market_id"),
            market_name=F("market_day__market__name"),
            currency=F("market_day__market__currency"),
        )
        .annotate(**_fee_totals())
        .order_by("market_name", "market_id")
    )
    lines = bookings.order_by("market_day__date", "stall__label").values(
        "id", "market_day__market_id", "market_day__date", "market_day__status", "stall__label",
        "fee_cents", "payment_status", "paid_at", "no_show_fee_cents", "cancelled_at",
        "credit_cents", "refund_due", "sales_fee_cents", "sales_fee_note", "sales_fee_status",
    )  # fmt: skip
    credits = VendorCredit.objects.available().filter(vendor_id=vendor_id)
    if market is not None:
        credits = credits.filter(market=market)
    credit_of = dict(
        credits.values("market_id")
        .annotate(total=Sum("amount_cents"))
        .values_list("market_id", "total")
    )
    lines_of = defaultdict(list)
    for line in lines:
        line["payment_label"] = Booking.PaymentStatus(line["payment_status"]).label
        line["sales_fee_label"] = Booking.PaymentStatus(line["sales_fee_status"]).label
        # A cancelled day's unpaid fee is not owed (``_fee_totals``): the line says so.
        line["day_cancelled"] = line["market_day__status"] == MarketDay.Status.CANCELLED
        lines_of[line["market_day__market_id"]].append(line)
    return [
        {
            **totals,
            "credit_cents": credit_of.get(totals["market_id"], 0),
            "lines": lines_of[totals["market_id"]],
            "no_show_fees": [
                line for line in lines_of[totals["market_id"]] if line["no_show_fee_cents"]
            ],
        }
        for totals in markets
    ]


def booked_vendor_get(*, market: Market, vendor_id: UUID) -> Vendor | None:
    """Vendor ``vendor_id`` if booked on a day of ``market`` (their statement's subject)."""
    booked = Booking.objects.filter(vendor=OuterRef("pk"), market_day__market=market)
    return Vendor.objects.filter(Exists(booked), pk=vendor_id).first()


# -- check-in on the day, and what it counts against vendors across the season ---------------

CHECKIN_ROW_COLUMNS = (
    "id", "stall__label", "vendor__business_name", "vendor__phone", "attendance",
    "attendance_at",
)  # fmt: skip


def checkin_rows(*, market_day: MarketDay) -> QuerySet:
    """The day's bookings in stall order, as ``values()`` rows of ``CHECKIN_ROW_COLUMNS``
    (the check-in page), in one query however many bookings."""
    return (
        Booking.objects.active()
        .filter(market_day=market_day)
        .order_by("stall__label")
        .values(*CHECKIN_ROW_COLUMNS)
    )


def strike_season(today: date) -> tuple[date, date]:
    """The dates over which no-shows and late cancellations are counted: the calendar year of
    ``today`` (markets have no seasons of their own yet)."""
    return date(today.year, 1, 1), date(today.year, 12, 31)


def strike_counts(*, vendor, market, season: tuple[date, date]) -> dict:
    """Columns to annotate with: ``no_show_count`` and ``late_cancellation_count`` of vendor
    ``vendor`` at market ``market`` (values or ``OuterRef``s) on the days of ``season``, one
    subquery each, so a list of any length costs the same."""
    days = {"market_day__market": market, "market_day__date__range": season}
    return {
        "no_show_count": subquery_count(
            Booking.objects.filter(vendor=vendor, attendance=Booking.Attendance.NO_SHOW, **days)
        ),
        "late_cancellation_count": subquery_count(
            LateCancellation.objects.filter(vendor=vendor, **days)
        ),
    }


def vendor_strike_list(*, user: User, vendor_id: UUID, season: tuple[date, date]) -> QuerySet:
    """The markets ``user`` manages where vendor ``vendor_id`` was a no-show or cancelled late
    on a day of ``season``, by name, each with ``no_show_count`` and
    ``late_cancellation_count``; one query."""
    markets = scope_queryset(Market.objects.all(), user, "organizer")
    return (
        markets.annotate(**strike_counts(vendor=vendor_id, market=OuterRef("pk"), season=season))
        .filter(Q(no_show_count__gt=0) | Q(late_cancellation_count__gt=0))
        .order_by("name", "pk")
    )


# -- readiness across a market: who cannot stand on the next day, what expires soon ---------


def market_readiness(*, market: Market) -> dict:
    """The market's readiness view: ``market_day`` (the next scheduled day, or None);
    ``not_ready``, the accepted vendors whose required documents are not ready on that day
    (with their stall that day, if booked, and the documents lacking), by business name; and
    ``expiring``, the documents of required types that expire within
    ``EXPIRING_WITHIN_DAYS`` days, submitted with a confirmed application to the market, by
    expiry date (with this market's review). Four queries however many vendors."""
    today = market.today()
    day = upcoming_market_day_list(market=market).values("id", "date").first()
    not_ready = []
    if day is not None:
        booked_stall = (
            Booking.objects.active()
            .filter(market_day_id=day["id"], vendor=OuterRef("pk"))
            .values("stall__label")
        )
        vendors = list(
            active_vendor_list(market=market)
            .annotate(stall_label=Subquery(booked_stall[:1]))
            .order_by("business_name", "id")
            .values("id", "business_name", "stall_label")
        )
        readiness = vendor_readiness(
            market=market, date=day["date"], vendor_ids=[vendor["id"] for vendor in vendors]
        )
        not_ready = [
            {**vendor, "missing_documents": readiness[vendor["id"]]}
            for vendor in vendors
            if readiness[vendor["id"]]
        ]
    expiring = list(
        market_document_list(market=market)
        .filter(
            document_type__in=market.expiring_document_types or [],
            expires_on__range=(today, today + timedelta(days=EXPIRING_WITHIN_DAYS)),
        )
        .annotate(
            review=FilteredRelation("reviews", condition=Q(reviews__market=market)),
        )
        .order_by("expires_on", "vendor__business_name", "id")
        .values(
            "id", "vendor_id", "vendor__business_name", "document_type", "original_filename",
            "expires_on", "review__status",
        )
    )  # fmt: skip
    return {
        "market_id": market.pk,
        "today": today,
        "market_day": day,
        "not_ready": not_ready,
        "expiring": [
            {
                "document_id": document["id"],
                "vendor_id": document["vendor_id"],
                "business_name": document["vendor__business_name"],
                "document_type": document["document_type"],
                "label": DocumentType(document["document_type"]).label,
                "original_filename": document["original_filename"],
                "expires_on": document["expires_on"],
                "review_status": document["review__status"] or "",
            }
            for document in expiring
        ],
    }


# -- waitlist offers ---------------------------------------------------------------------------


def free_stalls(*, market_day: MarketDay) -> QuerySet[Stall]:
    """The market's stalls with no booking on ``market_day`` and no open offer (an open offer
    holds its stall), in label order: what a freed stall means to the waitlist."""
    return Stall.objects.filter(market_id=market_day.market_id).exclude(
        Q(Exists(Booking.objects.active().filter(market_day=market_day, stall=OuterRef("pk"))))
        | Q(
            Exists(
                StallOffer.objects.filter(
                    market_day=market_day, stall=OuterRef("pk"), state=StallOffer.State.OPEN
                )
            )
        )
    )


def waitlist_ordering(market: Market) -> tuple[str, ...]:
    """The market's rule: first come, or priority points then first come."""
    first_come = ("created_at", "id")
    if market.waitlist_order == Market.WaitlistOrder.PRIORITY:
        return ("-priority_points", *first_come)
    return first_come


def waitlist_entry_list(*, market_day: MarketDay) -> QuerySet[WaitlistEntry]:
    """A day's waitlist, every state, the open entries first in the order they are offered."""
    open_first = Case(When(state__in=WaitlistEntry.OPEN_STATES, then=0), default=1)
    return (
        WaitlistEntry.objects.filter(market_day=market_day)
        .select_related("vendor")
        .order_by(open_first, *waitlist_ordering(market_day.market))
    )


def waitlist_entry_get(*, market_day: MarketDay, entry_id: UUID) -> WaitlistEntry:
    entries = WaitlistEntry.objects.filter(market_day=market_day).select_related("vendor")
    return get_or_raise(entries, WaitlistEntryNotFoundError, pk=entry_id)


def stall_offer_list(*, market_day: MarketDay) -> QuerySet[StallOffer]:
    """A day's offers, newest first: its offer history."""
    return StallOffer.objects.filter(market_day=market_day).select_related(
        "stall", "vendor", "market_day"
    )


def vendor_waitlist_entry_list(*, vendor: Vendor) -> QuerySet[WaitlistEntry]:
    """The vendor's waitlist entries of days still to come (a day's margin, as bookings)."""
    return (
        WaitlistEntry.objects.filter(
            vendor=vendor, market_day__date__gte=timezone.now().date() - timedelta(days=1)
        )
        .select_related("market_day__market")
        .order_by("market_day__date", "id")
    )


def vendor_offer_list(*, vendor: Vendor, open_only: bool = False) -> QuerySet[StallOffer]:
    offers = StallOffer.objects.filter(vendor=vendor).select_related(
        "stall", "vendor", "market_day__market"
    )
    if open_only:
        offers = offers.filter(state=StallOffer.State.OPEN, expires_at__gt=timezone.now())
    return offers.order_by("-created_at")


def stall_offer_get(*, offer_id: UUID) -> StallOffer:
    """Any vendor's offer: the services tell the vendor it is not theirs."""
    offers = StallOffer.objects.select_related("stall", "vendor", "market_day__market")
    return get_or_raise(offers, StallOfferNotFoundError, pk=offer_id)


def stall_offer_get_for_update(*, offer_id: UUID) -> StallOffer:
    return StallOffer.objects.select_for_update(no_key=True).get(pk=offer_id)


def full_days_for_vendor(*, vendor: Vendor) -> list[MarketDay]:
    """Coming scheduled days of the markets that accepted ``vendor`` where every stall is
    booked or on offer, and the vendor has neither a booking nor an open waitlist entry: the
    days they may ask for."""
    booked = Booking.objects.active()
    taken = subquery_count(booked.filter(market_day=OuterRef("pk"))) + subquery_count(
        StallOffer.objects.filter(market_day=OuterRef("pk"), state=StallOffer.State.OPEN)
    )
    days = (
        MarketDay.objects.filter(
            market_id__in=Application.objects.filter(
                vendor=vendor, status=Application.Status.ACCEPTED
            ).values("market_id"),
            status=MarketDay.Status.SCHEDULED,
            date__gte=timezone.now().date(),
        )
        .exclude(Exists(booked.filter(market_day=OuterRef("pk"), vendor=vendor)))
        .exclude(
            Exists(
                WaitlistEntry.objects.filter(
                    market_day=OuterRef("pk"), vendor=vendor, state__in=WaitlistEntry.OPEN_STATES
                )
            )
        )
        .annotate(taken=taken, **market_day_fill_counts())
        .filter(stall_count__gt=0, taken__gte=F("stall_count"))
        .select_related("market")
        .order_by("date", "id")
    )
    return list(days)
