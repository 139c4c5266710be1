"""Writes of seasons: a season's market days follow its pattern, its full-season vendors are
booked on them.

What a change of a season does to its market days (one transaction, under the market's lock,
then the season's, then its days', as every market-day write and booking takes them):

- a date of the schedule still to come without a day: a day is created, and every full-season
  vendor is booked on it (``booking_create``'s rules; a day where their stall or they are
  taken is skipped and reported);
- a day of the season whose times changed: re-timed (its bookings stay);
- a day of the season that left the schedule (a skipped or moved date, a changed pattern or
  range): deleted if it has no bookings, else cancelled as any day is
  (``market_day_update_with_fees``: kept with its bookings, its vendors e-mailed, their
  fees credited or refunded by the market's policy). A move is such a drop and a creation;
- a date that already has a market day of another season or made by hand is left alone
  (``taken``), and a cancelled day is never reinstated: an organizer does that by hand.

Days that have passed are records and never change. Seasons do not count against any plan
limit: plans limit markets and active vendors (marketflow/plans.py), not market days.

Season fee: a full-season vendor of a season with ``fee_cents`` pays it over the season's days
still to come when they join: each day's booking carries an equal share in cents, the
remainder on the first day; a day skipped (stall taken) carries nothing, so it is not paid
for; days added to the season later are booked at no fee (the season fee covers them). Without
a season fee each booking carries the stall's daily price, as any booking does.
"""

import datetime
from dataclasses import dataclass, field
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.formats import date_format

from applications.selectors import application_is_accepted
from marketflow.audit import ADDITION, CHANGE, audit_record
from marketflow.errors import ConflictError, MarketDayDateTakenError, ValidationFailedError
from marketflow.models import MarketDay, User
from marketflow.selectors import market_get, market_get_for_update, public_market_forget
from marketflow.services import market_day_delete
from marketflow.validation import full_clean, only_fields
from seasons.errors import SeasonNameTakenError, SeasonVendorTakenError
from seasons.models import (
    Season,
    SeasonDay,
    SeasonVendor,
    exceptions_json,
    pattern_json,
    season_exceptions,
    weekly_slots,
)
from seasons.selectors import (
    season_days_lock,
    season_get,
    season_get_for_update,
    season_open_days,
    season_vendor_get,
    season_vendor_list,
)
from stalls.errors import VendorNotAcceptedError
from stalls.selectors import stall_get
from stalls.services import booking_create, market_day_update_with_fees

SEASON_FIELDS = ("name", "start_date", "end_date", "weekly_pattern", "exceptions", "fee_cents")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class SkippedBooking:
    date: datetime.date
    vendor: str
    stall: str
    reason: str


@dataclass
class SeasonChanges:
    """What a season's change does (or, previewed, would do) to its market days."""

    created: list[datetime.date] = field(default_factory=list)
    retimed: list[datetime.date] = field(default_factory=list)
    cancelled: list[tuple[datetime.date, int]] = field(default_factory=list)  # with bookings
    deleted: list[datetime.date] = field(default_factory=list)
    taken: list[datetime.date] = field(default_factory=list)
    full_season_vendors: int = 0  # booked on each created day
    booked: int = 0
    skipped: list[SkippedBooking] = field(default_factory=list)

    @property
    def cancelled_bookings(self) -> int:
        return sum(count for _date, count in self.cancelled)

    def summary(self, *, done: bool = False) -> str:
        """``This change will create 4 days, cancel 1 day with 3 bookings.``; ``done``:
        ``Created 4 days, cancelled 1 day with 3 bookings.``"""
        n = len
        members = _plural(self.full_season_vendors, "full-season vendor")
        taken = "has" if n(self.taken) == 1 else "have"
        # (will do, did, what): each kind of change that happened
        parts = [
            part
            for part, happened in [
                (("create", "created", f"{_plural(n(self.created), 'day')}"), self.created),
                (
                    ("book", "booked", f"{members} on each new day"),
                    self.created and self.full_season_vendors,
                ),
                (
                    ("change", "changed", f"the times of {_plural(n(self.retimed), 'day')}"),
                    self.retimed,
                ),
                (
                    (
                        "cancel",
                        "cancelled",
                        f"{_plural(n(self.cancelled), 'day')} with "
                        f"{_plural(self.cancelled_bookings, 'booking')}",
                    ),
                    self.cancelled,
                ),
                (
                    ("delete", "deleted", f"{_plural(n(self.deleted), 'day')} without bookings"),
                    self.deleted,
                ),
                (
                    (
                        "leave",
                        "left",
                        f"{_plural(n(self.taken), 'date')} that already {taken} another market day",
                    ),
                    self.taken,
                ),
            ]
            if happened
        ]
        if done:
            text = ", ".join(f"{did} {what}" for _do, did, what in parts) or (
                "no market days created, moved or cancelled"
            )
            if self.skipped:
                text += f"; {_plural(n(self.skipped), 'full-season booking')} not made"
            return text[0].upper() + text[1:] + "."
        if not parts:
            return "This change creates, moves or cancels no market days."
        return "This change will " + ", ".join(f"{do} {what}" for do, _did, what in parts) + "."


