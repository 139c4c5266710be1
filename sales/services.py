"""Writes of sales reports: a vendor (or the organizer, from a paper slip) reports a booked
day's gross sales by currency, and the market's fee rule turns them into the day's fee.

The fee rule (``Market.sales_fee_rule``) decides what a booked day comes to:

- ``flat``: the stall's daily price, charged at booking (``Booking.fee_cents``), as always;
- ``percent``: ``sales_fee_percent`` of the gross, capped at ``sales_fee_cap_cents``;
- ``higher``: the higher of the flat fee and that percentage.

A report on time (by ``Market.sales_report_deadline``) computes it; a late report, or none,
falls back to the flat fee. What the day comes to beyond what the booking already charged
(``fee_cents`` and the credit it used) is the booking's ``sales_fee_cents``, shown with how
it was computed (``sales_fee_note``). Under ``percent`` a booking charges nothing upfront.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from marketflow.audit import ADDITION, CHANGE, audit_record, audit_records
from marketflow.currencies import format_money
from marketflow.email_tasks import enqueue_email
from marketflow.errors import ValidationFailedError
from marketflow.models import Market, MarketDay, SalesCurrency, User
from marketflow.selectors import market_list
from marketflow.services import insert_once
from sales.errors import (
    SalesBookingNotFoundError,
    SalesDayNotReportableError,
    SalesReportClosedError,
    SalesReportExistsError,
    SalesReportSettledError,
)
from sales.models import (
    MAX_AMOUNT_CENTS,
    REVISION_REASON_MAX_LENGTH,
    SalesReminder,
    SalesReport,
    SalesReportRevision,
    amount_field,
)
from sales.selectors import days_to_remind
from sales.tasks import send_sales_reminder
from stalls.models import ACTIVE, Booking
from vendors.models import Vendor


def percentage_fee(market: Market, gross_cents: int) -> int:
    """``sales_fee_percent`` of ``gross_cents``, rounded half up, at most the cap."""
    fee = int(
        (Decimal(gross_cents) * market.sales_fee_percent / 100).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )
    if market.sales_fee_cap_cents is not None:
        fee = min(fee, market.sales_fee_cap_cents)
    return fee


def flat_fee(booking: Booking) -> int:
    """The day's flat fee: what the booking charged (its fee and the credit it used), or
    under ``percent`` (nothing charged upfront) the stall's daily price."""
    charged = booking.fee_cents + booking.credit_cents
    if charged or booking.market_day.market.sales_fee_rule != Market.SalesFeeRule.PERCENT:
        return charged
    return booking.stall.price_per_day or 0


def sales_fee(booking: Booking, gross_cents: int | None, *, on_time: bool) -> tuple[int, str]:
    """What ``booking`` owes beyond what it charged at booking, by its market's rule, for a
    report of ``gross_cents`` (None: not reported) on time or not; and the line that says
    how it was computed (empty when nothing is added)."""
    market = booking.market_day.market
    rule = market.sales_fee_rule
    if rule == Market.SalesFeeRule.FLAT:
        return 0, ""
    charged = booking.fee_cents + booking.credit_cents
    flat = flat_fee(booking)

    def money(cents: int) -> str:
        return format_money(cents, market.currency)

    if gross_cents is None or not on_time:
        why = "not reported in time" if gross_cents is None else "reported late"
        extra = max(0, flat - charged)
        return extra, (f"Stall fee {money(flat)} ({why})." if extra else "")
    percent = percentage_fee(market, gross_cents)
    text = f"{market.sales_fee_percent.normalize():f}% of {money(gross_cents)}"
    if market.sales_fee_cap_cents is not None and percent == market.sales_fee_cap_cents:
        text += f", capped at {money(percent)}"
    else:
        text += f" = {money(percent)}"
    day_fee = percent
    if rule == Market.SalesFeeRule.HIGHER:
        if percent > flat:
            text += f", above the stall fee {money(flat)}"
        else:
            day_fee, text = flat, f"Stall fee {money(flat)}, above {text}"
    extra = max(0, day_fee - charged)
    if charged and extra:
        text += f": {money(extra)} more than charged at booking"
    return extra, (text + "." if extra else "")


def _clean_amounts(market: Market, amounts) -> dict[str, int]:
    """``{currency: cents}`` for every currency of the market (a missing one is 0); refuses
    a currency the market does not use, and amounts that are not whole cents from 0 to
    ``MAX_AMOUNT_CENTS``."""
    if not isinstance(amounts, dict):
        raise ValidationFailedError(fields={"amounts": ["Give an amount per currency."]})
    errors = {}
    for code in amounts:
        if code not in market.sales_currencies:
            known = ", ".join(market.sales_currencies)
            errors[str(code)] = [f"This market does not take “{code}”. It takes: {known}."]
    cleaned = {}
    for code in market.sales_currencies:
        value = amounts.get(code, 0)
        if isinstance(value, bool) or not isinstance(value, int):
            errors[code] = ["Give a whole number of cents."]
        elif not 0 <= value <= MAX_AMOUNT_CENTS:
            limit = format_money(MAX_AMOUNT_CENTS, market.currency)
            errors[code] = [f"Give an amount from 0 to {limit}."]
        else:
            cleaned[code] = value
    if errors:
        raise ValidationFailedError(fields=errors)
    return cleaned


