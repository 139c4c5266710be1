"""The manager's admin site: Django's admin with a dashboard on the index page."""

import datetime
from dataclasses import dataclass

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.selectors import market_application_counts
from marketflow.admin_base import ScopedModelAdmin
from marketflow.models import Market, MarketDay, User
from marketflow.plans import FREE_PLAN_MAX_MARKETS, active_vendor_limit, has_plan_limits
from marketflow.security import AdminSignInForm
from marketflow.selectors import acts_as_organizer, market_list
from marketflow.stripe_api import payments_configured
from stalls.selectors import market_day_fill_counts

DASHBOARD_MARKETS = 20
DASHBOARD_DAYS = 8


@dataclass(frozen=True)
class MarketSummary:
    market: Market
    pending_count: int
    active_vendor_count: int
    vendor_limit: int | None  # None: the paid plan has no limit
    pending_url: str

    @property
    def at_limit(self) -> bool:
        return self.vendor_limit is not None and self.active_vendor_count >= self.vendor_limit

    @property
    def over_limit(self) -> bool:
        return self.vendor_limit is not None and self.active_vendor_count > self.vendor_limit


@dataclass(frozen=True)
class DaySummary:
    market_day: MarketDay
    booked_count: int
    stall_count: int
    board_url: str

    @property
    def fill_percent(self) -> int:
        if not self.stall_count:
            return 0
        return round(100 * self.booked_count / self.stall_count)


@dataclass(frozen=True)
class Dashboard:
    markets: list[MarketSummary]
    market_days: list[DaySummary]
    pending_total: int
    pending_url: str
    organizer: User | None  # an organizer's own plan and Stripe account; None for staff
    payments_configured: bool
    market_count: int  # counted only on a limited plan (else 0)
    market_limit: int | None

    @property
    def over_market_limit(self) -> bool:
        """Back on the free plan with more markets than it includes: all are kept, no new."""
        return self.market_limit is not None and self.market_count > self.market_limit

    @property
    def over_vendor_limit(self) -> list[MarketSummary]:
        return [summary for summary in self.markets if summary.over_limit]


def dashboard(*, user: User, site_name: str) -> Dashboard:
    """Pending applications, the next market days with their fill rate, active vendors
    against the plan limit: two queries however many markets and days there are."""
    applications_url = reverse("admin:applications_application_changelist", current_app=site_name)
    organizer = user if acts_as_organizer(user) else None
    limited = organizer is not None and has_plan_limits(organizer)
    markets = list(
        market_list(user=user)
        .filter(is_active=True)
        .select_related("organizer")
        .annotate(**market_application_counts())
        .order_by("-pending_count", "name")[:DASHBOARD_MARKETS]
    )
    # "Today" differs by market time zone; a day's margin keeps this to one query, and the
    # board itself refuses changes to days that have passed.
    since = timezone.now().date() - datetime.timedelta(days=1)
    market_days = (
        MarketDay.objects.filter(
            market__in=market_list(user=user),
            status=MarketDay.Status.SCHEDULED,
            date__gte=since,
        )
        .select_related("market")
        .annotate(**market_day_fill_counts())
        .order_by("date", "market__name")[: DASHBOARD_DAYS * 2]
    )
    return Dashboard(
        markets=[
            MarketSummary(
                market=market,
                pending_count=market.pending_count,
                active_vendor_count=market.active_vendor_count,
                vendor_limit=active_vendor_limit(market.organizer),
                pending_url=f"{applications_url}?status__exact=pending&market={market.pk}",
            )
            for market in markets
        ],
        market_days=[
            DaySummary(
                market_day=market_day,
                booked_count=market_day.booked_count,
                stall_count=market_day.stall_count,
                board_url=reverse(
                    "admin:stalls_booking_board", args=[market_day.pk], current_app=site_name
                ),
            )
            for market_day in market_days
            if market_day.date >= market_day.market.today()
        ][:DASHBOARD_DAYS],
        pending_total=sum(market.pending_count for market in markets),
        pending_url=f"{applications_url}?status__exact=pending",
        organizer=organizer,
        payments_configured=payments_configured(),
        market_count=market_list(user=user).count() if limited else 0,
        market_limit=FREE_PLAN_MAX_MARKETS if limited else None,
    )


class PlatformAdminMixin:
    """An admin of the platform itself (users, groups, tokens, tasks, lockouts): organizers
    hold no Django permissions by design, so their admin pages skip it without asking the
    database for their permissions (two queries on every admin page, `make bench`)."""

    def has_module_permission(self, request):
        if acts_as_organizer(request.user):
            return False
        return super().has_module_permission(request)


class MarketflowAdminSite(admin.AdminSite):
    site_header = _("Marketflow")
    site_title = _("Marketflow admin")
    index_title = _("Dashboard")
    index_template = "marketflow_admin/index.html"
    login_form = AdminSignInForm  # with the per-address budget of attempts
    # The dashboard and the breadcrumbs lead everywhere; the sidebar repeated them on every
    # page at a measured cost (bench/README.md, "The admin").
    enable_nav_sidebar = False

    def register(self, model_or_iterable, admin_class=None, **options):
        """Admins other than Marketflow's scoped ones are the platform's (PlatformAdminMixin)."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, ScopedModelAdmin | PlatformAdminMixin):
            admin_class = type(admin_class.__name__, (PlatformAdminMixin, admin_class), {})
        return super().register(model_or_iterable, admin_class, **options)

    def index(self, request, extra_context=None):
        context = {"dashboard": dashboard(user=request.user, site_name=self.name)}
        return super().index(request, {**context, **(extra_context or {})})
