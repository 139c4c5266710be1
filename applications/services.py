"""The application workflow: public submission, the organizer's review, the vendor's withdrawal.

Lock order, everywhere: market row, then application row. Accepting counts the market's
active vendors under the market lock, so the free plan's limit holds under concurrency.
"""

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from applications import tasks
from applications.errors import (
    ApplicationAlreadyOpenError,
    DocumentInUseError,
    UploadBudgetExceededError,
)
from applications.models import TRANSITIONS, UNCONFIRMED_LIFETIME, Application
from applications.selectors import (
    accepted_vendor_count,
    application_get_for_update,
    expiring_required_documents,
    market_document_get,
    public_directory_forget,
    unclaimed_document_list,
    unconfirmed_application_get,
    unconfirmed_expired_lock,
    vendor_application_get,
)
from marketflow import plans
from marketflow.audit import ADDITION, audit_record, audit_records
from marketflow.email_tasks import enqueue_email
from marketflow.errors import (
    InvalidTransitionError,
    LinkInvalidError,
    MarketNotFoundError,
    ValidationFailedError,
)
from marketflow.models import DocumentType, Market, ProductCategory, User, normalize_email
from marketflow.selectors import market_get, market_get_for_update, market_lock
from marketflow.validation import full_clean
from vendors.models import DocumentReminder, DocumentReview, VendorDocument
from vendors.selectors import (
    vendor_document_get,
    vendor_for_user,
    vendor_get_by_email,
    vendor_lock,
    vendor_signed_in_as,
)
from vendors.services import (
    VENDOR_PROFILE_FIELDS,
    DocumentUpload,
    document_reminder_record,
    document_review_save,
    vendor_documents_check,
    vendor_documents_delete,
    vendor_documents_store,
    vendor_get_or_create,
)
from vendors.tasks import send_document_refused, send_document_reminder, send_vendor_activation

Status = Application.Status


@transaction.atomic
def application_submit(
    *,
    market: Market,
    email: str,
    business_name: str,
    contact_name: str,
    product_categories: list[str],
    phone: str = "",
    description: str = "",
    message: str = "",
    documents: Sequence[DocumentUpload] = (),
    applicant: User | None = None,
    client_ip: str | None = None,
) -> Application:
    """A public application to ``market``, from anyone, with no account. ``market`` is the
    row the page or the API view read (``public_market_get``), so it is not read twice.

    From ``applicant`` signed in as the vendor of ``email``, it is pending at once. From
    anyone else it is held as unconfirmed: no vendor, its ``documents`` its own, invisible
    to the organizer, and the e-mail gets a one-time link (``application_confirm``); its
    files count against ``client_ip``'s daily upload budget. What was submitted is kept on
    the application; the market's required document types must be among ``documents``. The
    partial unique constraint (one open application per vendor and market) is the check for
    a pending one: of identical concurrent submissions one inserts, the others wait for it
    and are refused. One task e-mails the vendor and the organizer (pending) or the
    confirmation link (unconfirmed). Raises MarketNotFoundError (an inactive market),
    ValidationFailedError (document errors under the document type),
    ApplicationAlreadyOpenError, UploadBudgetExceededError.
    """
    if not market.is_active:
        raise MarketNotFoundError()
    _check_documents(market, documents)
    vendor = vendor_signed_in_as(user=applicant, email=email)
    application = Application(
        market=market,
        vendor=vendor,
        email=normalize_email(email),
        status=Status.PENDING if vendor else Status.UNCONFIRMED,
        message=message,
        business_name=business_name,
        contact_name=contact_name,
        phone=phone,
        product_categories=list(product_categories),
        description=description,
    )
    full_clean(application, exclude=["market", "vendor", "reviewed_by"])
    application_categories_check(market=market, product_categories=application.product_categories)
    if vendor is None and client_ip is not None:
        upload_budget_spend(client_ip=client_ip, size=sum(d.file.size for d in documents))
    try:  # no savepoint: the error ends the transaction
        application.save()
    except IntegrityError:
        raise ApplicationAlreadyOpenError(extra={"market_id": str(market.pk)}) from None
    if documents:
        application.documents.add(*vendor_documents_store(vendor=vendor, uploads=documents))
    task = tasks.send_application_submitted if vendor else tasks.send_application_confirmation
    enqueue_email(task, application_id=str(application.pk))
    return application