def _booking_for_report(user: User, booking_id: UUID, *, as_organizer: bool) -> Booking:
    """The booking, locked, if ``user`` may report for it: their own vendor's, or one of
    their markets' (as organizer); anything else is not found."""
    bookings = Booking.objects.select_for_update(no_key=True, of=("self",)).select_related(
        "market_day__market", "stall", "vendor"
    )
    if as_organizer:
        bookings = bookings.filter(market_day__market__in=market_list(user=user))
    else:
        bookings = bookings.filter(vendor__in=Vendor.objects.filter(user=user))
    booking = bookings.filter(pk=booking_id).first() if user.is_authenticated else None
    if booking is None:
        raise SalesBookingNotFoundError()
    return booking


def _check_reportable(booking: Booking) -> None:
    market_day = booking.market_day
    date = str(market_day.date)
    if booking.is_cancelled:
        raise SalesDayNotReportableError("This booking was cancelled.", extra={"date": date})
    if market_day.status == MarketDay.Status.CANCELLED:
        raise SalesDayNotReportableError("This market day was cancelled.", extra={"date": date})
    if timezone.now() < market_day.starts_at:
        raise SalesDayNotReportableError(extra={"date": date})
    if booking.attendance == Booking.Attendance.NO_SHOW:
        raise SalesDayNotReportableError(
            "You were marked a no-show on this day.", extra={"date": date}
        )


def sales_day_settled(booking: Booking, report: SalesReport | None) -> bool:
    """The day's sales fee is settled (paid or waived), or its report's tokens are: its
    sales can no longer change."""
    return booking.sales_fee_status != Booking.PaymentStatus.UNPAID or bool(
        report is not None and report.settlement_id
    )


@transaction.atomic
def sales_report_submit(
    *,
    user: User,
    booking_id: UUID,
    amounts: dict,
    reason: str = "",
    as_organizer: bool = False,
) -> SalesReport:
    """Report (or revise, with ``reason``) a booked day's sales by currency, and set the
    day's sales fee by the market's rule. A vendor reports their own bookings, and revises
    until the market's deadline; the organizer reports or revises any booking of their
    markets (a paper slip, a correction) at any time. Both stop once the day is settled.

    Raises SalesBookingNotFoundError, SalesDayNotReportableError (cancelled, not started,
    a no-show), ValidationFailedError (amounts, reason), SalesReportExistsError (a second
    report without a reason), SalesReportClosedError (a vendor revising past the deadline),
    SalesReportSettledError.
    """
    booking = _booking_for_report(user, booking_id, as_organizer=as_organizer)
    market = booking.market_day.market
    _check_reportable(booking)
    cleaned = _clean_amounts(market, amounts)
    report = SalesReport.objects.select_for_update(no_key=True).filter(booking=booking).first()
    if sales_day_settled(booking, report):
        raise SalesReportSettledError(extra={"date": str(booking.market_day.date)})
    reason = (reason or "").strip()
    if len(reason) > REVISION_REASON_MAX_LENGTH:
        raise ValidationFailedError(
            fields={"reason": [f"At most {REVISION_REASON_MAX_LENGTH} characters."]}
        )
    deadline = market.sales_report_deadline(booking.market_day.date)
    past_deadline = market.today() > deadline
    now = timezone.now()
    if report is None:
        report = SalesReport(
            booking=booking,
            market=market,
            market_day=booking.market_day,
            vendor=booking.vendor,
            reported_by=user,
            late=past_deadline,
        )
        action, message = ADDITION, "Reported sales"
    else:
        if not reason:
            raise SalesReportExistsError(extra={"report_id": str(report.pk)})
        if past_deadline and not as_organizer:
            raise SalesReportClosedError(extra={"deadline": str(deadline)})
        SalesReportRevision.objects.create(
            report=report,
            amounts=report.amounts,
            gross_cents=report.gross_cents,
            reason=reason,
            revised_by=user,
        )
        report.revised_at = now
        action, message = CHANGE, "Revised sales"
    for code in SalesCurrency.values:
        setattr(report, amount_field(code), cleaned.get(code, 0))
    report.gross_cents = sum(cleaned.values())
    report.save()
    booking.sales_fee_cents, booking.sales_fee_note = sales_fee(
        booking, report.gross_cents, on_time=not report.late
    )
    booking.save(update_fields=["sales_fee_cents", "sales_fee_note", "updated_at"])
    money = format_money(report.gross_cents, market.currency)
    audit_record(
        user=user,
        obj=report,
        message=f"{message} of {booking.vendor.business_name} for "
        f"{date_format(booking.market_day.date)}: gross {money}"
        + (" (late)" if report.late and action == ADDITION else "")
        + (f". Reason: {reason}" if action == CHANGE else "."),
        action=action,
    )
    return report


