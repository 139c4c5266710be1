"""Reads of applications, scoped to a market (organizers) or a vendor (the portal)."""

import datetime
import hashlib
import uuid
from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

import orjson
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from applications.errors import ApplicationNotFoundError, DirectoryVendorNotFoundError
from applications.models import UNCONFIRMED_LIFETIME, Application
from applications.tokens import confirmation_application_id
from marketflow.models import Market, User
from marketflow.selectors import (
    M,
    acts_as_organizer,
    get_or_raise,
    manages_markets,
    market_list,
    scope_condition,
    scope_queryset,
    subquery_count,
)
from marketflow.sql import SqlRows, use_sql
from vendors.errors import DocumentNotFoundError
from vendors.models import Vendor, VendorDocument

APPLICATION_ROW_COLUMNS = (
    "id", "market_id", "vendor_id", "status", "business_name", "contact_name", "phone",
    "product_categories", "description", "message", "decision_reason", "reviewed_by_id",
    "reviewed_at", "withdrawn_at", "created_at", "updated_at",
)  # fmt: skip


def application_rows(
    *, user: User, market_id: UUID, status: str = "", category: str = ""
) -> QuerySet | SqlRows:
    """The applications to market ``market_id`` if ``user`` manages it (else none), in
    ``status`` and of ``category`` when given, as rows of ``APPLICATION_ROW_COLUMNS`` and the
    vendor's ``vendor__business_name`` and ``vendor__email``, which ``application_data``
    shapes: one hand-written statement on PostgreSQL (marketflow/sql.py), this ORM queryset
    (through ``Application.objects``, which hides unconfirmed ones) elsewhere."""
    if not use_sql():
        applications = scope_queryset(
            Application.objects.filter(market_id=market_id), user, "market__organizer"
        )
        if status:
            applications = applications.filter(status=status)
        if category:
            applications = application_filter_category(applications, category)
        return applications.values(
            *APPLICATION_ROW_COLUMNS, "vendor__business_name", "vendor__email"
        )
    scope, scope_params = scope_condition(user, "m.organizer_id")
    where = ["a.market_id = %s", scope, "a.status <> %s"]
    params = [market_id, *scope_params, Application.Status.UNCONFIRMED]
    if status:
        where.append("a.status = %s")
        params.append(status)
    if category:
        where.append("a.product_categories @> %s::jsonb")
        params.append(orjson.dumps([category]).decode())
    return SqlRows(
        select=f"SELECT {', '.join(f'a.{c}' for c in APPLICATION_ROW_COLUMNS)}, "
        'v.business_name AS "vendor__business_name", v.email AS "vendor__email" '
        "FROM applications_application a JOIN marketflow_market m ON m.id = a.market_id "
        "LEFT JOIN vendors_vendor v ON v.id = a.vendor_id",
        where=tuple(where),
        params=tuple(params),
        keys={"id": ("a.id", Application._meta.get_field("id"))},
        converters={"product_categories": orjson.loads},
    )


def application_filter_category(rows: QuerySet[M], category: str) -> QuerySet[M]:
    """``rows`` (applications or vendors) narrowed to those of ``category``."""
    if connection.vendor == "postgresql":
        return rows.filter(product_categories__contains=[category])
    # SQLite (the embedded demo database) has no JSON containment; the category is one of
    # the validated choices, so matching its quoted form in the JSON text is exact.
    return rows.filter(product_categories__icontains=f'"{category}"')


def application_get(*, market: Market, application_id: UUID) -> Application:
    applications = Application.objects.select_related("vendor", "market", "reviewed_by")
    return get_or_raise(
        applications.filter(market=market), ApplicationNotFoundError, pk=application_id
    )


def application_get_for_update(*, market: Market, application_id: UUID) -> Application:
    applications = Application.objects.select_for_update(no_key=True).filter(market=market)
    return get_or_raise(applications, ApplicationNotFoundError, pk=application_id)


def vendor_application_list(*, vendor: Vendor) -> QuerySet[Application]:
    return Application.objects.filter(vendor=vendor).select_related("market")


def vendor_application_get(*, vendor: Vendor, application_id: UUID) -> Application:
    applications = Application.objects.select_related("market").filter(vendor=vendor)
    return get_or_raise(applications, ApplicationNotFoundError, pk=application_id)


