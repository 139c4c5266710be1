"""Plan limits, all of them: the free plan includes one market and up to 20 active vendors
(vendors with an accepted application) per market. The paid plan lifts both limits, and
platform superusers have none. Services check them under a lock (``market_create``,
``application_accept``); the admin dashboard shows them.
"""

from collections.abc import Callable

from django.urls import reverse

from marketflow.emails import absolute_url
from marketflow.errors import PlanLimitReachedError
from marketflow.models import User

FREE_PLAN_MAX_MARKETS = 1
FREE_PLAN_MAX_ACTIVE_VENDORS = 20


def plan_summary(user: User) -> dict:
    """The plan as ``/api/me/`` tells it: the plan in force now and Stripe's view of it."""
    return {
        "plan": User.Plan.PAID if user.has_paid_plan else User.Plan.FREE,
        "plan_status": user.plan_status,
        "plan_renews_at": user.plan_renews_at,
        "plan_grace_until": user.plan_grace_until,
    }


def upgrade_url() -> str:
    """Where an organizer upgrades: every plan-limit refusal names it (``extra``)."""
    return absolute_url(reverse("billing-upgrade"))


def has_plan_limits(organizer: User) -> bool:
    return not (organizer.has_paid_plan or organizer.is_superuser)


def active_vendor_limit(organizer: User) -> int | None:
    """How many active vendors each of ``organizer``'s markets may have; None: no limit."""
    return FREE_PLAN_MAX_ACTIVE_VENDORS if has_plan_limits(organizer) else None


def market_limit_check(*, organizer: User, count_markets: Callable[[], int]) -> None:
    """Refuse a new market beyond the plan's; ``count_markets`` runs only on a limited plan.
    Raises PlanLimitReachedError."""
    if has_plan_limits(organizer) and count_markets() >= FREE_PLAN_MAX_MARKETS:
        raise PlanLimitReachedError(
            f"The free plan includes one market. Upgrade to the paid plan to add more: "
            f"{upgrade_url()}",
            extra={
                "limit": FREE_PLAN_MAX_MARKETS,
                "resource": "markets",
                "upgrade_url": upgrade_url(),
            },
        )


def active_vendor_limit_check(
    *, organizer: User, count_active_vendors: Callable[[], int], adding: int = 1
) -> None:
    """Refuse ``adding`` more active vendors beyond the plan's; ``count_active_vendors`` runs
    only on a limited plan. Raises PlanLimitReachedError."""
    if not has_plan_limits(organizer):
        return
    active = count_active_vendors()
    if active + adding > FREE_PLAN_MAX_ACTIVE_VENDORS:
        message = (
            f"The free plan includes {FREE_PLAN_MAX_ACTIVE_VENDORS} active vendors "
            f"per market. Upgrade to the paid plan to accept more: {upgrade_url()}"
        )
        if adding > 1:
            message += f" This market has {active}; accepting {adding} more would exceed it."
        raise PlanLimitReachedError(
            message,
            extra={
                "limit": FREE_PLAN_MAX_ACTIVE_VENDORS,
                "resource": "active_vendors",
                "upgrade_url": upgrade_url(),
            },
        )