@dataclass(frozen=True)
class SeasonSaved:
    season: Season
    changes: SeasonChanges


@dataclass
class _Plan:
    create: list[tuple[datetime.date, datetime.time, datetime.time]] = field(default_factory=list)
    retime: list[tuple[MarketDay, datetime.time, datetime.time]] = field(default_factory=list)
    cancel: list[MarketDay] = field(default_factory=list)
    delete: list[MarketDay] = field(default_factory=list)
    taken: list[datetime.date] = field(default_factory=list)

    def changes(self, full_season_vendors: int) -> SeasonChanges:
        return SeasonChanges(
            created=[date for date, _start, _end in self.create],
            retimed=[day.date for day, _start, _end in self.retime],
            cancelled=[(day.date, day.booking_count) for day in self.cancel],
            deleted=[day.date for day in self.delete],
            taken=self.taken,
            full_season_vendors=full_season_vendors if self.create else 0,
        )


def _season_with(season: Season, fields: dict) -> Season:
    """``season`` with ``fields`` set and checked, its pattern and exceptions in their stored
    form (JSON; callers may give dates and times). Raises ValidationFailedError."""
    fields = only_fields(fields, SEASON_FIELDS)
    for name, parse, stored in (
        ("weekly_pattern", weekly_slots, pattern_json),
        ("exceptions", season_exceptions, exceptions_json),
    ):
        if name in fields:
            try:
                fields[name] = stored(parse(fields[name]))
            except ValidationError as error:
                raise ValidationFailedError(fields={name: error.messages}) from None
    for name, value in fields.items():
        setattr(season, name, value)
    full_clean(season, exclude=["market"])
    return season


def _plan(season: Season, *, lock: bool, new: bool = False) -> _Plan:
    """What brings the season's days still to come in line with its schedule. Locked (the
    write), the season's days are locked and their bookings counted under the lock."""
    market = season.market
    today = market.today()
    wanted = {date: times for date, times in season.schedule().items() if date >= today}
    days = [] if new else season_days_lock(season=season, since=today, lock=lock)
    by_date = {day.date: day for day in days}
    others = set(
        MarketDay.objects.filter(market=market, date__in=list(wanted))
        .exclude(pk__in=[day.pk for day in days])
        .values_list("date", flat=True)
    )
    plan = _Plan()
    for date, (start, end) in wanted.items():
        day = by_date.get(date)
        if day is None:
            if date in others:
                plan.taken.append(date)
            else:
                plan.create.append((date, start, end))
        elif (day.start_time, day.end_time) != (start, end):
            plan.retime.append((day, start, end))
    for day in days:
        if day.date in wanted:
            continue
        if not day.booking_count:
            plan.delete.append(day)
        elif day.status == MarketDay.Status.SCHEDULED:
            plan.cancel.append(day)
    return plan