def accepted_vendor_count(*, market: Market) -> int:
    return Application.objects.filter(market=market, status=Application.Status.ACCEPTED).count()


def application_is_accepted(*, market: Market, vendor_id: UUID) -> bool:
    return Application.objects.filter(
        market=market, vendor_id=vendor_id, status=Application.Status.ACCEPTED
    ).exists()


def accepted_application_get_for_update(*, market: Market, vendor_id: UUID) -> Application | None:
    """The vendor's accepted application to ``market``, locked until the transaction ends (so
    it cannot be withdrawn meanwhile), or None."""
    return (
        Application.objects.select_for_update(no_key=True)
        .filter(market=market, vendor_id=vendor_id, status=Application.Status.ACCEPTED)
        .first()
    )


def accepted_vendor_ids_lock(*, market: Market, vendor_ids: set) -> set:
    """Of ``vendor_ids``, those accepted at ``market``, their applications locked in pk order
    until the transaction ends (so none can be withdrawn meanwhile)."""
    return set(
        Application.objects.select_for_update(no_key=True)
        .filter(market=market, vendor_id__in=vendor_ids, status=Application.Status.ACCEPTED)
        .order_by("pk")
        .values_list("vendor_id", flat=True)
    )


def market_application_counts() -> dict:
    """Columns to annotate markets with: ``pending_count`` (applications to review) and
    ``active_vendor_count`` (accepted), one query however many markets are listed."""

    def count(status):
        return subquery_count(Application.objects.filter(market=OuterRef("pk"), status=status))

    return {
        "pending_count": count(Application.Status.PENDING),
        "active_vendor_count": count(Application.Status.ACCEPTED),
    }


def applied_vendor_list(
    *, user: User, vendors: QuerySet[Vendor], status: str | None = None
) -> QuerySet[Vendor]:
    """``vendors`` narrowed to those with an application (in ``status``, when given) to a
    market ``user`` manages."""
    applications = Application.objects.filter(
        vendor=OuterRef("pk"), market__in=market_list(user=user)
    )
    if status is not None:
        applications = applications.filter(status=status)
    return vendors.filter(Exists(applications))


def active_vendor_list(*, market: Market) -> QuerySet[Vendor]:
    """Vendors with an accepted application to ``market``."""
    return Vendor.objects.filter(
        applications__market=market, applications__status=Application.Status.ACCEPTED
    )


def application_document_list(*, application: Application) -> QuerySet[VendorDocument]:
    """The documents submitted with ``application`` (already scoped to the organizer), each
    with its market's review (``review_status``, ``review_reason``; None when unreviewed)."""
    return with_market_review(application.documents.all(), market_id=application.market_id)


def with_market_review(documents: QuerySet[VendorDocument], *, market_id) -> QuerySet:
    """``documents`` annotated with market ``market_id``'s review of each (same query)."""
    return documents.annotate(
        market_review=FilteredRelation("reviews", condition=Q(reviews__market_id=market_id)),
        review_status=F("market_review__status"),
        review_reason=F("market_review__reason"),
    )


def document_get_for_user(*, user: User, document_id: UUID) -> VendorDocument:
    """A document ``user`` may download: their own as its vendor, or one submitted with an
    application to a market they organize (platform superusers: any). Anything else is not
    found, never forbidden."""
    documents = VendorDocument.objects.all()
    if not user.is_authenticated:
        documents = documents.none()
    elif not user.is_superuser:
        documents = documents.filter(Q(vendor__user=user) | Exists(_submitted_to_market_of(user)))
    return get_or_raise(documents, DocumentNotFoundError, pk=document_id)


def _submitted_to_market_of(user: User) -> QuerySet:
    """The row linking a document (``OuterRef("pk")``) to a confirmed application to one of
    ``user``'s markets: how an organizer comes to see a vendor's document."""
    return Application.documents.through.objects.filter(
        vendordocument_id=OuterRef("pk"), application__market__organizer=user
    ).exclude(application__status=Application.Status.UNCONFIRMED)