def upload_budget_spend(*, client_ip: str, size: int) -> None:
    """Count ``size`` bytes of files from people not signed in against ``client_ip``'s budget
    for today (``MARKETFLOW_ANONYMOUS_UPLOAD_BYTES_PER_DAY``), in Django's cache (atomic
    increments; Redis when ``REDIS_URL`` is set). Over the budget nothing is counted and
    UploadBudgetExceededError is raised."""
    if not size:
        return
    budget = settings.MARKETFLOW_ANONYMOUS_UPLOAD_BYTES_PER_DAY
    key = f"upload-budget:{client_ip}:{timezone.now().date().isoformat()}"
    cache.add(key, 0, timeout=24 * 3600)
    if cache.incr(key, size) > budget:
        cache.decr(key, size)
        raise UploadBudgetExceededError(extra={"budget_bytes": budget})


@transaction.atomic
def application_confirm(*, token: str) -> Application:
    """Confirm an unconfirmed application through the one-time link mailed to its e-mail.

    The vendor with that e-mail gets it, pending, and its documents: a new vendor is created
    with the submitted profile; a known vendor's stored profile stays as it is (it is theirs
    to edit in the portal; what was submitted stays on the application). Then every rule of
    a new application applies: one open application per vendor and market, and the
    organizer is told. Locks the application row, so a link works once and the purge skips
    it meanwhile. Raises LinkInvalidError (forged, used, or past the 7 days),
    MarketNotFoundError (deactivated since), ValidationFailedError (a category the market
    stopped accepting since), ApplicationAlreadyOpenError.
    """
    application = unconfirmed_application_get(token=token, lock=True)
    if application is None:
        raise LinkInvalidError()
    if not application.market.is_active:
        raise MarketNotFoundError()
    _transition(application, Status.PENDING)
    application_categories_check(
        market=application.market, product_categories=application.product_categories
    )
    application.vendor, _created = vendor_get_or_create(
        email=application.email,
        **{name: getattr(application, name) for name in VENDOR_PROFILE_FIELDS},
    )
    application.status = Status.PENDING
    try:  # no savepoint: the error ends the transaction
        application.save(update_fields=["vendor", "status", "updated_at"])
    except IntegrityError:
        raise ApplicationAlreadyOpenError(extra={"market_id": str(application.market_id)}) from None
    application.documents.update(vendor=application.vendor)
    enqueue_email(tasks.send_application_submitted, application_id=str(application.pk))
    return application


@transaction.atomic
def application_purge_unconfirmed(*, now: datetime.datetime | None = None) -> int:
    """Delete the unconfirmed applications sent more than 7 days before ``now`` with their
    documents, and the files through the storage API once that commits. Safe to run again
    and concurrently: each run locks the rows it deletes and skips rows locked by another
    (a confirmation in progress, another purge). Returns how many applications it deleted."""
    before = (now or timezone.now()) - UNCONFIRMED_LIFETIME
    expired = unconfirmed_expired_lock(before=before)
    documents = unclaimed_document_list(application_ids=expired, before=before)
    vendor_documents_delete(documents=list(documents))
    Application.unconfirmed.filter(pk__in=expired).delete()
    return len(expired)


def application_categories_check(*, market, product_categories) -> None:
    """Every submitted category is one ``market`` accepts. Raises ValidationFailedError
    naming the refused categories and the accepted ones."""
    refused = [c for c in product_categories if c not in market.accepted_categories]
    if refused:
        names = ", ".join(ProductCategory(c).label.lower() for c in refused)
        accepted = ", ".join(ProductCategory(c).label.lower() for c in market.accepted_categories)
        raise ValidationFailedError(
            "This market does not accept some of these product categories.",
            fields={
                "product_categories": [
                    f"This market does not accept {names}. It accepts: {accepted}."
                ]
            },
        )


