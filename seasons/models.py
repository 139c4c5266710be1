"""Seasons: a market's weekly pattern over a date range, the market days it generated and its
full-season vendors.

A season's schedule is pure data (``Season.schedule()``): dates and local times at the market,
never datetimes, so a change of daylight saving time moves nothing. The pattern and the
exceptions are JSON lists checked by the validators below, shared by the API and the admin:

- ``weekly_pattern``: ``[{"weekday": 5, "start_time": "08:00", "end_time": "13:00"}, ...]``
  (0 = Monday), one entry per weekday;
- ``exceptions``: ``[{"date": "2026-07-04"}, ...]`` skips a date of the pattern;
  ``{"date": ..., "moved_to": "2026-07-05", "start_time": "09:00", "end_time": "12:00"}``
  moves it (times optional: the pattern's).
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketflow.models import BaseModel

MAX_SEASON_DAYS = 366
WEEKDAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@dataclass(frozen=True)
class Slot:
    weekday: int
    start_time: datetime.time
    end_time: datetime.time


@dataclass(frozen=True)
class SeasonException:
    date: datetime.date
    moved_to: datetime.date | None = None
    start_time: datetime.time | None = None
    end_time: datetime.time | None = None


def _parse(kind, value, what: str):
    if isinstance(value, kind):
        return value
    try:
        return kind.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(
            _("“%(value)s” is not a %(what)s."), params={"value": value, "what": what}
        ) from None


def _times(item: dict, *, required: bool) -> tuple:
    start, end = item.get("start_time"), item.get("end_time")
    if start is None and end is None and not required:
        return None, None
    if start is None or end is None:
        raise ValidationError(_("Give both a start and an end time."))
    start, end = _parse(datetime.time, start, "time"), _parse(datetime.time, end, "time")
    if start >= end:
        raise ValidationError(_("The end time must be after the start."))
    return start, end


def weekly_slots(value) -> list[Slot]:
    """The weekly pattern as slots; ValidationError for anything else."""
    if not isinstance(value, list) or not value or not all(isinstance(i, dict) for i in value):
        raise ValidationError(_("Give one or more weekdays with a start and an end time."))
    slots = []
    for item in value:
        weekday = item.get("weekday")
        if not isinstance(weekday, int) or isinstance(weekday, bool) or weekday not in range(7):
            raise ValidationError(_("A weekday is a number from 0 (Monday) to 6 (Sunday)."))
        slots.append(Slot(weekday, *_times(item, required=True)))
    if len({slot.weekday for slot in slots}) != len(slots):
        raise ValidationError(_("Each weekday may appear only once."))
    return sorted(slots, key=lambda slot: slot.weekday)


def season_exceptions(value) -> list[SeasonException]:
    """The exception dates; ValidationError for anything else."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValidationError(_("Give a list of exception dates."))
    exceptions = []
    for item in value:
        if "date" not in item:
            raise ValidationError(_("Each exception needs a date."))
        moved_to = item.get("moved_to")
        exceptions.append(
            SeasonException(
                date=_parse(datetime.date, item["date"], "date"),
                moved_to=None if moved_to is None else _parse(datetime.date, moved_to, "date"),
                **dict(zip(("start_time", "end_time"), _times(item, required=False), strict=True)),
            )
        )
    if len({exception.date for exception in exceptions}) != len(exceptions):
        raise ValidationError(_("Each date may have one exception only."))
    return sorted(exceptions, key=lambda exception: exception.date)


def validate_weekly_pattern(value) -> None:
    weekly_slots(value)


def validate_exceptions(value) -> None:
    season_exceptions(value)


def pattern_json(slots: list[Slot]) -> list[dict]:
    return [
        {
            "weekday": slot.weekday,
            "start_time": slot.start_time.strftime("%H:%M"),
            "end_time": slot.end_time.strftime("%H:%M"),
        }
        for slot in slots
    ]


def exceptions_json(exceptions: list[SeasonException]) -> list[dict]:
    rows = []
    for exception in exceptions:
        row = {"date": exception.date.isoformat()}
        if exception.moved_to is not None:
            row["moved_to"] = exception.moved_to.isoformat()
        if exception.start_time is not None:
            row["start_time"] = exception.start_time.strftime("%H:%M")
            row["end_time"] = exception.end_time.strftime("%H:%M")
        rows.append(row)
    return rows