def market_document_list(*, market: Market) -> QuerySet[VendorDocument]:
    """The documents submitted with a confirmed application to ``market``: those its
    organizer sees, and may judge."""
    submitted = Application.documents.through.objects.filter(
        vendordocument_id=OuterRef("pk"), application__market=market
    ).exclude(application__status=Application.Status.UNCONFIRMED)
    return VendorDocument.objects.filter(Exists(submitted))


def market_documents_to_review(*, market: Market, vendor_ids: list) -> list[VendorDocument]:
    """The documents of the types ``market`` requires that ``vendor_ids`` submitted to it,
    each with the market's review (``with_market_review``), by vendor, type and newest."""
    documents = market_document_list(market=market).filter(
        vendor_id__in=vendor_ids, document_type__in=market.required_document_types or []
    )
    return list(
        with_market_review(documents, market_id=market.pk).order_by(
            "vendor_id", "document_type", "-id"
        )
    )


def market_document_get(*, market: Market, document_id: UUID) -> VendorDocument:
    """One of ``market_document_list`` (with its vendor); any other is not found, never
    forbidden."""
    documents = market_document_list(market=market).select_related("vendor")
    return get_or_raise(documents, DocumentNotFoundError, pk=document_id)


def organizer_document_list(*, user: User) -> QuerySet[VendorDocument]:
    """The documents ``user`` sees as a manager: those submitted with an application to one
    of their markets (platform superusers: every document)."""
    documents = VendorDocument.objects.all()
    if acts_as_organizer(user):
        return documents.filter(Exists(_submitted_to_market_of(user)))
    return documents if manages_markets(user) else documents.none()


def unconfirmed_application_get(*, token: str, lock: bool = False) -> Application | None:
    """The unconfirmed application a confirmation link is for, with its market, while the
    link is valid (signed, and the application not yet confirmed nor due for the purge);
    None for any other link. ``lock``: the row is locked until the transaction ends."""
    application_id = confirmation_application_id(token)
    if application_id is None:
        return None
    applications = Application.unconfirmed.select_related("market")
    if lock:
        applications = applications.select_for_update(no_key=True, of=("self",))
    since = timezone.now() - UNCONFIRMED_LIFETIME
    return applications.filter(pk=application_id, created_at__gte=since).first()


def unconfirmed_expired_lock(*, before: datetime.datetime) -> list:
    """Ids of the unconfirmed applications sent before ``before``, locked until the
    transaction ends. Rows another transaction holds (a confirmation, a concurrent purge)
    are skipped, not waited for."""
    return list(
        Application.unconfirmed.select_for_update(skip_locked=True)
        .filter(created_at__lt=before)
        .values_list("pk", flat=True)
    )


def unclaimed_document_list(*, application_ids: list, before: datetime.datetime):
    """Documents no vendor has claimed: those of the applications ``application_ids`` and
    any left without an application (their market was deleted) since before ``before``,
    locked (skipping rows another purge holds)."""
    return VendorDocument.objects.select_for_update(skip_locked=True, of=("self",)).filter(
        Q(applications__in=application_ids) | Q(applications__isnull=True, created_at__lt=before),
        vendor__isnull=True,
    )


# -- the public vendor directory ---------------------------------------------------------------
# Listed vendors (opted in, vendors/models.py) with an accepted application to the market.

DIRECTORY_FIELDS = ("id", "business_name", "product_categories", "public_description", "photo")


def directory_vendor_list(*, market_id: UUID, category: str = "") -> QuerySet[Vendor]:
    """The vendors market ``market_id`` shows publicly, by name; of ``category`` if given.
    Nothing private is read (no e-mail, phone or contact)."""
    accepted = Application.objects.filter(
        market_id=market_id, vendor=OuterRef("pk"), status=Application.Status.ACCEPTED
    )
    vendors = Vendor.objects.filter(Exists(accepted), directory_listed=True)
    if category:
        vendors = application_filter_category(vendors, category)
    return vendors.order_by("business_name", "id").only(*DIRECTORY_FIELDS)


def directory_vendor_get(*, market_id: UUID, vendor_id: UUID) -> Vendor:
    """One vendor of the market's directory; any other vendor is not found."""
    return get_or_raise(
        directory_vendor_list(market_id=market_id), DirectoryVendorNotFoundError, pk=vendor_id
    )