def _book(*, user: User, day: MarketDay, member: SeasonVendor, fee_cents: int | None):
    """Book a full-season vendor on one day by ``booking_create``'s rules: the booking, or
    why not. ``booking_create`` is atomic, so inside our transaction it is a savepoint: its
    refusal rolls back to it and the season's transaction goes on."""
    try:
        return booking_create(
            user=user,
            market_id=day.market_id,
            market_day_id=day.pk,
            stall_id=member.stall_id,
            vendor_id=member.vendor_id,
            fee_cents=fee_cents,
        )
    except ConflictError as refusal:
        return SkippedBooking(
            date=day.date,
            vendor=member.vendor.business_name,
            stall=member.stall.label,
            reason=refusal.message,
        )


def _book_all(changes: SeasonChanges, user: User, bookings) -> None:
    """Run ``bookings`` (day, member, fee) and count them into ``changes``."""
    for day, member, fee_cents in bookings:
        result = _book(user=user, day=day, member=member, fee_cents=fee_cents)
        if isinstance(result, SkippedBooking):
            changes.skipped.append(result)
        else:
            changes.booked += 1


def _apply(user: User, season: Season, plan: _Plan) -> SeasonChanges:
    market = season.market
    members = list(season_vendor_list(season=season))
    changes = plan.changes(len(members))
    ids = {"user": user, "market_id": market.pk}
    for day in plan.delete:
        market_day_delete(**ids, market_day_id=day.pk)
    for day in plan.cancel:
        # As every cancellation of a day: its vendors e-mailed, their fees credited or refunded.
        market_day_update_with_fees(**ids, market_day_id=day.pk, status=MarketDay.Status.CANCELLED)
    for day, start, end in plan.retime:
        market_day_update_with_fees(**ids, market_day_id=day.pk, start_time=start, end_time=end)
    new_days = [
        MarketDay(market=market, date=date, start_time=start, end_time=end)
        for date, start, end in plan.create
    ]
    try:  # the market's lock keeps their dates free from every writer that takes it
        MarketDay.objects.bulk_create(new_days)
    except IntegrityError:  # no savepoint: the error ends the transaction
        raise MarketDayDateTakenError() from None
    SeasonDay.objects.bulk_create([SeasonDay(season=season, market_day=day) for day in new_days])
    public_market_forget(market_id=market.pk)  # bulk_create sends no post_save
    # Days added later are covered by the season fee, if there is one (module docstring).
    fee_cents = None if season.fee_cents is None else 0
    _book_all(changes, user, [(day, m, fee_cents) for day in new_days for m in members])
    audit_record(user=user, obj=season, message=changes.summary(done=True))
    return changes


def _save_season(season: Season) -> None:
    try:  # no savepoint: the error ends the (atomic) caller's transaction
        season.save()
    except IntegrityError:
        raise SeasonNameTakenError(extra={"name": season.name}) from None


@transaction.atomic
def season_create(*, user: User, market_id: UUID, **fields) -> SeasonSaved:
    """A new season of a market, with its market days created. Locks the market. Raises
    MarketNotFoundError, ValidationFailedError, SeasonNameTakenError."""
    market = market_get_for_update(user=user, market_id=market_id)
    season = _season_with(Season(market=market), fields)
    _save_season(season)
    audit_record(user=user, obj=season, message="Created the season.", action=ADDITION)
    return SeasonSaved(
        season=season, changes=_apply(user, season, _plan(season, lock=True, new=True))
    )


@transaction.atomic
def season_update(*, user: User, market_id: UUID, season_id: UUID, **fields) -> SeasonSaved:
    """Change a season; its market days follow (module docstring). Locks the market, the
    season, then its days still to come. Raises MarketNotFoundError, SeasonNotFoundError,
    ValidationFailedError, SeasonNameTakenError."""
    market = market_get_for_update(user=user, market_id=market_id)
    season = _season_with(season_get_for_update(market=market, season_id=season_id), fields)
    _save_season(season)
    return SeasonSaved(season=season, changes=_apply(user, season, _plan(season, lock=True)))


