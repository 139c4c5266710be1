import datetime
from collections.abc import Iterable
from uuid import UUID

from django.db.models import FilteredRelation, Q, QuerySet
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage

from marketflow.models import DocumentType, Market, User, normalize_email
from marketflow.selectors import get_or_raise
from marketflow.tokens import decode_id
from vendors.errors import DocumentNotFoundError, NotAVendorError
from vendors.models import DocumentReview, Vendor, VendorDocument
from vendors.tokens import vendor_activation_token


def vendor_get_by_email(*, email: str) -> Vendor | None:
    return Vendor.objects.filter(email=normalize_email(email)).first()


def vendor_signed_in_as(*, user: User | None, email: str) -> Vendor | None:
    """The vendor ``user`` is signed in as, when ``email`` is that vendor's; else None."""
    if user is None or not user.is_authenticated:
        return None
    return Vendor.objects.filter(user=user, email=normalize_email(email)).first()


def vendor_for_user(*, user: User) -> Vendor:
    """The vendor profile linked to a signed-in user; others are refused with 403."""
    if not user.is_authenticated:
        raise NotAVendorError()
    return get_or_raise(Vendor.objects.all(), NotAVendorError, user=user)


def user_is_vendor(*, user: User) -> bool:
    return Vendor.objects.filter(user=user).exists()


def vendor_lock(*, vendor_id: UUID) -> Vendor:
    return Vendor.objects.select_for_update(no_key=True).get(pk=vendor_id)


def vendor_document_list(*, vendor: Vendor) -> QuerySet[VendorDocument]:
    return VendorDocument.objects.filter(vendor=vendor)


# How long a download link of the object store stays valid after the permission check.
DOCUMENT_LINK_SECONDS = 60


def document_presigned_url(*, document: VendorDocument) -> str | None:
    """A link of the object store that serves ``document``'s file for 60 seconds, under the
    name and type we judged it to be (never the object key's); None when documents are on
    this server's disk, to be streamed from there."""
    storage = document.file.storage
    if not isinstance(storage, S3Storage):
        return None
    parameters = {
        "ResponseContentDisposition": content_disposition_header(True, document.download_name),
        "ResponseContentType": document.content_type,
        "ResponseCacheControl": "private, no-store",
    }
    return storage.url(document.file.name, parameters=parameters, expire=DOCUMENT_LINK_SECONDS)


def vendor_document_get(*, vendor: Vendor, document_id: UUID) -> VendorDocument:
    """One of ``vendor``'s own documents; anyone else's is not found."""
    return get_or_raise(vendor_document_list(vendor=vendor), DocumentNotFoundError, pk=document_id)


def vendor_for_activation(*, uidb64: str, token: str) -> Vendor | None:
    """The vendor a one-time activation link is for, while it is valid (no user linked yet,
    not expired); None for any other link."""
    vendor = Vendor.objects.filter(pk=decode_id(uidb64), user__isnull=True).first()
    if vendor is None or not vendor_activation_token.check_token(vendor, token):
        return None
    return vendor


# -- readiness: may a vendor stand at a market on a date, as far as documents go ------------

# Why a required document does not count, best first: of several documents of one type, the
# one closest to counting names the problem (an unreviewed new file beats a refused old one).
DOCUMENT_PROBLEMS = {
    "not_reviewed": "not reviewed yet",
    "expired": "expired by then",
    "refused": "refused",
    "missing": "missing",
}


def document_problem(*, review_status: str | None, expires_on, expires: bool, date) -> str | None:
    """Why one document does not make its type ready on ``date`` (None: it does). The
    expiry rule "expires" needs ``expires_on`` on or after the date; "never" ignores it."""
    if expires and (expires_on is None or expires_on < date):
        return "expired"
    if review_status == DocumentReview.Status.APPROVED:
        return None
    return "refused" if review_status == DocumentReview.Status.REFUSED else "not_reviewed"


def vendor_readiness(
    *, market: Market, date: datetime.date, vendor_ids: Iterable[UUID]
) -> dict[UUID, list[dict]]:
    """The required documents of ``market`` that each of ``vendor_ids`` lacks on ``date``:
    ``{vendor_id: [{"document_type", "label", "problem", "problem_label"}]}``, an empty
    list for a ready vendor. A vendor is ready when each required type has a document this
    market approved that is valid on that date. One query however many vendors (none when
    the market requires nothing)."""
    vendor_ids = list(dict.fromkeys(UUID(str(vendor_id)) for vendor_id in vendor_ids))
    required = list(market.required_document_types or [])
    if not required or not vendor_ids:
        return {vendor_id: [] for vendor_id in vendor_ids}
    documents = (
        VendorDocument.objects.filter(vendor_id__in=vendor_ids, document_type__in=required)
        .annotate(review=FilteredRelation("reviews", condition=Q(reviews__market_id=market.pk)))
        .values_list("vendor_id", "document_type", "expires_on", "review__status")
    )
    return readiness_of(market=market, date=date, vendor_ids=vendor_ids, documents=documents)


def readiness_of(
    *, market: Market, date: datetime.date, vendor_ids: list[UUID], documents: Iterable[tuple]
) -> dict[UUID, list[dict]]:
    """``vendor_readiness``'s rule over ``documents`` already read: ``(vendor_id,
    document_type, expires_on, this market's review status or None)`` of ``vendor_ids``'
    documents of the required types (the stall board reads them in its own statement)."""
    required = list(market.required_document_types or [])
    expiring = set(market.expiring_document_types or [])
    problems: dict[tuple, set] = {}
    for vendor_id, kind, expires_on, review_status in documents:
        problem = document_problem(
            review_status=review_status,
            expires_on=expires_on,
            expires=kind in expiring,
            date=date,
        )
        problems.setdefault((vendor_id, kind), set()).add(problem)
    ranked = list(DOCUMENT_PROBLEMS)
    result = {}
    for vendor_id in vendor_ids:
        missing = []
        for kind in required:
            found = problems.get((vendor_id, kind), {"missing"})
            if None in found:
                continue
            problem = min(found, key=ranked.index)
            missing.append(
                {
                    "document_type": kind,
                    "label": str(DocumentType(kind).label),
                    "problem": problem,
                    "problem_label": DOCUMENT_PROBLEMS[problem],
                }
            )
        result[vendor_id] = missing
    return result


def readiness_text(missing: list[dict]) -> str:
    """``Insurance certificate (expired by then), Health permit (missing)``."""
    return ", ".join(f"{item['label']} ({item['problem_label']})" for item in missing)


def document_review_list(*, documents: Iterable[VendorDocument]) -> dict[UUID, list[dict]]:
    """Every market's verdict on each of ``documents`` (the vendor's own view), by document
    id: ``[{"market_id", "market_name", "status", "reason"}]``; one query."""
    reviews = (
        DocumentReview.objects.filter(document__in=list(documents))
        .order_by("market__name", "market_id")
        .values("document_id", "market_id", "market__name", "status", "reason")
    )
    result: dict[UUID, list[dict]] = {}
    for review in reviews:
        result.setdefault(review["document_id"], []).append(
            {
                "market_id": review["market_id"],
                "market_name": review["market__name"],
                "status": review["status"],
                "reason": review["reason"],
            }
        )
    return result
