"""Writes of the platform core: accounts (sign-up), markets and market days."""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from marketflow import plans, tasks
from marketflow.audit import CHANGE, audit_record, audit_records
from marketflow.email_tasks import enqueue_email
from marketflow.errors import (
    ApiTokenNotFoundError,
    InvalidTransitionError,
    LinkInvalidError,
    MarketDayDateTakenError,
    MarketDayHasBookingsError,
    MarketDayInPastError,
    MarketHasBookingsError,
    MarketSlugTakenError,
    NotAnOrganizerError,
    ValidationFailedError,
)
from marketflow.models import (
    MARKET_DAY_TRANSITIONS,
    ApiToken,
    Market,
    MarketDay,
    SuppressedAddress,
    User,
    normalize_email,
)
from marketflow.selectors import (
    get_or_raise,
    manages_markets,
    market_day_get_for_update,
    market_get_for_update,
    public_market_forget,
    unverified_accounts,
    user_token_list,
)
from marketflow.tokens import decode_id, email_verification_token
from marketflow.validation import full_clean, only_fields, validate_new_password

MARKET_EDITABLE_FIELDS = (
    "name",
    "slug",
    "description",
    "location",
    "timezone",
    "currency",
    "is_active",
    "accepted_categories",
    "required_document_types",
    "late_cancellation_hours",
    "no_show_fee_cents",
    "expiring_document_types",
    "waitlist_order",
    "cancelled_day_policy",
    "sales_currencies",
    "gross_sales_definition",
    "sales_fee_rule",
    "sales_fee_percent",
    "sales_fee_cap_cents",
    "sales_report_days",
)
# The sales part of them (the admin's "Sales and fees" fieldset).
MARKET_SALES_FIELDS = MARKET_EDITABLE_FIELDS[-6:]
# What an organizer sets on a market day; its status changes through market_day_cancel and
# market_day_reinstate (MARKET_DAY_TRANSITIONS), or a ``status`` given to market_day_update.
MARKET_DAY_FIELDS = ("date", "start_time", "end_time", "note")


def _organizer(*, email: str, full_name: str = "", plan: str = User.Plan.FREE) -> User:
    """A new organizer account, checked, not saved, without a password."""
    if plan not in User.Plan.values:
        raise ValidationFailedError(
            fields={"plan": [f"Choose one of {', '.join(User.Plan.values)}."]}
        )
    user = User(
        # Normalized before validation: field validators run before ``User.clean``.
        email=normalize_email(email),
        full_name=full_name,
        is_organizer=True,
        is_staff=True,
        plan=plan,
    )
    full_clean(user, exclude=["password"])
    return user


def organizer_create(
    *, email: str, password: str, plan: str = User.Plan.FREE, full_name: str = ""
) -> User:
    """A new organizer who can sign in to the API and the admin site."""
    user = _organizer(email=email, full_name=full_name, plan=plan)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationFailedError(
            fields={"email": ["An account with this e-mail already exists."]}
        ) from None
    return user


RowT = TypeVar("RowT", bound=models.Model)


def insert_once(row: RowT) -> RowT | None:
    """Insert ``row`` unless a unique constraint holds its twin: ``row``, or None when the
    twin was there (one ``INSERT ... ON CONFLICT DO NOTHING``: a concurrent insert of the same
    twin waits for the other transaction to commit, then inserts nothing). Inside the
    transaction that does what the row records (an e-mail enqueued), the two commit together,
    once."""
    type(row).objects.bulk_create([row], ignore_conflicts=True)
    return row if type(row).objects.filter(pk=row.pk).exists() else None


def account_claim(*, candidate: User) -> User:
    """The account holding ``candidate``'s e-mail, locked: ``candidate``, inserted now, or the
    account that held the address already. Call inside a transaction.

    ``INSERT ... ON CONFLICT DO NOTHING``, then a locking read, as vendor_get_or_create: a
    racing insert of the same address waits for the other transaction, then finds its row. A
    row deleted while we waited for its lock is skipped, so we try again.
    """
    while True:
        User.objects.bulk_create([candidate], ignore_conflicts=True)
        holder = User.objects.select_for_update().filter(email=candidate.email).first()
        if holder is not None:
            return holder