def season_preview(
    *, user: User, market_id: UUID, season_id: UUID | None = None, **fields
) -> SeasonChanges:
    """What ``season_create`` (no ``season_id``) or ``season_update`` with ``fields`` would do
    to the market days; reads only. Raises what they raise, but never a conflict of saving."""
    market = market_get(user=user, market_id=market_id)
    season = (
        Season(market=market)
        if season_id is None
        else season_get(market=market, season_id=season_id)
    )
    season = _season_with(season, fields)
    if season_id is None:
        return _plan(season, lock=False, new=True).changes(0)
    return _plan(season, lock=False).changes(season_vendor_list(season=season).count())


@transaction.atomic
def season_delete(*, user: User, market_id: UUID, season_id: UUID) -> None:
    """Remove a season and its full-season memberships; its market days and bookings stay,
    as ordinary market days. Locks the market, then the season."""
    market = market_get_for_update(user=user, market_id=market_id)
    season = season_get_for_update(market=market, season_id=season_id)
    audit_record(user=user, obj=market, message=f"Deleted the season {season.name}.")
    season.delete()


def fee_shares(total_cents: int, days: int) -> list[int]:
    """A season fee over ``days`` bookings: equal shares, the remainder on the first."""
    if not days:
        return []
    share, remainder = divmod(total_cents, days)
    return [share + remainder] + [share] * (days - 1)


@dataclass(frozen=True)
class FullSeasonBooking:
    season_vendor: SeasonVendor
    booked: int
    skipped: list[SkippedBooking]


@transaction.atomic
def season_vendor_add(
    *, user: User, market_id: UUID, season_id: UUID, vendor_id: UUID, stall_id: UUID
) -> FullSeasonBooking:
    """Make an accepted vendor full-season on ``stall``: booked on every scheduled day of the
    season still to come (``booking_create``'s rules, the season fee split as the module
    docstring says), skipping days where the stall or the vendor is taken, and on every day
    the season adds later. Locks the season (a change of it waits, or we see its days), then
    each day as its booking does. Raises MarketNotFoundError, SeasonNotFoundError,
    StallNotFoundError, VendorNotAcceptedError, SeasonVendorTakenError."""
    market = market_get(user=user, market_id=market_id)
    season = season_get_for_update(market=market, season_id=season_id)
    stall = stall_get(market=market, stall_id=stall_id)
    if not application_is_accepted(market=market, vendor_id=vendor_id):
        raise VendorNotAcceptedError(extra={"vendor_id": str(vendor_id)})
    try:
        with transaction.atomic():
            member = SeasonVendor.objects.create(
                season=season, vendor_id=vendor_id, stall=stall, added_by=user
            )
    except IntegrityError:
        raise SeasonVendorTakenError(extra={"stall": stall.label}) from None
    member = season_vendor_get(season=season, season_vendor_id=member.pk)
    days = season_open_days(season=season)
    shares = (
        fee_shares(season.fee_cents, len(days))
        if season.fee_cents is not None
        else [None] * len(days)
    )
    changes = SeasonChanges()
    _book_all(changes, user, [(day, member, fee) for day, fee in zip(days, shares, strict=True)])
    audit_record(
        user=user,
        obj=season,
        message=f"Made {member.vendor.business_name} full-season on stall {stall.label}: "
        f"booked on {_plural(changes.booked, 'day')}"
        + (
            "; not on " + ", ".join(date_format(skip.date) for skip in changes.skipped)
            if changes.skipped
            else ""
        )
        + ".",
    )
    return FullSeasonBooking(season_vendor=member, booked=changes.booked, skipped=changes.skipped)


@transaction.atomic
def season_vendor_remove(
    *, user: User, market_id: UUID, season_id: UUID, season_vendor_id: UUID
) -> None:
    """A full-season vendor becomes day-by-day: no more bookings on days the season adds.
    Their bookings stay (cancel them on the stall board). Locks the season."""
    season = season_get_for_update(
        market=market_get(user=user, market_id=market_id), season_id=season_id
    )
    member = season_vendor_get(season=season, season_vendor_id=season_vendor_id)
    audit_record(
        user=user,
        obj=season,
        message=f"{member.vendor.business_name} is no longer full-season "
        f"(stall {member.stall.label}).",
        action=CHANGE,
    )
    member.delete()
