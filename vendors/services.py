"""Writes of vendor profiles. The e-mail is the vendor's identity: no update changes it."""

import contextlib
import dataclasses
import datetime
import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from marketflow.errors import LinkInvalidError, ValidationFailedError
from marketflow.models import Market, User, normalize_email
from marketflow.selectors import unverified_accounts
from marketflow.services import account_claim, insert_once
from marketflow.validation import full_clean, only_fields, validate_new_password
from vendors.errors import (
    DocumentStorageUnavailableError,
    VendorAccountExistsError,
    VendorPhotoInvalidError,
)
from vendors.models import (
    DOCUMENT_KEY_PREFIX,
    DocumentReminder,
    DocumentReview,
    Vendor,
    VendorDocument,
    validate_document_file,
)
from vendors.photos import photo_reencode
from vendors.selectors import vendor_for_activation, vendor_for_user, vendor_lock

# What a file storage raises when it cannot be written: the disk (OSError), the object store
# (boto3's errors: unreachable, refused credentials, no bucket).
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)

ACCOUNT_EXISTS_SIGN_IN_FIRST = (
    "An account with this e-mail address already exists. Sign in with it (or reset its "
    "password), then open this link again to connect it to your vendor profile."
)
VENDOR_PROFILE_FIELDS = (
    "business_name",
    "contact_name",
    "phone",
    "product_categories",
    "description",
)


def _profile(fields: dict) -> dict:
    return only_fields(fields, VENDOR_PROFILE_FIELDS)


def vendor_get_or_create(*, email: str, **profile) -> tuple[Vendor, bool]:
    """The vendor with this e-mail, or a new one with ``profile``; never edits an existing one.

    One ``INSERT ... ON CONFLICT DO NOTHING`` and one read, safe under concurrency without a
    savepoint: a racing insert of the same e-mail waits for the other transaction, then
    reads its row. Call inside a transaction.
    """
    vendor = Vendor(email=normalize_email(email), **_profile(profile))
    full_clean(vendor, exclude=["user"])
    Vendor.objects.bulk_create([vendor], ignore_conflicts=True)
    stored = Vendor.objects.get(email=vendor.email)
    return stored, stored.pk == vendor.pk


@transaction.atomic
def vendor_update(*, user: User, **fields) -> Vendor:
    """Update the signed-in vendor's profile (not the e-mail). Locks the vendor row."""
    vendor = vendor_for_user(user=user)
    vendor = Vendor.objects.select_for_update(no_key=True).get(pk=vendor.pk)
    if "email" in fields:
        raise ValidationFailedError(fields={"email": ["The e-mail address cannot be changed."]})
    for name, value in _profile(fields).items():
        setattr(vendor, name, value)
    full_clean(vendor, exclude=["user"])
    vendor.save()
    return vendor


DIRECTORY_FIELDS = ("directory_listed", "public_description")


@transaction.atomic
def vendor_directory_update(
    *, user: User, photo: File | None = None, remove_photo: bool = False, **fields
) -> Vendor:
    """The signed-in vendor's public listing: whether they are listed (``directory_listed``),
    the ``public_description`` and the photo (``photo``: an upload, re-encoded before it is
    stored; ``remove_photo``: none). Locks the vendor row. The replaced photo is deleted
    through the storage API once the transaction commits. Raises NotAVendorError,
    VendorPhotoInvalidError, ValidationFailedError, DocumentStorageUnavailableError."""
    encoded = None
    if photo is not None:  # before the lock: decoding takes a moment
        try:
            encoded = photo_reencode(photo)
        except ValidationError as error:
            raise VendorPhotoInvalidError(
                error.messages[0], fields={"photo": error.messages}, extra={"reason": error.code}
            ) from None
    vendor = vendor_lock(vendor_id=vendor_for_user(user=user).pk)
    for name, value in only_fields(fields, DIRECTORY_FIELDS).items():
        setattr(vendor, name, value)
    full_clean(vendor, exclude=["user", "photo"])
    old_photo = vendor.photo.name if (encoded is not None or remove_photo) else ""
    if encoded is not None:
        try:
            vendor.photo.save(encoded.name, encoded, save=False)
        except STORAGE_ERRORS as error:
            raise DocumentStorageUnavailableError() from error
    elif remove_photo:
        vendor.photo = ""
    try:
        vendor.save(update_fields=[*DIRECTORY_FIELDS, "photo", "updated_at"])
    except BaseException:
        if encoded is not None:  # the row keeps the old photo: the new file goes
            with contextlib.suppress(*STORAGE_ERRORS):
                default_storage.delete(vendor.photo.name)
        raise
    if old_photo:
        transaction.on_commit(functools.partial(default_storage.delete, old_photo), robust=True)
    return vendor


@dataclass(frozen=True)
class DocumentUpload:
    """One uploaded file and what it is, as a page (or another face) received it."""

    document_type: str
    file: File
    expires_on: datetime.date | None = None


