from uuid import UUID

from django.db.models import QuerySet
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage

from marketflow.models import User, normalize_email
from marketflow.selectors import get_or_raise
from marketflow.tokens import decode_id
from vendors.errors import DocumentNotFoundError, NotAVendorError
from vendors.models import Vendor, VendorDocument
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