class Season(BaseModel):
    market = models.ForeignKey(
        "marketflow.Market", on_delete=models.CASCADE, related_name="seasons"
    )
    name = models.CharField(max_length=200)
    start_date = models.DateField()
    end_date = models.DateField()
    weekly_pattern = models.JSONField(validators=[validate_weekly_pattern])
    exceptions = models.JSONField(default=list, blank=True, validators=[validate_exceptions])
    fee_cents = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "A full-season vendor's fee for the whole season, in cents; empty: the stall's "
            "daily price on each day."
        ),
    )

    class Meta:
        ordering = ["start_date", "name"]
        constraints = [
            models.UniqueConstraint(fields=["market", "name"], name="season_unique_name"),
            models.CheckConstraint(
                condition=models.Q(start_date__lte=models.F("end_date")),
                name="season_starts_before_end",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if not (self.start_date and self.end_date):
            return
        if self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date must not be before the start.")})
        if (self.end_date - self.start_date).days >= MAX_SEASON_DAYS:
            raise ValidationError({"end_date": _("A season lasts at most 366 days.")})
        try:
            self.schedule()
        except ValidationError as error:
            raise ValidationError({"exceptions": error.messages}) from None

    def pattern_dates(self) -> dict[datetime.date, tuple[datetime.time, datetime.time]]:
        """Each date of the weekly pattern in the season's range, with its times."""
        by_weekday = {slot.weekday: slot for slot in weekly_slots(self.weekly_pattern)}
        dates = {}
        for offset in range((self.end_date - self.start_date).days + 1):
            date = self.start_date + datetime.timedelta(days=offset)
            slot = by_weekday.get(date.weekday())
            if slot is not None:
                dates[date] = (slot.start_time, slot.end_time)
        return dates

    def schedule(self) -> dict[datetime.date, tuple[datetime.time, datetime.time]]:
        """The season's market days: the pattern's dates, less the skipped ones, with the
        moved ones on their new dates. ValidationError for an exception on a date that is not
        in the pattern, or a date moved onto another day of the season."""
        dates = self.pattern_dates()
        moved = {}
        for exception in season_exceptions(self.exceptions):
            times = dates.pop(exception.date, None)
            if times is None:
                raise ValidationError(
                    _("%(date)s is not a day of the season's weekly pattern."),
                    params={"date": exception.date.isoformat()},
                )
            if exception.moved_to is None:
                continue
            if exception.moved_to in moved:
                raise ValidationError(
                    _("Two days are moved to %(date)s."),
                    params={"date": exception.moved_to.isoformat()},
                )
            moved[exception.moved_to] = (
                (exception.start_time, exception.end_time) if exception.start_time else times
            )
        for date, times in moved.items():
            if date in dates:
                raise ValidationError(
                    _("%(date)s is already a day of the season."), params={"date": date.isoformat()}
                )
            dates[date] = times
        return dict(sorted(dates.items()))

    def pattern_display(self) -> str:
        return ", ".join(
            f"{WEEKDAY_NAMES[slot.weekday]} {slot.start_time:%H:%M}–{slot.end_time:%H:%M}"
            for slot in weekly_slots(self.weekly_pattern)
        )


class SeasonDay(BaseModel):
    """A market day the season generated: the season may move, cancel or delete it."""

    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="season_days")
    market_day = models.OneToOneField(
        "marketflow.MarketDay", on_delete=models.CASCADE, related_name="season_day"
    )

    def __str__(self):
        return f"{self.season}: {self.market_day}"


class SeasonVendor(BaseModel):
    """A full-season vendor: booked on a fixed stall on every day of the season."""

    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="season_vendors")
    # A stall or vendor that can be deleted at all (no bookings) takes its place with it.
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, related_name="+")
    stall = models.ForeignKey("stalls.Stall", on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(
        "marketflow.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("full-season vendor")
        constraints = [
            models.UniqueConstraint(fields=["season", "vendor"], name="season_vendor_unique"),
            models.UniqueConstraint(fields=["season", "stall"], name="season_stall_unique"),
        ]
        indexes = [models.Index(fields=["vendor", "season"], name="season_vendor_vendor")]

    def __str__(self):
        return f"{self.vendor} on {self.stall} ({self.season})"