@transaction.atomic
def user_token_create(*, user: User) -> tuple[ApiToken, str]:
    """A new API token for ``user``, valid for ``REST_KNOX["TOKEN_TTL"]``, and its secret,
    which is shown once: only its digest is stored. The user's dead tokens (expired, or
    issued under an older password) are deleted with it."""
    ApiToken.objects.filter(user=user).exclude(pk__in=user_token_list(user=user)).delete()
    return ApiToken.objects.create(user=user, password_check=user.get_session_auth_hash())


def user_token_revoke(*, user: User, token_id: UUID) -> None:
    """End one of the user's own API tokens. Raises ApiTokenNotFoundError (another user's too)."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise ApiTokenNotFoundError()


def user_tokens_revoke(*, user: User) -> None:
    """End every API token of ``user``: sign-out everywhere, a password reset, a sign-up
    again over an unverified one, e-mail verification. A password changed any other way
    ends them too (marketflow/authentication.py)."""
    ApiToken.objects.filter(user=user).delete()


def unverified_accounts_purge() -> int:
    """Delete the sign-ups nobody verified within ``MARKETFLOW_UNVERIFIED_ACCOUNT_DAYS``; how
    many. Safe to run again, and next to sign-ups: the rows are locked and checked again, so
    one signed up again meanwhile (a new expiry) stays."""
    cutoff = timezone.now() - datetime.timedelta(days=settings.MARKETFLOW_UNVERIFIED_ACCOUNT_DAYS)
    expired = unverified_accounts().filter(date_joined__lt=cutoff).select_for_update()
    _, deleted = User.objects.filter(pk__in=list(expired.values_list("pk", flat=True))).delete()
    return deleted.get(User._meta.label, 0)


def _save_market(market: Market) -> None:
    try:  # no savepoint: the error ends the (atomic) caller's transaction
        market.save()
    except IntegrityError:
        raise MarketSlugTakenError(extra={"slug": market.slug}) from None


@transaction.atomic
def market_create(*, organizer: User, **fields) -> Market:
    """Create a market for ``organizer``.

    Locks the organizer's user row, so two concurrent creations cannot both pass the free
    plan's one-market limit. Raises NotAnOrganizerError, PlanLimitReachedError,
    ValidationFailedError, MarketSlugTakenError.
    """
    if not manages_markets(organizer):
        raise NotAnOrganizerError()
    locked = User.objects.select_for_update(no_key=True).get(pk=organizer.pk)
    plans.market_limit_check(
        organizer=locked, count_markets=Market.objects.filter(organizer=locked).count
    )
    market = Market(organizer=locked, **only_fields(fields, MARKET_EDITABLE_FIELDS))
    full_clean(market, exclude=["organizer"])
    _save_market(market)
    return market


@transaction.atomic
def market_update(*, user: User, market_id: UUID, **fields) -> Market:
    """Change a market's details. Locks the market row."""
    market = market_get_for_update(user=user, market_id=market_id)
    changes = only_fields(fields, MARKET_EDITABLE_FIELDS)
    for name, value in changes.items():
        setattr(market, name, value)
    full_clean(market, exclude=["organizer"])
    _save_market(market)
    return market


@transaction.atomic
def market_delete(*, user: User, market_id: UUID) -> None:
    """Delete a market with its stalls, days and applications; refused once it has bookings."""
    market = market_get_for_update(user=user, market_id=market_id)
    try:
        market.delete()
    except ProtectedError:
        raise MarketHasBookingsError() from None


def _save_market_day(market_day: MarketDay) -> None:
    try:  # no savepoint: the error ends the (atomic) caller's transaction
        market_day.save()
    except IntegrityError:
        raise MarketDayDateTakenError(extra={"date": str(market_day.date)}) from None