def directory_photo_get(*, name: str) -> Vendor:
    """The listed vendor (accepted somewhere) whose photo is stored under ``name``."""
    accepted = Application.objects.filter(vendor=OuterRef("pk"), status=Application.Status.ACCEPTED)
    vendors = Vendor.objects.filter(Exists(accepted), directory_listed=True).only("id", "photo")
    return get_or_raise(vendors, DirectoryVendorNotFoundError, photo=name)


def directory_market_list(*, vendor: Vendor) -> QuerySet[Market]:
    """The markets whose directory ``vendor`` appears in once listed (accepted there)."""
    accepted = Application.objects.filter(
        market=OuterRef("pk"), vendor=vendor, status=Application.Status.ACCEPTED
    )
    return Market.objects.filter(Exists(accepted)).order_by("name")


def directory_market_ids(*, vendor_id: UUID) -> list[UUID]:
    """The markets whose directory ``vendor_id`` may appear in (accepted there)."""
    return list(
        Application.objects.filter(
            vendor_id=vendor_id, status=Application.Status.ACCEPTED
        ).values_list("market_id", flat=True)
    )


# The directory's API pages are cached under a version per market; a write that changes what
# a market lists (a vendor opts in or out or edits, an application is decided or undone)
# replaces the version, so every cached page of that market is forgotten at once.
DIRECTORY_SECONDS = 60
T = TypeVar("T")


def _directory_version_key(market_id) -> str:
    return f"public-directory-version:{market_id}"


def public_directory_version(*, market_id: UUID) -> str:
    key = _directory_version_key(market_id)
    version = cache.get(key)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(key, version, timeout=None)
        version = cache.get(key, version)
    return version


def public_directory_cached(*, market_id: UUID, shape: str, compute: Callable[[], T]) -> T:
    """What ``compute()`` answers for ``shape`` (a page, a filter) of the market's directory,
    from the cache while nothing the directory shows has changed (at most 60 seconds)."""
    version = public_directory_version(market_id=market_id)
    # The shape holds what a visitor typed (a cursor): hashed, the key is short and plain.
    key = f"public-directory:{market_id}:{version}:{hashlib.sha256(shape.encode()).hexdigest()}"
    data = cache.get(key)
    if data is None:
        data = compute()
        cache.set(key, data, timeout=DIRECTORY_SECONDS)
    return data


def public_directory_forget(*, market_ids) -> None:
    """Forget the cached directory pages of ``market_ids``: now, and once the write commits."""
    keys = [_directory_version_key(market_id) for market_id in market_ids]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


@receiver([post_save, post_delete], sender=Application)
def forget_a_changed_directory(sender, instance, **kwargs) -> None:
    public_directory_forget(market_ids=[instance.market_id])


@receiver([post_save, post_delete], sender=Market)
def forget_a_changed_market_directory(sender, instance, **kwargs) -> None:
    public_directory_forget(market_ids=[instance.pk])  # its pages link by the market's slug


@receiver([post_save, post_delete], sender=Vendor)
def forget_a_changed_vendor(sender, instance, **kwargs) -> None:
    public_directory_forget(market_ids=directory_market_ids(vendor_id=instance.pk))


def expiring_required_documents(
    *, since: datetime.date, until: datetime.date
) -> dict[UUID, tuple[VendorDocument, list[str]]]:
    """The vendors' documents expiring between ``since`` and ``until`` (inclusive) of a type
    that a market the vendor has an open application to requires and lets expire, each with
    those markets' names: ``{document_id: (document, [market names])}``; one query."""
    rows = (
        VendorDocument.objects.filter(
            expires_on__range=(since, until),
            vendor__applications__status__in=Application.OPEN_STATUSES,
        )
        .select_related("vendor")
        .annotate(
            market_name=F("vendor__applications__market__name"),
            market_expiring=F("vendor__applications__market__expiring_document_types"),
        )
        .order_by("expires_on", "id", "market_name")
    )
    documents: dict[UUID, tuple[VendorDocument, list[str]]] = {}
    for document in rows:
        if document.document_type in (document.market_expiring or []):
            documents.setdefault(document.pk, (document, []))[1].append(document.market_name)
    return documents
