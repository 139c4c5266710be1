"""Two photos uploaded at once for one vendor's public listing (two tabs, a double submit), in
the style of tests/test_concurrency.py: real PostgreSQL, real transactions, threads, and a
NEGATIVE CONTROL that removes the lock and shows the race then happens and is caught.

The rule: the two end as one order would. The row names one of the two new photos, and the
storage keeps exactly that file: the old photo and the other new one are deleted, none is
left behind for nobody.
"""

import io
import threading

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

import vendors.services as vendor_services
from tests.test_concurrency import DECISION_ROUNDS, run_together, wait_after
from vendors.models import PHOTO_KEY_PREFIX, Vendor

pytestmark = pytest.mark.django_db(transaction=True)


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 120, 40)).save(buffer, format="PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue())


def stored_photos() -> set[str]:
    try:
        _folders, names = default_storage.listdir(PHOTO_KEY_PREFIX.rstrip("/"))
    except FileNotFoundError:
        return set()
    return {PHOTO_KEY_PREFIX + name for name in names}


def first_photo(vendor_user) -> set[str]:
    """The vendor's first photo; returns what was stored before it."""
    before = stored_photos()
    vendor_services.vendor_directory_update(user=vendor_user, photo=photo())
    return before


def two_at_once(vendor_user, before: set[str]) -> tuple[str, set[str]]:
    """Two more photos at once: the photo the row names, and the photos stored since
    ``before``."""
    calls = [
        lambda: vendor_services.vendor_directory_update(user=vendor_user, photo=photo())
        for _ in range(2)
    ]
    run_together(calls)
    named = Vendor.objects.get(user=vendor_user).photo.name
    return named, stored_photos() - before


def test_two_photos_at_once_leave_exactly_the_one_the_row_names(vendor_user):
    for _round in range(DECISION_ROUNDS):
        named, stored = two_at_once(vendor_user, first_photo(vendor_user))

        assert stored == {named}


def test_control_without_the_lock_a_photo_is_left_behind(monkeypatch, vendor_user):
    """NEGATIVE CONTROL: the vendor row is read without the lock, and each call waits until
    both have read it. Both then replace the same old photo, and the photo of the call that
    saved first is named by no row but stays stored: the race test above would catch it."""
    before = first_photo(vendor_user)
    both_read = threading.Barrier(2)
    monkeypatch.setattr(
        vendor_services,
        "vendor_lock",
        wait_after(lambda *, vendor_id: Vendor.objects.get(pk=vendor_id), both_read),
    )

    named, stored = two_at_once(vendor_user, before)

    assert named in stored and len(stored) == 2