@transaction.atomic
def market_day_create(
    *,
    user: User,
    market_id: UUID,
    date: datetime.date,
    start_time: datetime.time,
    end_time: datetime.time,
    note: str = "",
) -> MarketDay:
    """Schedule a market day. Locks the market. Raises MarketDayInPastError (a date before
    today at the market), MarketDayDateTakenError, ValidationFailedError."""
    market = market_get_for_update(user=user, market_id=market_id)
    if date < market.today():
        raise MarketDayInPastError(
            "Market days cannot be scheduled in the past.", extra={"date": str(date)}
        )
    market_day = MarketDay(
        market=market, date=date, start_time=start_time, end_time=end_time, note=note
    )
    full_clean(market_day, exclude=["market"])
    _save_market_day(market_day)
    return market_day


def _market_day_lock(*, user: User, market_id: UUID, market_day_id: UUID) -> MarketDay:
    """Lock the market, then its day (the order of every market-day write); a day that has
    passed is a record and cannot change. Raises MarketDayInPastError."""
    market = market_get_for_update(user=user, market_id=market_id)
    market_day = market_day_get_for_update(market=market, market_day_id=market_day_id)
    if market_day.date < market.today():
        raise MarketDayInPastError(extra={"date": str(market_day.date)})
    return market_day


def _transition(market_day: MarketDay, target: str) -> str:
    """Set ``target`` as MARKET_DAY_TRANSITIONS allows; the message for the day's history."""
    if target not in MarketDay.Status.values:
        raise ValidationFailedError(fields={"status": [f"“{target}” is not a market day status."]})
    if target not in MARKET_DAY_TRANSITIONS[market_day.status]:
        raise InvalidTransitionError(current=market_day.status, target=target)
    previous = market_day.get_status_display()
    market_day.status = target
    return f"{market_day.get_status_display()} (was {previous.lower()})."


@transaction.atomic
def market_day_update(
    *,
    user: User,
    market_id: UUID,
    market_day_id: UUID,
    on_status_change: Callable[[MarketDay], None] | None = None,
    on_retime: Callable[[MarketDay, tuple[datetime.time, datetime.time]], None] | None = None,
    **fields,
) -> MarketDay:
    """Reschedule or re-time a market day; a ``status`` other than its own cancels or
    reinstates it, as market_day_cancel and market_day_reinstate do, and then calls
    ``on_status_change`` with the day, in the same transaction, the day still locked (what
    a higher app does about it: the stalls app settles the day's fees). New times of a day
    that takes place call ``on_retime`` with the day and its former (start, end), likewise
    (the stalls app tells the booked vendors). Locks the market, then
    the day. Raises MarketDayInPastError (the day has passed, or would move into the past),
    MarketDayHasBookingsError (a booked day moved), InvalidTransitionError,
    MarketDayDateTakenError, ValidationFailedError."""
    market_day = _market_day_lock(user=user, market_id=market_id, market_day_id=market_day_id)
    changes = only_fields(fields, (*MARKET_DAY_FIELDS, "status"))
    target = changes.pop("status", market_day.status)
    history = _transition(market_day, target) if target != market_day.status else None
    if "date" in changes and changes["date"] != market_day.date:
        if changes["date"] < market_day.market.today():
            raise MarketDayInPastError(
                "A market day cannot be moved into the past.", extra={"date": str(changes["date"])}
            )
        if market_day.bookings.exists():
            raise MarketDayHasBookingsError(
                "This market day has bookings; cancel it and schedule a new one instead."
            )
    times = (market_day.start_time, market_day.end_time)
    for name, value in changes.items():
        setattr(market_day, name, value)
    full_clean(market_day, exclude=["market"])
    _save_market_day(market_day)
    if history:
        audit_record(user=user, obj=market_day, message=history)
        if on_status_change is not None:
            on_status_change(market_day)
    retimed = times != (market_day.start_time, market_day.end_time)
    if retimed and not market_day.is_cancelled and on_retime is not None:
        on_retime(market_day, times)
    return market_day


def _market_day_set_status(*, user: User, market_id: UUID, market_day_id: UUID, target: str):
    market_day = _market_day_lock(user=user, market_id=market_id, market_day_id=market_day_id)
    history = _transition(market_day, target)
    market_day.save(update_fields=["status", "updated_at"])
    audit_record(user=user, obj=market_day, message=history)
    return market_day