# -- the flat fallback: a day not reported by the deadline pays the stall's daily price --------


def _fallback_candidates():
    """Bookings that may owe the fallback: active, on a scheduled day of a market whose rule
    is not flat, not reported, the sales fee unpaid and not yet set."""
    return Booking.objects.filter(
        ACTIVE,
        market_day__status=MarketDay.Status.SCHEDULED,
        sales_report__isnull=True,
        sales_fee_status=Booking.PaymentStatus.UNPAID,
        sales_fee_cents=0,
        sales_fee_note="",
    ).exclude(market_day__market__sales_fee_rule=Market.SalesFeeRule.FLAT)


def sales_fallbacks_apply(*, now: datetime.datetime | None = None) -> int:
    """What ``manage.py apply_sales_fallbacks`` runs daily: every booking of a scheduled day
    whose report deadline (``Market.sales_report_deadline``, at the market) has passed with
    no report gets the fee of a day not reported, ``sales_fee(booking, None, on_time=False)``
    (under ``percent``: the stall's daily price). One transaction per market, with its
    candidate bookings locked (as ``sales_report_submit`` locks the booking it reports), then
    checked again: a report that committed first wins, and two runs at once set each fee
    once. A report after the fallback replaces it (late: the same fee). Returns how many
    bookings got a fee."""
    now = now or timezone.now()
    # A day's margin: the deadline is the market's own date (UTC-12 to UTC+14).
    last_date = now.date() + datetime.timedelta(days=1)
    market_ids = (
        _fallback_candidates()
        .filter(market_day__date__lt=last_date)
        .values_list("market_day__market_id", flat=True)
        .distinct()
        .order_by("market_day__market_id")
    )
    return sum(_sales_fallbacks_apply_market(market_id, now) for market_id in list(market_ids))


@transaction.atomic
def _sales_fallbacks_apply_market(market_id: UUID, now: datetime.datetime) -> int:
    market = Market.objects.select_related("organizer").get(pk=market_id)
    today = now.astimezone(market.tz).date()
    bookings = list(
        _fallback_candidates()
        .select_for_update(no_key=True, of=("self",))
        .filter(market_day__market=market, market_day__date__lt=today)
        .select_related("market_day", "stall", "vendor")
        .order_by("pk")
    )
    # Read after the locks: a report that committed while we waited is seen here.
    reported = set(
        SalesReport.objects.filter(booking__in=bookings).values_list("booking_id", flat=True)
    )
    changed = []
    for booking in bookings:
        booking.market_day.market = market
        if booking.pk in reported or today <= market.sales_report_deadline(booking.market_day.date):
            continue
        # Read under the lock: a fee another run set meanwhile left the row out of the query.
        fee, note = sales_fee(booking, None, on_time=False)
        if not fee:
            continue
        booking.sales_fee_cents, booking.sales_fee_note, booking.updated_at = fee, note, now
        changed.append(booking)
    Booking.objects.bulk_update(changed, ["sales_fee_cents", "sales_fee_note", "updated_at"])
    audit_records(
        user=market.organizer,
        entries=[
            (
                booking,
                f"No sales reported for {date_format(booking.market_day.date)} by the "
                f"deadline: sales fee {format_money(booking.sales_fee_cents, market.currency)} "
                "(the flat fallback).",
                CHANGE,
            )
            for booking in changed
        ],
    )
    return len(changed)


# -- reminders --------------------------------------------------------------------------------


def sales_reminder_record(
    *, vendor_id: UUID, sent_on: datetime.date, booking_ids: list[str]
) -> SalesReminder | None:
    """Record that vendor ``vendor_id`` is reminded on ``sent_on`` of ``booking_ids``; None
    when they were already that day (``insert_once`` on the unique (vendor, sent_on)). Call
    inside the transaction that enqueues the e-mail."""
    return insert_once(SalesReminder(vendor_id=vendor_id, sent_on=sent_on, bookings=booking_ids))


def sales_reminders_send(*, today: datetime.date) -> list[SalesReminder]:
    """E-mail every vendor who has booked days not reported whose deadline has not passed one
    reminder listing them (with a link to set up their account if they have none), across
    markets: at most one a day per vendor (``sales_reminder_record``). One transaction per
    vendor, its record and its e-mail (``enqueue_email``) together. Safe to run again, and
    twice at once."""
    sent = []
    for vendor_id, days in days_to_remind().items():
        with transaction.atomic():
            reminder = sales_reminder_record(
                vendor_id=vendor_id,
                sent_on=today,
                booking_ids=[str(booking.pk) for booking in days],
            )
            if reminder is None:
                continue
            enqueue_email(send_sales_reminder, reminder_id=str(reminder.pk))
        sent.append(reminder)
    return sent
