"""The application workflow: public submission, the organizer's review, the vendor's withdrawal.

Lock order, everywhere: market row, then application row. Accepting counts the market's
active vendors under the market lock, so the free plan's limit holds under concurrency.
"""

from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from applications.errors import ApplicationAlreadyOpenError
from applications.models import TRANSITIONS, Application
from applications.selectors import (
    accepted_vendor_count,
    application_get_for_update,
    vendor_application_get,
)
from marketflow.errors import InvalidTransitionError, PlanLimitReachedError
from marketflow.models import User
from marketflow.selectors import market_get_for_update, market_lock, public_market_get
from marketflow.services import FREE_PLAN_MAX_ACTIVE_VENDORS
from marketflow.validation import full_clean
from vendors.selectors import vendor_for_user, vendor_lock
from vendors.services import vendor_get_or_create

Status = Application.Status


@transaction.atomic
def application_submit(
    *,
    market_id: UUID | str,
    email: str,
    business_name: str,
    contact_name: str,
    product_categories: list[str],
    phone: str = "",
    description: str = "",
    message: str = "",
) -> Application:
    """A public application to an active market, from anyone, with no account.

    An e-mail that already belongs to a vendor attaches the application to that vendor and
    leaves the stored profile as it is; what was submitted is kept on the application.
    Locks the vendor row, so identical concurrent submissions yield one open application.
    Raises MarketNotFoundError, ValidationFailedError, ApplicationAlreadyOpenError.
    """
    market = public_market_get(market_id=market_id)
    submitted = {
        "business_name": business_name,
        "contact_name": contact_name,
        "phone": phone,
        "product_categories": list(product_categories),
        "description": description,
    }
    vendor, _created = vendor_get_or_create(email=email, **submitted)
    vendor = vendor_lock(vendor_id=vendor.pk)
    if Application.objects.filter(
        vendor=vendor, market=market, status__in=Application.OPEN_STATUSES
    ).exists():
        raise ApplicationAlreadyOpenError(extra={"market_id": str(market.pk)})
    application = Application(market=market, vendor=vendor, message=message, **submitted)
    full_clean(application, exclude=["market", "vendor", "reviewed_by"])
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        raise ApplicationAlreadyOpenError(extra={"market_id": str(market.pk)}) from None
    return application


def _transition(application: Application, target: str) -> None:
    if target not in TRANSITIONS[application.status]:
        raise InvalidTransitionError(current=application.status, target=target)


def _active_vendor_limit_reached(market) -> bool:
    """Counted under the market lock that the caller holds."""
    owner = market.organizer
    if owner.has_paid_plan or owner.is_superuser:
        return False
    return accepted_vendor_count(market=market) >= FREE_PLAN_MAX_ACTIVE_VENDORS


def _decide(
    *, user: User, market_id: UUID | str, application_id: UUID | str, target: str, reason: str = ""
) -> Application:
    market = market_get_for_update(user=user, market_id=market_id)
    application = application_get_for_update(market=market, application_id=application_id)
    _transition(application, target)
    if target == Status.ACCEPTED and _active_vendor_limit_reached(market):
        raise PlanLimitReachedError(
            f"The free plan includes {FREE_PLAN_MAX_ACTIVE_VENDORS} active vendors "
            "per market. Upgrade to the paid plan to accept more.",
            extra={"limit": FREE_PLAN_MAX_ACTIVE_VENDORS, "resource": "active_vendors"},
        )
    application.status = target
    application.decision_reason = reason
    application.reviewed_by = user
    application.reviewed_at = timezone.now()
    full_clean(application, exclude=["market", "vendor", "reviewed_by"])
    application.save(
        update_fields=["status", "decision_reason", "reviewed_by", "reviewed_at", "updated_at"]
    )
    return application


@transaction.atomic
def application_accept(
    *, user: User, market_id: UUID | str, application_id: UUID | str, reason: str = ""
) -> Application:
    """Accept a pending or waitlisted application. Locks the market, then the application.
    Raises MarketNotFoundError, ApplicationNotFoundError, InvalidTransitionError,
    PlanLimitReachedError (free plan, 20 active vendors)."""
    return _decide(
        user=user,
        market_id=market_id,
        application_id=application_id,
        target=Status.ACCEPTED,
        reason=reason,
    )


@transaction.atomic
def application_reject(
    *, user: User, market_id: UUID | str, application_id: UUID | str, reason: str = ""
) -> Application:
    """Reject a pending or waitlisted application, with an optional reason for the vendor."""
    return _decide(
        user=user,
        market_id=market_id,
        application_id=application_id,
        target=Status.REJECTED,
        reason=reason,
    )


@transaction.atomic
def application_waitlist(
    *, user: User, market_id: UUID | str, application_id: UUID | str, reason: str = ""
) -> Application:
    """Put a pending application on the waiting list."""
    return _decide(
        user=user,
        market_id=market_id,
        application_id=application_id,
        target=Status.WAITLISTED,
        reason=reason,
    )


@transaction.atomic
def application_withdraw(*, user: User, application_id: UUID | str) -> Application:
    """The signed-in vendor withdraws an open application of theirs.

    Locks the market row, then the application (the same order as a decision, so accept
    and withdraw of one application serialize). Raises NotAVendorError,
    ApplicationNotFoundError, InvalidTransitionError.
    """
    vendor = vendor_for_user(user=user)
    application = vendor_application_get(vendor=vendor, application_id=application_id)
    market = market_lock(market_id=application.market_id)
    application = application_get_for_update(market=market, application_id=application.pk)
    _transition(application, Status.WITHDRAWN)
    application.status = Status.WITHDRAWN
    application.withdrawn_at = timezone.now()
    application.save(update_fields=["status", "withdrawn_at", "updated_at"])
    return application