@transaction.atomic
def market_day_cancel(*, user: User, market_id: UUID, market_day_id: UUID) -> MarketDay:
    """Cancel a market day still to come. It keeps its bookings (records, and their fees can
    still be marked paid, waived or refunded) and takes no new ones. Locks the market, then
    the day, so a booking being made waits for us or is seen by us. Raises
    MarketDayNotFoundError, MarketDayInPastError, InvalidTransitionError (already cancelled)."""
    return _market_day_set_status(
        user=user,
        market_id=market_id,
        market_day_id=market_day_id,
        target=MarketDay.Status.CANCELLED,
    )


@transaction.atomic
def market_day_reinstate(*, user: User, market_id: UUID, market_day_id: UUID) -> MarketDay:
    """Schedule a cancelled market day again, with the bookings it kept. Locks as
    market_day_cancel does. Raises MarketDayNotFoundError, MarketDayInPastError,
    InvalidTransitionError (not cancelled)."""
    return _market_day_set_status(
        user=user,
        market_id=market_id,
        market_day_id=market_day_id,
        target=MarketDay.Status.SCHEDULED,
    )


@transaction.atomic
def market_day_delete(*, user: User, market_id: UUID, market_day_id: UUID) -> None:
    """Remove a market day; refused once it has bookings (cancel it instead)."""
    market = market_get_for_update(user=user, market_id=market_id)
    market_day = market_day_get_for_update(market=market, market_day_id=market_day_id)
    try:
        market_day.delete()
    except ProtectedError:
        raise MarketDayHasBookingsError() from None


MAX_WEEKLY_SCHEDULE_DAYS = 366


@dataclass(frozen=True)
class WeeklySchedule:
    created: list[MarketDay]
    skipped_dates: list[datetime.date]  # dates the market already had a day on


@transaction.atomic
def market_day_create_weekly(
    *,
    user: User,
    market_id: UUID,
    start_date: datetime.date,
    end_date: datetime.date,
    weekdays: Iterable[int],
    start_time: datetime.time,
    end_time: datetime.time,
    note: str = "",
) -> WeeklySchedule:
    """Schedule a market day on each chosen weekday (0 = Monday) from ``start_date`` to
    ``end_date`` inclusive, skipping dates the market already has a day on.

    Locks the market: every market-day write locks it first, so the existing dates read here
    cannot change before the insert. Raises MarketNotFoundError, ValidationFailedError,
    MarketDayInPastError (a start before today at the market), MarketDayDateTakenError.
    """
    market = market_get_for_update(user=user, market_id=market_id)
    weekdays = sorted(set(weekdays))
    problems: dict[str, list[str]] = {}
    if end_date < start_date:
        problems["end_date"] = ["The end date must not be before the start date."]
    elif (end_date - start_date).days >= MAX_WEEKLY_SCHEDULE_DAYS:
        problems["end_date"] = [f"Schedule at most {MAX_WEEKLY_SCHEDULE_DAYS} days at once."]
    if not weekdays or not all(day in range(7) for day in weekdays):
        problems["weekdays"] = ["Choose at least one weekday (0 = Monday to 6 = Sunday)."]
    if start_time >= end_time:
        problems["end_time"] = ["The end time must be after the start."]
    if problems:
        raise ValidationFailedError(fields=problems)
    if start_date < market.today():
        raise MarketDayInPastError(
            "Market days cannot be scheduled in the past.", extra={"date": str(start_date)}
        )
    span = (end_date - start_date).days + 1
    dates = [
        date
        for date in (start_date + datetime.timedelta(days=offset) for offset in range(span))
        if date.weekday() in weekdays
    ]
    existing = set(
        MarketDay.objects.filter(market=market, date__in=dates).values_list("date", flat=True)
    )
    new_days = [
        MarketDay(market=market, date=date, start_time=start_time, end_time=end_time, note=note)
        for date in dates
        if date not in existing
    ]
    for market_day in new_days:
        full_clean(market_day, exclude=["market"])
    try:  # no savepoint: the error ends the transaction
        MarketDay.objects.bulk_create(new_days)
    except IntegrityError:
        raise MarketDayDateTakenError() from None
    public_market_forget(market_id=market.pk)  # bulk_create sends no post_save
    return WeeklySchedule(created=new_days, skipped_dates=sorted(existing))