def vendor_documents_check(*, uploads: Sequence[DocumentUpload], field: str | None = None) -> None:
    """Each file must be a PDF, JPEG, PNG or WebP by its content, not empty, at most 10 MB.

    Stores nothing. Raises ValidationFailedError with the messages under ``field``, or under
    each upload's document type when ``field`` is None (the apply form names its file inputs
    after the document types).
    """
    fields: dict[str, list[str]] = {}
    for upload in uploads:
        try:
            validate_document_file(upload.file)
        except ValidationError as error:
            fields.setdefault(field or upload.document_type, []).extend(error.messages)
    if fields:
        raise ValidationFailedError(fields=fields)


def vendor_documents_store(
    *, vendor: Vendor | None, uploads: Sequence[DocumentUpload]
) -> list[VendorDocument]:
    """Store checked uploads through the default storage, under generated names, and record
    them as ``vendor``'s (None: as an unconfirmed application's only). Call inside a
    transaction. If anything fails, the files stored so far are removed before the error
    goes on; a storage that cannot be written raises DocumentStorageUnavailableError. (A
    caller's transaction that rolls back later leaves its files behind for
    ``sweep_orphan_documents``.)"""
    documents: list[VendorDocument] = []
    try:
        for upload in uploads:
            original_filename = os.path.basename(upload.file.name or "") or "document"
            document = VendorDocument(
                vendor=vendor,
                document_type=upload.document_type,
                original_filename=original_filename[-255:],
                size=upload.file.size,
                content_type=validate_document_file(upload.file),
                expires_on=upload.expires_on,
            )
            full_clean(document, exclude=["vendor", "file"])
            upload.file.seek(0)
            try:
                document.file.save(original_filename, upload.file, save=False)
            except STORAGE_ERRORS as error:
                raise DocumentStorageUnavailableError() from error
            documents.append(document)
        VendorDocument.objects.bulk_create(documents)  # one insert for all
    except BaseException:
        for document in documents:
            # A storage down now leaves the file to sweep_orphan_documents.
            with contextlib.suppress(*STORAGE_ERRORS):
                document.file.delete(save=False)
        raise
    return documents


def vendor_documents_delete(*, documents: Sequence[VendorDocument]) -> None:
    """Delete ``documents``, and their files through the storage API once the transaction
    commits (a rollback keeps both; a file the storage fails to delete then is logged and
    left to ``sweep_orphan_documents``). Call inside a transaction."""
    VendorDocument.objects.filter(pk__in=[document.pk for document in documents]).delete()
    for document in documents:
        transaction.on_commit(functools.partial(document.file.delete, save=False), robust=True)


def document_orphans_sweep(*, older_than: datetime.timedelta) -> list[str]:
    """Delete the files under the documents' prefix in the default storage that no document
    names and that were stored more than ``older_than`` ago (a younger one may belong to an
    upload whose row is not committed yet): what a transaction that rolled back after
    storing, or a storage that failed to delete, left behind. Returns their names. Safe to
    run again, and at the same time as another run."""
    storage = default_storage
    try:
        _folders, names = storage.listdir(DOCUMENT_KEY_PREFIX.rstrip("/"))
    except FileNotFoundError:  # nothing stored on this disk yet
        return []
    cutoff = timezone.now() - older_than
    swept = []
    names = [DOCUMENT_KEY_PREFIX + name for name in names]
    for start in range(0, len(names), 500):
        batch = names[start : start + 500]
        known = set(VendorDocument.objects.filter(file__in=batch).values_list("file", flat=True))
        for name in batch:
            if name not in known and storage.get_modified_time(name) < cutoff:
                storage.delete(name)
                swept.append(name)
    return swept


@dataclass
class DocumentsMoved:
    moved: list[str] = dataclasses.field(default_factory=list)
    already_there: list[str] = dataclasses.field(default_factory=list)
    missing: list[str] = dataclasses.field(default_factory=list)


def documents_move(*, source: Storage, target: Storage) -> DocumentsMoved:
    """Move every document's file from ``source`` (a server's disk) to ``target`` (the
    bucket) under the same name, so no row changes. A file is deleted from ``source`` only
    once ``target`` holds it whole (same size). Safe to run again: a file ``target`` already
    holds is not sent twice; a file in neither is reported missing."""
    result = DocumentsMoved()
    names = VendorDocument.objects.order_by("pk").values_list("file", flat=True)
    for name in names.iterator(chunk_size=500):
        local = source.exists(name)
        if target.exists(name) and (not local or target.size(name) == source.size(name)):
            result.already_there.append(name)
        elif not local:
            result.missing.append(name)
            continue
        else:
            if target.exists(name):  # an earlier copy that differs: replace it
                target.delete(name)
            with source.open(name, "rb") as file:
                stored = target.save(name, file)
            if stored != name or target.size(name) != source.size(name):
                raise DocumentStorageUnavailableError(extra={"file": name})
            result.moved.append(name)
        if local:
            source.delete(name)
    return result


