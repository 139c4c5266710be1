"""Writes of the platform core: markets and market days."""

import datetime
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from marketflow.errors import (
    MarketDayDateTakenError,
    MarketDayHasBookingsError,
    MarketDayInPastError,
    MarketHasBookingsError,
    MarketSlugTakenError,
    NotAnOrganizerError,
    PlanLimitReachedError,
    ValidationFailedError,
)
from marketflow.models import Market, MarketDay, User
from marketflow.selectors import market_day_get_for_update, market_get_for_update
from marketflow.validation import full_clean

FREE_PLAN_MAX_MARKETS = 1
FREE_PLAN_MAX_ACTIVE_VENDORS = 20

MARKET_EDITABLE_FIELDS = (
    "name",
    "slug",
    "description",
    "location",
    "timezone",
    "currency",
    "is_active",
)
MARKET_DAY_EDITABLE_FIELDS = ("date", "start_time", "end_time", "status", "note")


def organizer_create(
    *, email: str, password: str, plan: str = User.Plan.FREE, full_name: str = ""
) -> User:
    """A new organizer who can sign in to the API and the admin site."""
    if plan not in User.Plan.values:
        raise ValidationFailedError(
            fields={"plan": [f"Choose one of {', '.join(User.Plan.values)}."]}
        )
    user = User(email=email, full_name=full_name, is_organizer=True, is_staff=True, plan=plan)
    full_clean(user, exclude=["password"])
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationFailedError(
            fields={"email": ["An account with this e-mail already exists."]}
        ) from None
    return user


def _save_market(market: Market) -> None:
    try:
        with transaction.atomic():  # savepoint, so the caller's transaction survives
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
    if not (organizer.is_organizer or organizer.is_superuser):
        raise NotAnOrganizerError()
    locked = User.objects.select_for_update(no_key=True).get(pk=organizer.pk)
    if not locked.has_paid_plan and not locked.is_superuser:
        owned = Market.objects.filter(organizer=locked).count()
        if owned >= FREE_PLAN_MAX_MARKETS:
            raise PlanLimitReachedError(
                "The free plan includes one market. Upgrade to the paid plan to add more.",
                extra={"limit": FREE_PLAN_MAX_MARKETS, "resource": "markets"},
            )
    market = Market(organizer=locked, **_only(fields, MARKET_EDITABLE_FIELDS))
    full_clean(market, exclude=["organizer"])
    _save_market(market)
    return market


@transaction.atomic
def market_update(*, user: User, market_id: UUID, **fields) -> Market:
    """Change a market's details. Locks the market row."""
    market = market_get_for_update(user=user, market_id=market_id)
    changes = _only(fields, MARKET_EDITABLE_FIELDS)
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


def _only(fields: dict, allowed: tuple[str, ...]) -> dict:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"Unexpected fields: {', '.join(sorted(unknown))}")
    return fields


def _save_market_day(market_day: MarketDay) -> None:
    try:
        with transaction.atomic():
            market_day.save()
    except IntegrityError:
        raise MarketDayDateTakenError(extra={"date": str(market_day.date)}) from None


def _check_market_day(market_day: MarketDay) -> None:
    full_clean(market_day, exclude=["market"])
    if market_day.start_time >= market_day.end_time:
        raise ValidationFailedError(fields={"end_time": ["The end time must be after the start."]})


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
    _check_market_day(market_day)
    _save_market_day(market_day)
    return market_day


@transaction.atomic
def market_day_update(*, user: User, market_id: UUID, market_day_id: UUID, **fields) -> MarketDay:
    """Reschedule, re-time or cancel a market day. Locks the market day.

    A day that has passed cannot be edited, and no day can be moved into the past.
    """
    market = market_get_for_update(user=user, market_id=market_id)
    market_day = market_day_get_for_update(market=market, market_day_id=market_day_id)
    today = market.today()
    if market_day.date < today:
        raise MarketDayInPastError(extra={"date": str(market_day.date)})
    changes = _only(fields, MARKET_DAY_EDITABLE_FIELDS)
    if "date" in changes and changes["date"] != market_day.date:
        if changes["date"] < today:
            raise MarketDayInPastError(
                "A market day cannot be moved into the past.", extra={"date": str(changes["date"])}
            )
        if market_day.bookings.exists():
            raise MarketDayHasBookingsError(
                "This market day has bookings; cancel it and schedule a new one instead."
            )
    for name, value in changes.items():
        setattr(market_day, name, value)
    _check_market_day(market_day)
    _save_market_day(market_day)
    return market_day


@transaction.atomic
def market_day_delete(*, user: User, market_id: UUID, market_day_id: UUID) -> None:
    """Remove a market day; refused once it has bookings (cancel it instead)."""
    market = market_get_for_update(user=user, market_id=market_id)
    market_day = market_day_get_for_update(market=market, market_day_id=market_day_id)
    try:
        market_day.delete()
    except ProtectedError:
        raise MarketDayHasBookingsError() from None