@transaction.atomic
def organizer_sign_up(*, email: str, password: str, full_name: str = "") -> None:
    """Sign up as an organizer: the account stays inactive until its address is verified.

    Answers the same whether or not the address is known; the e-mail to it says what
    happened. A new address, or one held by an unverified sign-up (whose password, name and
    expiry the newest sign-up replaces, ending its links and tokens), gets a verification
    link; the owner of any other account a note that someone tried to sign up with their
    address. Locks the account with that address. Raises ValidationFailedError (the e-mail,
    a weak ``password``) before anything is looked up.
    """
    candidate = _organizer(email=email, full_name=full_name)
    validate_new_password(password, user=candidate)
    candidate.set_password(password)  # hashed on every path, so no answer is quicker
    candidate.is_active = False
    holder = account_claim(candidate=candidate)
    if holder.pk != candidate.pk:
        if not unverified_accounts().filter(pk=holder.pk).exists():
            enqueue_email(tasks.send_sign_up_attempt_notice, user_id=str(holder.pk))
            return
        holder.password, holder.full_name = candidate.password, candidate.full_name
        holder.date_joined = timezone.now()
        holder.save(update_fields=["password", "full_name", "date_joined", "updated_at"])
        user_tokens_revoke(user=holder)
    enqueue_email(tasks.send_organizer_verification, user_id=str(holder.pk))


@transaction.atomic
def organizer_verification_resend(*, email: str) -> None:
    """Send the verification link again to the unverified sign-up with this address; to any
    other address nothing. Callers answer the same either way (nothing tells whether an
    account exists). The sign-up's password and expiry stay as they were."""
    holder = unverified_accounts().filter(email=normalize_email(email)).first()
    if holder is not None:
        enqueue_email(tasks.send_organizer_verification, user_id=str(holder.pk))


@transaction.atomic
def organizer_verify_email(*, uidb64: str, token: str) -> User:
    """Follow the verification link: activate the organizer, who can then sign in to the
    admin site. The token signs the account's state, so it works once, and not after a newer
    sign-up. Locks the user row. Raises LinkInvalidError."""
    pending = unverified_accounts().select_for_update(no_key=True)
    user = get_or_raise(pending, LinkInvalidError, pk=decode_id(uidb64))
    if not email_verification_token.check_token(user, token):
        raise LinkInvalidError()
    user.is_active = True
    user.save(update_fields=["is_active", "updated_at"])
    user_tokens_revoke(user=user)
    return user


# -- e-mail addresses that bounced -------------------------------------------------------------


@transaction.atomic
def email_suppress(
    *, email: str, kind: str, reason: str = "", provider_event_id: str = ""
) -> SuppressedAddress:
    """Record that mail to ``email`` bounced or was reported as spam (``kind``): nothing more
    is sent to it until the flag is cleared. Recording it again (a webhook delivered twice, a
    second bounce) updates the one row; two at once leave one row (the unique address)."""
    suppressed, _created = SuppressedAddress.objects.update_or_create(
        email=normalize_email(email),
        defaults={
            "kind": kind,
            "reason": (reason or "")[:500],
            "provider_event_id": (provider_event_id or "")[:200],
        },
    )
    return suppressed


@transaction.atomic
def email_suppression_clear(*, user: User, holders: Iterable) -> int:
    """Clear the bounce flag of ``holders`` (vendors or users the caller may see: the admin
    passes its scoped selection), so they are mailed again; each cleared one is recorded in its
    history. Returns how many were flagged."""
    by_email = {normalize_email(holder.email): holder for holder in holders}
    flagged = list(
        SuppressedAddress.objects.select_for_update()
        .filter(email__in=by_email)
        .values_list("email", flat=True)
    )
    SuppressedAddress.objects.filter(email__in=flagged).delete()
    audit_records(
        user=user,
        entries=[(by_email[email], "Cleared the e-mail bounce flag.", CHANGE) for email in flagged],
    )
    return len(flagged)
