"""Reads of the platform core. Everything an organizer reaches is scoped by a query."""

import datetime
from collections.abc import Iterable
from typing import TypeVar
from uuid import UUID

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, F, Func, IntegerField, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from marketflow.errors import DomainError, MarketDayNotFoundError, MarketNotFoundError
from marketflow.models import ApiToken, Market, MarketDay, SuppressedAddress, User, normalize_email

M = TypeVar("M", bound=Model)


def get_or_raise(queryset: QuerySet[M], error: type[DomainError], **lookup) -> M:
    """The one row of ``queryset`` matching ``lookup``, or ``error`` (usually not found)."""
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        raise error() from None


def acts_as_organizer(user) -> bool:
    """Signed in as an organizer, who manages their own markets only. Platform superusers
    manage every market and are not limited to theirs, so they do not act as organizers."""
    return bool(
        user.is_authenticated and user.is_active and user.is_organizer and not user.is_superuser
    )


def manages_markets(user) -> bool:
    """May use the organizer API and admin: an organizer or a platform superuser."""
    return acts_as_organizer(user) or bool(user.is_authenticated and user.is_superuser)


def unverified_accounts() -> QuerySet[User]:
    """Sign-ups whose address nobody has confirmed: organizer accounts never active and never
    signed in. They hold their e-mail for nobody: its owner takes it over (sign-up again,
    vendor activation) and they expire (``unverified_accounts_purge``)."""
    return User.objects.filter(is_organizer=True, is_active=False, last_login__isnull=True)


def scope_queryset(queryset: QuerySet, user, owner_path: str) -> QuerySet:
    """``queryset`` narrowed to rows whose ``owner_path`` (a path to a market's organizer) is
    ``user``; every row for superusers, none for anybody else."""
    if acts_as_organizer(user):
        return queryset.filter(**{owner_path: user})
    return queryset if manages_markets(user) else queryset.none()


def scope_condition(user, organizer_column: str) -> tuple[str, list]:
    """``scope_queryset``'s rule for a hand-written statement (marketflow/sql.py): a SQL
    condition on ``organizer_column`` (a market's ``organizer_id``) and its parameters."""
    if acts_as_organizer(user):
        return f"{organizer_column} = %s", [user.pk]
    return ("TRUE", []) if manages_markets(user) else ("FALSE", [])


def market_list(*, user: User) -> QuerySet[Market]:
    """The markets ``user`` manages: their own, or every market for platform superusers."""
    return scope_queryset(Market.objects.all(), user, "organizer")


def market_get(*, user: User, market_id: UUID) -> Market:
    """One of ``user``'s markets; another organizer's market is not found, never forbidden."""
    return get_or_raise(market_list(user=user), MarketNotFoundError, pk=market_id)


def market_get_for_update(*, user: User, market_id: UUID) -> Market:
    """Like ``market_get``, with the market row locked until the transaction ends."""
    markets = market_list(user=user).select_for_update(no_key=True)
    return get_or_raise(markets, MarketNotFoundError, pk=market_id)


def market_lock(*, market_id: UUID) -> Market:
    """Lock a market row already known to be in scope (plan limits count under it)."""
    return Market.objects.select_for_update(no_key=True).get(pk=market_id)


def public_market_get(*, market_id: UUID) -> Market:
    """An active market, as anyone may see it."""
    return get_or_raise(Market.objects.filter(is_active=True), MarketNotFoundError, pk=market_id)


def public_market_get_by_slug(*, slug: str) -> Market:
    return get_or_raise(Market.objects.filter(is_active=True), MarketNotFoundError, slug=slug)


def market_day_list(*, market: Market) -> QuerySet[MarketDay]:
    return MarketDay.objects.filter(market=market)


def upcoming_market_day_list(*, market: Market) -> QuerySet[MarketDay]:
    return MarketDay.objects.filter(
        market=market, date__gte=market.today(), status=MarketDay.Status.SCHEDULED
    ).order_by("date")


def market_day_get(*, market: Market, market_day_id: UUID) -> MarketDay:
    """A day of ``market`` (with ``market`` set on it); a day of any other market is not
    found."""
    market_day = get_or_raise(
        MarketDay.objects.filter(market=market), MarketDayNotFoundError, pk=market_day_id
    )
    market_day.market = market
    return market_day


def market_days_in_market(*, user: User, market_id: UUID) -> QuerySet[MarketDay]:
    """The days of market ``market_id`` if ``user`` manages that market, else none: the
    market's ownership checked in the days' own query."""
    return scope_queryset(MarketDay.objects.filter(market_id=market_id), user, "market__organizer")


def market_day_get_in_market(*, user: User, market_id: UUID, market_day_id: UUID) -> MarketDay:
    """A day of market ``market_id`` if ``user`` manages that market, read with its market in
    one query; a day of another market, or of a market not theirs, is not found."""
    market_days = market_days_in_market(user=user, market_id=market_id).select_related("market")
    return get_or_raise(market_days, MarketDayNotFoundError, pk=market_day_id)