def _check_documents(market, documents: Sequence[DocumentUpload]) -> None:
    """Files are checked before anything is written; required types must all be present."""
    vendor_documents_check(uploads=documents)
    application_required_documents_check(
        market=market, document_types={upload.document_type for upload in documents}
    )


def application_required_documents_check(*, market, document_types: set[str]) -> None:
    """Every document type ``market`` requires is among ``document_types``. Raises
    ValidationFailedError with a message under each missing type. (The apply form calls it
    too, so a person sees every problem at once.)"""
    missing = [kind for kind in market.required_document_types if kind not in document_types]
    if missing:
        raise ValidationFailedError(
            "This market requires documents that are missing.",
            fields={
                kind: [f"This market requires your {DocumentType(kind).label.lower()}."]
                for kind in missing
            },
        )


def _transition(application: Application, target: str) -> None:
    if target not in TRANSITIONS[application.status]:
        raise InvalidTransitionError(current=application.status, target=target)


def _decide(
    *,
    user: User,
    market_id: UUID,
    application_id: UUID,
    target: str,
    reason: str = "",
    notify: bool = True,
) -> Application:
    market = market_get_for_update(user=user, market_id=market_id)
    application = application_get_for_update(market=market, application_id=application_id)
    application.market = market  # the row locked above: the caller reads it for the response
    _transition(application, target)
    previous = application.get_status_display()
    if target == Status.ACCEPTED:  # counted under the market lock held above
        plans.active_vendor_limit_check(
            organizer=market.organizer,
            count_active_vendors=lambda: accepted_vendor_count(market=market),
        )
    application.status = target
    application.decision_reason = reason
    application.reviewed_by = user
    application.reviewed_at = timezone.now()
    full_clean(application, exclude=["market", "vendor", "reviewed_by"])
    try:  # no savepoint: the error ends the transaction
        application.save(
            update_fields=["status", "decision_reason", "reviewed_by", "reviewed_at", "updated_at"]
        )
    except IntegrityError:  # reopened while the vendor has another open application here
        raise ApplicationAlreadyOpenError(
            "The vendor has another open application to this market.",
            extra={"market_id": str(market.pk)},
        ) from None
    message = f"{application.get_status_display()} (was {previous.lower()})."
    audit_record(
        user=user,
        obj=application,
        message=f"{message} Reason: {reason}" if reason else message,
    )
    if notify:
        enqueue_email(
            tasks.send_application_decision, application_id=str(application.pk), status=str(target)
        )
    return application


def _reason_check(reason: str) -> None:
    """Undoing a decision says why: the vendor is told, and the history keeps it."""
    if not reason.strip():
        raise ValidationFailedError(
            "Give a reason: the vendor is told it.",
            fields={"reason": ["Say why; the vendor is told the reason."]},
        )


@transaction.atomic
def application_accept(
    *, user: User, market_id: UUID, application_id: UUID, reason: str = ""
) -> Application:
    """Accept a pending or waitlisted application. Locks the market, then the application.
    Raises MarketNotFoundError, ApplicationNotFoundError, InvalidTransitionError,
    PlanLimitReachedError (the free plan's active vendors, marketflow/plans.py)."""
    return _decide(
        user=user,
        market_id=market_id,
        application_id=application_id,
        target=Status.ACCEPTED,
        reason=reason,
    )