@transaction.atomic
def vendor_document_upload(
    *, user: User, document_type: str, file: File, expires_on: datetime.date | None = None
) -> VendorDocument:
    """The signed-in vendor adds a document to their profile. Locks the vendor row.
    Raises NotAVendorError, ValidationFailedError (the file under ``file``)."""
    vendor = vendor_lock(vendor_id=vendor_for_user(user=user).pk)
    upload = DocumentUpload(document_type=document_type, file=file, expires_on=expires_on)
    vendor_documents_check(uploads=[upload], field="file")
    return vendor_documents_store(vendor=vendor, uploads=[upload])[0]


def _vendor_to_activate(*, uidb64: str, token: str) -> Vendor:
    """The vendor of a valid activation link, locked, still without an account."""
    vendor = vendor_for_activation(uidb64=uidb64, token=token)
    if vendor is None:
        raise LinkInvalidError()
    vendor = vendor_lock(vendor_id=vendor.pk)
    if vendor.user_id is not None:  # activated by a concurrent request
        raise LinkInvalidError()
    return vendor


def _vendor_link(vendor: Vendor, user: User) -> User:
    vendor.user = user
    try:  # no savepoint: the error ends the transaction
        vendor.save(update_fields=["user", "updated_at"])
    except IntegrityError:  # that user is already another vendor's
        raise VendorAccountExistsError() from None
    return user


@transaction.atomic
def vendor_account_activate(*, uidb64: str, token: str, password: str) -> User:
    """Follow a one-time activation link: create the vendor's own account with ``password``.

    Never sets the password of an account it did not create. The link proves control of
    the address, so an unverified sign-up holding it is deleted, with whatever it had; any
    other account with that address (a vendor's, an organizer's, staff) is refused: sign in
    with it, then open the link again to connect it (vendor_account_link). Locks the vendor
    row, then the account with the address, so a link works once and a racing sign-up
    waits. Raises LinkInvalidError, ValidationFailedError (``password``),
    VendorAccountExistsError.
    """
    vendor = _vendor_to_activate(uidb64=uidb64, token=token)
    user = User(email=vendor.email, full_name=vendor.contact_name)
    validate_new_password(password, user=user)
    user.set_password(password)
    holder = account_claim(candidate=user)
    if holder.pk != user.pk:
        if not unverified_accounts().filter(pk=holder.pk).exists():
            raise VendorAccountExistsError(ACCOUNT_EXISTS_SIGN_IN_FIRST)
        holder.delete()
        user.save(force_insert=True)
    return _vendor_link(vendor, user)


@transaction.atomic
def vendor_account_link(*, uidb64: str, token: str, user: User) -> User:
    """Follow a one-time activation link signed in to the account with the vendor's e-mail:
    link that account to the vendor; its password stays. Locks the vendor row. Raises
    LinkInvalidError (also for an account with another address), VendorAccountExistsError
    (the account is another vendor's)."""
    vendor = _vendor_to_activate(uidb64=uidb64, token=token)
    if not user.is_authenticated or user.email != vendor.email:
        raise LinkInvalidError()
    return _vendor_link(vendor, user)


def document_review_save(
    *, market: Market, document: VendorDocument, status: str, reason: str, by: User
) -> DocumentReview:
    """Record ``market``'s verdict on ``document`` (approved, or refused with a reason),
    replacing an earlier one: one atomic upsert on (market, document), so two organizers
    deciding at once leave one review, the last. The caller has checked that the document
    concerns the market. Raises ValidationFailedError (unknown status, a refusal without
    reason, a reason too long)."""
    reason = (reason or "").strip()
    if status == DocumentReview.Status.REFUSED and not reason:
        why = "Say why the document is refused."
        raise ValidationFailedError(why, fields={"reason": [why]})
    review = DocumentReview(
        market=market,
        document=document,
        status=status,
        reason=reason if status == DocumentReview.Status.REFUSED else "",
        reviewed_by=by,
    )
    full_clean(review, exclude=["market", "document", "reviewed_by"])
    DocumentReview.objects.bulk_create(
        [review],
        update_conflicts=True,
        unique_fields=["market", "document"],
        update_fields=["status", "reason", "reviewed_by", "updated_at"],
    )
    return DocumentReview.objects.get(market=market, document=document)  # the stored row


def document_reminder_record(
    *, document_id, threshold: str, expires_on: datetime.date
) -> DocumentReminder | None:
    """Record that the reminder ``threshold`` about document ``document_id`` expiring on
    ``expires_on`` is being sent; None when it was already (``insert_once``). Call inside the
    transaction that enqueues the e-mail, so the record and the e-mail commit together."""
    return insert_once(
        DocumentReminder(document_id=document_id, threshold=threshold, expires_on=expires_on)
    )