def market_day_get_for_user(*, user: User, market_day_id: UUID) -> MarketDay:
    """A day of one of ``user``'s markets (any market for superusers); others are not found."""
    market_days = MarketDay.objects.select_related("market").filter(
        market__in=market_list(user=user)
    )
    return get_or_raise(market_days, MarketDayNotFoundError, pk=market_day_id)


def market_day_get_for_update(*, market: Market, market_day_id: UUID) -> MarketDay:
    market_days = (
        MarketDay.objects.select_for_update(no_key=True, of=("self",))
        .select_related("market")
        .filter(market=market)
    )
    return get_or_raise(market_days, MarketDayNotFoundError, pk=market_day_id)


def subquery_count(queryset: QuerySet) -> Coalesce:
    """COUNT of a correlated queryset as a column: one query however many rows are listed."""
    return Coalesce(
        Subquery(
            queryset.order_by().annotate(count=Func(F("pk"), function="COUNT")).values("count"),
            output_field=IntegerField(),
        ),
        0,
    )


# The public market (API and page): every visitor of a market's QR code lands there. It is
# cached, and forgotten whenever the market or one of its days is saved or deleted; where
# forgetting cannot reach (the per-process memory cache of several workers), it is at most
# this many seconds old. Set REDIS_URL to share one cache.
PUBLIC_MARKET_SECONDS = 60
PUBLIC_MARKET_FIELDS = (
    "id",
    "name",
    "slug",
    "description",
    "location",
    "timezone",
    "currency",
    "accepted_categories",
    "required_document_types",
)


def public_market(*, market_id: UUID | None = None, slug: str | None = None) -> dict:
    """An active market by id or slug, as anyone sees it: ``{"market": {field: value},
    "market_days": [the next 52 scheduled days as values() rows]}``."""
    if slug is not None:
        market_id = cache.get(f"public-market-slug:{slug}")
    data = cache.get(f"public-market:{market_id}") if market_id is not None else None
    if data is not None and slug in (None, data["market"]["slug"]):
        return data
    if slug is None:
        market = public_market_get(market_id=market_id)
    else:
        market = public_market_get_by_slug(slug=slug)
    days = upcoming_market_day_list(market=market).values("date", "start_time", "end_time", "note")
    data = {
        "market": {name: getattr(market, name) for name in PUBLIC_MARKET_FIELDS},
        "market_days": list(days[:52]),
    }
    midnight = datetime.datetime.combine(market.today(), datetime.time(), market.tz)
    until_midnight = (midnight + datetime.timedelta(days=1) - timezone.now()).total_seconds()
    cache.set_many(
        {f"public-market:{market.pk}": data, f"public-market-slug:{market.slug}": market.pk},
        timeout=min(PUBLIC_MARKET_SECONDS, until_midnight),  # "upcoming" changes at midnight
    )
    return data


def public_market_forget(*, market_id: UUID, slug: str | None = None) -> None:
    """Forget the cached public market: now, and again once the write commits (a read in
    between may have cached the old rows)."""
    keys = [f"public-market:{market_id}"] + ([f"public-market-slug:{slug}"] if slug else [])
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


@receiver([post_save, post_delete], sender=Market)
@receiver([post_save, post_delete], sender=MarketDay)
def forget_a_changed_public_market(sender, instance, **kwargs) -> None:
    if sender is Market:
        public_market_forget(market_id=instance.pk, slug=instance.slug)
    else:
        public_market_forget(market_id=instance.market_id)


def user_token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's API tokens that still work: not expired, issued under today's password
    (marketflow/authentication.py checks the same of the token a request presents)."""
    return ApiToken.objects.filter(
        user=user, expiry__gt=timezone.now(), password_check=user.get_session_auth_hash()
    )


# -- e-mail addresses that bounced -------------------------------------------------------------


def suppressed_emails(*, emails: Iterable[str]) -> set[str]:
    """Those of ``emails`` (normalized) that bounced or complained: nothing is sent to them."""
    wanted = {normalize_email(email) for email in emails}
    if not wanted:
        return set()
    return set(SuppressedAddress.objects.filter(email__in=wanted).values_list("email", flat=True))


def email_bounced(email_field: str = "email") -> Exists:
    """True for a row (a vendor, a user) whose ``email_field`` bounced or complained and was
    not cleared since, for ``.filter(email_bounced())`` or ``.filter(~email_bounced())``."""
    return Exists(SuppressedAddress.objects.filter(email=OuterRef(email_field)))


def with_email_bounce(queryset: QuerySet[M], email_field: str = "email") -> QuerySet[M]:
    """``queryset`` (vendors, users) with ``email_bounced``: True while nothing is sent to
    the row's address. In the same query, so a list shows it at no cost per row."""
    return queryset.annotate(email_bounced=email_bounced(email_field))