@transaction.atomic
def application_reject(
    *, user: User, market_id: UUID, application_id: UUID, reason: str = ""
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
    *, user: User, market_id: UUID, application_id: UUID, reason: str = ""
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
def application_reopen(
    *, user: User, market_id: UUID, application_id: UUID, reason: str
) -> Application:
    """Undo a rejection (or a revocation): the application is pending again, for a fresh
    review; the vendor is told, with ``reason``. Locks the market, then the application.
    Raises ValidationFailedError (no reason), MarketNotFoundError, ApplicationNotFoundError,
    InvalidTransitionError, ApplicationAlreadyOpenError (the vendor applied again since)."""
    _reason_check(reason)
    return _decide(
        user=user,
        market_id=market_id,
        application_id=application_id,
        target=Status.PENDING,
        reason=reason,
    )


def application_mark_revoked(
    *, user: User, market_id: UUID, application_id: UUID, reason: str
) -> Application:
    """The application's part of revoking an acceptance, inside the caller's transaction:
    ``stalls.services.application_revoke`` also releases the vendor's bookings and tells
    the vendor. Locks the market, then the application (a booking of the vendor, which locks
    the accepted application, waits for us or we wait for it). Raises ValidationFailedError
    (no reason), MarketNotFoundError, ApplicationNotFoundError, InvalidTransitionError."""
    _reason_check(reason)
    return _decide(
        user=user,
        market_id=market_id,
        application_id=application_id,
        target=Status.REVOKED,
        reason=reason,
        notify=False,
    )


def application_mark_withdrawn(*, user: User, application_id: UUID) -> Application:
    """The application's part of a vendor's withdrawal, inside the caller's transaction. A
    vendor withdraws through ``stalls.services.application_withdraw``, which also releases
    their bookings.

    Locks the market row, then the application (the same order as a decision, so accept
    and withdraw of one application serialize). Raises NotAVendorError,
    ApplicationNotFoundError, InvalidTransitionError.
    """
    vendor = vendor_for_user(user=user)
    application = vendor_application_get(vendor=vendor, application_id=application_id)
    market = market_lock(market_id=application.market_id)
    application = application_get_for_update(market=market, application_id=application.pk)
    _transition(application, Status.WITHDRAWN)
    previous = application.get_status_display()
    application.status = Status.WITHDRAWN
    application.withdrawn_at = timezone.now()
    application.save(update_fields=["status", "withdrawn_at", "updated_at"])
    audit_record(
        user=user,
        obj=application,
        message=f"Withdrawn by the vendor (was {previous.lower()}).",
    )
    return application


@transaction.atomic
def vendor_activation_request(*, email: str) -> None:
    """Send a fresh one-time activation link (``enqueue_email``) when ``email`` belongs to a
    vendor with an accepted application and no account. Otherwise nothing happens; the caller
    says the same either way, so the page does not reveal who is a vendor."""
    vendor = vendor_get_by_email(email=normalize_email(email))
    if vendor is None or vendor.user_id is not None:
        return
    if not Application.objects.filter(vendor=vendor, status=Status.ACCEPTED).exists():
        return
    enqueue_email(send_vendor_activation, vendor_id=str(vendor.pk))


# -- the vendor's documents: they live in vendors, the applications that list them here ------


def _own_document_for_update(*, user: User, document_id: UUID) -> VendorDocument:
    """One of the signed-in vendor's documents, the vendor row locked (one change of their
    documents at a time), then every application that lists the document (a status change
    of one waits, so the check that follows holds until the commit)."""
    vendor = vendor_lock(vendor_id=vendor_for_user(user=user).pk)
    document = vendor_document_get(vendor=vendor, document_id=document_id)
    list(
        Application.objects.filter(documents=document).select_for_update(no_key=True, of=("self",))
    )
    return document


@transaction.atomic
def vendor_document_delete(*, user: User, document_id: UUID) -> None:
    """The signed-in vendor deletes one of their documents, and its file through the storage
    API once the transaction commits. A document sent with an open application (pending,
    waitlisted or accepted) stays: its organizer relies on it (an insurance certificate,
    say), so the vendor replaces it instead (``vendor_document_replace``). Raises
    NotAVendorError, DocumentNotFoundError, DocumentInUseError."""
    document = _own_document_for_update(user=user, document_id=document_id)
    open_with = (
        Application.objects.filter(documents=document, status__in=Application.OPEN_STATUSES)
        .order_by("market__name")
        .values_list("market__name", flat=True)
    )
    if markets := list(open_with):
        raise DocumentInUseError(
            f"This document was sent with your open application to {', '.join(markets)}: "
            "the organizer relies on it. Replace it with a newer file instead.",
            extra={"markets": markets},
        )
    vendor_documents_delete(documents=[document])


@transaction.atomic
def vendor_document_replace(
    *, user: User, document_id: UUID, file, expires_on: datetime.date | None = None
) -> VendorDocument:
    """A new file (and expiry date) for one of the signed-in vendor's documents, of the same
    kind: the new document takes the old one's place in every application that lists it,
    so organizers see the current one; the old one is deleted, its file through the storage
    API once the transaction commits. Raises NotAVendorError, DocumentNotFoundError,
    ValidationFailedError (the file under ``file``)."""
    document = _own_document_for_update(user=user, document_id=document_id)
    upload = DocumentUpload(document_type=document.document_type, file=file, expires_on=expires_on)
    vendor_documents_check(uploads=[upload], field="file")
    (replacement,) = vendor_documents_store(vendor=document.vendor, uploads=[upload])
    Application.documents.through.objects.filter(vendordocument=document).update(
        vendordocument=replacement
    )
    vendor_documents_delete(documents=[document])
    return replacement


@transaction.atomic
def document_review(
    *, user: User, market_id: UUID, document_id: UUID, status: str, reason: str = ""
) -> DocumentReview:
    """An organizer approves a vendor's document for their market, or refuses it with a
    reason (the vendor sees both). Approval is per (market, document): a document the vendor
    sent to several markets is judged by each market's organizer for their market alone.
    Only a document submitted with a confirmed application to the market can be judged.
    A refusal (or a new reason) e-mails the vendor. Audited on the document. Raises
    MarketNotFoundError, DocumentNotFoundError, ValidationFailedError (a refusal without
    reason)."""
    market = market_get(user=user, market_id=market_id)
    document = market_document_get(market=market, document_id=document_id)
    before = document.reviews.filter(market=market).values_list("status", "reason").first()
    review = document_review_save(
        market=market, document=document, status=status, reason=reason, by=user
    )
    if review.status == DocumentReview.Status.REFUSED and before != (review.status, review.reason):
        enqueue_email(send_document_refused, review_id=str(review.pk))
    verdict = review.get_status_display().lower()
    audit_record(
        user=user,
        obj=document,
        message=f"{verdict.capitalize()} for {market.name}"
        + (f": {review.reason}" if review.reason else "."),
    )
    return review


# -- reminders of documents that expire -----------------------------------------------------

# Days before a document's expiry date (its last valid day) each reminder goes out; a run
# that missed the day sends it on a later one, while it is still the most recent threshold.
# A document lapses the day after its expiry date; that reminder is sent up to a week late.
REMINDER_WINDOWS = (
    (DocumentReminder.Threshold.DAYS_30, 8, 30),
    (DocumentReminder.Threshold.DAYS_7, 0, 7),
    (DocumentReminder.Threshold.LAPSED, -7, -1),
)


def reminder_threshold(days_left: int) -> str | None:
    """The reminder due for a document whose expiry date is ``days_left`` days away."""
    for threshold, low, high in REMINDER_WINDOWS:
        if low <= days_left <= high:
            return threshold
    return None


def document_reminders_send(*, today: datetime.date) -> list[DocumentReminder]:
    """E-mail each vendor whose required document (a type a market they have an open
    application to requires and lets expire) expires in 30 or 7 days, or lapsed: each
    reminder once per document, threshold and expiry date (``document_reminder_record``).
    One transaction per reminder, its record and its e-mail (``enqueue_email``) together.
    Idempotent, and safe to run twice at once: the unique constraint lets one run send."""
    earliest = min(low for _threshold, low, _high in REMINDER_WINDOWS)
    latest = max(high for _threshold, _low, high in REMINDER_WINDOWS)
    due = expiring_required_documents(
        since=today - datetime.timedelta(days=-earliest),
        until=today + datetime.timedelta(days=latest),
    )
    sent = []
    for document, market_names in due.values():
        threshold = reminder_threshold((document.expires_on - today).days)
        with transaction.atomic():
            reminder = document_reminder_record(
                document_id=document.pk, threshold=threshold, expires_on=document.expires_on
            )
            if reminder is None:
                continue
            enqueue_email(
                send_document_reminder,
                reminder_id=str(reminder.pk),
                market_names=market_names,
            )
        sent.append(reminder)
    return sent


# -- importing a vendor list -----------------------------------------------------------------


@dataclass(frozen=True)
class ImportedVendor:
    """One row of an organizer's vendor list (``line``: its row in the file)."""

    line: int
    business_name: str
    contact_name: str
    email: str
    phone: str = ""
    product_categories: tuple[str, ...] = ()
    stall: str = ""  # the label of the vendor's regular stall, if any


def _imported_application(market: Market, row: ImportedVendor) -> Application:
    return Application(
        market=market,
        email=normalize_email(row.email),
        status=Status.ACCEPTED,
        business_name=row.business_name,
        contact_name=row.contact_name,
        phone=row.phone,
        product_categories=list(row.product_categories),
    )


def application_import_errors(*, market: Market, rows: Sequence[ImportedVendor]) -> dict:
    """Why rows of a vendor list cannot become accepted applications to ``market``, as
    ``{line: [messages]}`` (empty: every row can). Reads only: the import page's preview
    shows it, and ``applications_import_accepted``'s caller checks it again under the lock.
    The rules of an application (fields, the market's categories), an e-mail once per file,
    and no open application of that vendor to the market already."""
    errors: dict[int, list[str]] = defaultdict(list)
    emails = [normalize_email(row.email) for row in rows]
    already_open = set(
        Application.objects.filter(
            market=market, status__in=Application.OPEN_STATUSES, vendor__email__in=emails
        ).values_list("vendor__email", flat=True)
    )
    seen: dict[str, int] = {}
    for row in rows:
        application = _imported_application(market, row)
        try:
            full_clean(application, exclude=["market", "vendor", "reviewed_by"])
            application_categories_check(
                market=market, product_categories=application.product_categories
            )
        except ValidationFailedError as error:
            for field, messages in error.extra.get("fields", {}).items():
                label = "product categories" if field == "product_categories" else field
                errors[row.line] += [f"{label.replace('_', ' ')}: {m}" for m in messages]
        email = application.email
        if email and email in seen:
            errors[row.line].append(f"The e-mail {email} is also on row {seen[email]}.")
        elif email in already_open:
            errors[row.line].append(f"{email} already has an open application to this market.")
        seen.setdefault(email, row.line)
    return dict(errors)


def import_plan_check(*, market: Market, count: int) -> None:
    """``count`` more active vendors fit the organizer's plan. Raises PlanLimitReachedError."""
    plans.active_vendor_limit_check(
        organizer=market.organizer,
        count_active_vendors=lambda: accepted_vendor_count(market=market),
        adding=count,
    )


def applications_import_accepted(
    *, user: User, market: Market, rows: Sequence[ImportedVendor]
) -> list[Application]:
    """Accepted applications to ``market`` for every row of a vendor list, inside the
    caller's transaction, with ``market`` locked by it (the plan limit is counted under that
    lock): the vendor of each e-mail is found or created (a known vendor's profile is kept
    as it is), no e-mail is sent. Raises ValidationFailedError (``extra["rows"]``: the
    messages per row) and PlanLimitReachedError, both before anything is written."""
    errors = application_import_errors(market=market, rows=rows)
    if errors:
        raise ValidationFailedError(
            "Some rows of the vendor list cannot be imported; nothing was imported.",
            extra={"rows": {str(line): messages for line, messages in errors.items()}},
        )
    import_plan_check(market=market, count=len(rows))
    now = timezone.now()
    applications = []
    for row in rows:
        application = _imported_application(market, row)
        application.vendor, _created = vendor_get_or_create(
            email=application.email,
            **{name: getattr(application, name) for name in VENDOR_PROFILE_FIELDS},
        )
        application.reviewed_by, application.reviewed_at = user, now
        applications.append(application)
    try:  # no savepoint: the error ends the transaction
        Application.objects.bulk_create(applications)
    except IntegrityError:  # an application opened since the check: the constraint holds
        raise ApplicationAlreadyOpenError(
            "A vendor on the list has applied meanwhile; nothing was imported.",
            extra={"market_id": str(market.pk)},
        ) from None
    public_directory_forget(market_ids=[market.pk])  # bulk_create sends no post_save
    audit_records(
        user=user,
        entries=[
            (application, "Accepted (imported from the vendor list).", ADDITION)
            for application in applications
        ],
    )
    return applications
