"""Reads of seasons, scoped to the organizer's markets or the vendor's own memberships."""

from uuid import UUID

from django.db.models import F, Func, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from marketflow.models import Market, MarketDay, User
from marketflow.selectors import get_or_raise, scope_queryset, subquery_count
from seasons.errors import SeasonNotFoundError, SeasonVendorNotFoundError
from seasons.models import Season, SeasonDay, SeasonVendor
from stalls.models import Booking


def season_list(*, user: User, market_id: UUID) -> QuerySet[Season]:
    """The seasons of market ``market_id`` if ``user`` manages it (checked in the same query),
    each with its number of market days and of full-season vendors."""
    seasons = scope_queryset(Season.objects.filter(market_id=market_id), user, "market__organizer")
    return seasons.select_related("market").annotate(
        day_count=subquery_count(SeasonDay.objects.filter(season_id=OuterRef("pk"))),
        vendor_count=subquery_count(SeasonVendor.objects.filter(season_id=OuterRef("pk"))),
    )


def season_get_counted(*, user: User, market_id: UUID, season_id: UUID) -> Season:
    """A season of ``season_list``; another market's, or another organizer's, is not found."""
    return get_or_raise(
        season_list(user=user, market_id=market_id), SeasonNotFoundError, pk=season_id
    )


def season_get(*, market: Market, season_id: UUID) -> Season:
    season = get_or_raise(Season.objects.filter(market=market), SeasonNotFoundError, pk=season_id)
    season.market = market
    return season


def season_get_for_update(*, market: Market, season_id: UUID) -> Season:
    seasons = Season.objects.select_for_update(no_key=True).filter(market=market)
    season = get_or_raise(seasons, SeasonNotFoundError, pk=season_id)
    season.market = market
    return season


def season_days_lock(*, season: Season, since, lock: bool = True) -> list[MarketDay]:
    """The season's market days from ``since`` on, each with ``booking_count``; ``lock``: locked
    first, in pk order (as a booking locks its day), so a booking waits for the season's change
    or is counted."""
    days = MarketDay.objects.filter(season_day__season=season, date__gte=since)
    if lock:
        locked = days.select_for_update(no_key=True, of=("self",)).order_by("pk")
        days = MarketDay.objects.filter(pk__in=list(locked.values_list("pk", flat=True)))
    return list(
        days.annotate(
            booking_count=subquery_count(Booking.objects.filter(market_day=OuterRef("pk")))
        ).order_by("date")
    )


def season_open_days(*, season: Season) -> list[MarketDay]:
    """The season's scheduled days still to come, in date order."""
    return list(
        MarketDay.objects.filter(
            season_day__season=season,
            date__gte=season.market.today(),
            status=MarketDay.Status.SCHEDULED,
        )
        .select_related("market")
        .order_by("date")
    )


def season_vendor_list(*, season: Season) -> QuerySet[SeasonVendor]:
    return (
        SeasonVendor.objects.filter(season=season)
        .select_related("vendor", "stall")
        .order_by("stall__label")
    )


def season_vendor_get(*, season: Season, season_vendor_id: UUID) -> SeasonVendor:
    return get_or_raise(
        season_vendor_list(season=season), SeasonVendorNotFoundError, pk=season_vendor_id
    )


def vendor_season_list(*, vendor_id: UUID) -> list[dict]:
    """A vendor's full-season places, for the vendor portal: the season, its market, their
    stall, how many days of it they are booked on and what those bookings' fees add up to."""
    memberships = (
        SeasonVendor.objects.filter(vendor_id=vendor_id)
        .select_related("season__market", "stall")
        .order_by("season__start_date", "season__name")
    )
    bookings = Booking.objects.active().filter(
        vendor_id=vendor_id, market_day__season_day__season=OuterRef("season_id")
    )
    rows = memberships.annotate(
        booked_days=subquery_count(bookings),
        fee_total=Coalesce(
            Subquery(
                bookings.order_by()
                .annotate(total=Func(F("fee_cents"), function="SUM"))
                .values("total"),
                output_field=IntegerField(),
            ),
            0,
        ),
    )
    return list(rows)
