"""Reads of the platform core. Everything an organizer reaches is scoped by a query."""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import F, Func, IntegerField, QuerySet, Subquery
from django.db.models.functions import Coalesce

from marketflow.errors import MarketDayNotFoundError, MarketNotFoundError
from marketflow.models import Market, MarketDay, User
from marketflow.prepared import PreparedGet


def market_list(*, user: User) -> QuerySet[Market]:
    """The markets ``user`` manages: their own, or every market for platform superusers."""
    markets = Market.objects.all()
    if user.is_superuser:
        return markets
    if not user.is_authenticated or not user.is_organizer:
        return markets.none()
    return markets.filter(organizer=user)


# The market of (nearly) every organizer request: compiled once (marketflow/prepared.py).
_own_market = PreparedGet(
    lambda market_id, organizer_id: Market.objects.filter(pk=market_id, organizer_id=organizer_id),
    market_id=UUID,
    organizer_id=UUID,
)


def market_get(*, user: User, market_id: UUID | str) -> Market:
    """One of ``user``'s markets; another organizer's market is not found, never forbidden."""
    try:
        if user.is_authenticated and user.is_organizer and not user.is_superuser:
            market = _own_market.get(market_id=market_id, organizer_id=user.pk)
            if market is None:
                raise Market.DoesNotExist
            return market
        return market_list(user=user).get(pk=market_id)
    except (Market.DoesNotExist, ValidationError, ValueError, TypeError):
        raise MarketNotFoundError() from None


def market_get_for_update(*, user: User, market_id: UUID | str) -> Market:
    """Like ``market_get``, with the market row locked until the transaction ends."""
    try:
        return market_list(user=user).select_for_update(no_key=True).get(pk=market_id)
    except (Market.DoesNotExist, ValidationError, ValueError, TypeError):
        raise MarketNotFoundError() from None


def market_lock(*, market_id: UUID) -> Market:
    """Lock a market row already known to be in scope (plan limits count under it)."""
    return Market.objects.select_for_update(no_key=True).get(pk=market_id)


def public_market_get(*, market_id: UUID | str) -> Market:
    """An active market, as anyone may see it."""
    try:
        return Market.objects.get(pk=market_id, is_active=True)
    except (Market.DoesNotExist, ValidationError, ValueError, TypeError):
        raise MarketNotFoundError() from None


def public_market_get_by_slug(*, slug: str) -> Market:
    try:
        return Market.objects.get(slug=slug, is_active=True)
    except Market.DoesNotExist:
        raise MarketNotFoundError() from None


def market_day_list(*, market: Market) -> QuerySet[MarketDay]:
    return MarketDay.objects.filter(market=market)


def upcoming_market_day_list(*, market: Market) -> QuerySet[MarketDay]:
    return MarketDay.objects.filter(
        market=market, date__gte=market.today(), status=MarketDay.Status.SCHEDULED
    ).order_by("date")


_market_day = PreparedGet(
    lambda market_day_id, market_id: MarketDay.objects.filter(
        pk=market_day_id, market_id=market_id
    ),
    market_day_id=UUID,
    market_id=UUID,
)


def market_day_get(*, market: Market, market_day_id: UUID | str) -> MarketDay:
    """A day of ``market`` (with ``market`` set on it); a day of any other market is not
    found."""
    try:
        market_day = _market_day.get(market_day_id=market_day_id, market_id=market.pk)
    except (ValidationError, ValueError, TypeError):
        market_day = None
    if market_day is None:
        raise MarketDayNotFoundError()
    market_day.market = market
    return market_day


def market_day_get_for_user(*, user: User, market_day_id: UUID | str) -> MarketDay:
    """A day of one of ``user``'s markets (any market for superusers); others are not found."""
    try:
        return MarketDay.objects.select_related("market").get(
            pk=market_day_id, market__in=market_list(user=user)
        )
    except (MarketDay.DoesNotExist, ValidationError, ValueError, TypeError):
        raise MarketDayNotFoundError() from None


def market_day_get_for_update(*, market: Market, market_day_id: UUID | str) -> MarketDay:
    try:
        return (
            MarketDay.objects.select_for_update(no_key=True, of=("self",))
            .select_related("market")
            .get(pk=market_day_id, market=market)
        )
    except (MarketDay.DoesNotExist, ValidationError, ValueError, TypeError):
        raise MarketDayNotFoundError() from None


def subquery_count(queryset: QuerySet) -> Coalesce:
    """COUNT of a correlated queryset as a column: one query however many rows are listed."""
    return Coalesce(
        Subquery(
            queryset.order_by().annotate(count=Func(F("pk"), function="COUNT")).values("count"),
            output_field=IntegerField(),
        ),
        0,
    )
