"""Issue 11's race of identity: a vendor's activation against a sign-up of the same e-mail.

Whichever commits first, the vendor ends up with their own active account and password, the
address has one account, and the sign-up answers as any sign-up does (see test_concurrency.py
for the method and the negative controls).
"""

import threading

import pytest
from django.db import IntegrityError

import marketflow.services as core_services
import vendors.services as vendor_services
from marketflow.models import User
from marketflow.tokens import encode_id
from tests.test_concurrency import BARRIER_TIMEOUT, run_together
from vendors.tests.factories import VendorFactory
from vendors.tokens import vendor_activation_token

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 8
VENDOR_PASSWORD = "plum-orchard-42-lantern"
SQUATTER_PASSWORD = "quince-harbour-17-anvil"


def activation_and_sign_up(vendor) -> list:
    token = vendor_activation_token.make_token(vendor)

    def activation():
        return vendor_services.vendor_account_activate(
            uidb64=encode_id(vendor.pk), token=token, password=VENDOR_PASSWORD
        )

    def sign_up():
        return core_services.organizer_sign_up(email=vendor.email, password=SQUATTER_PASSWORD)

    return [activation, sign_up]


def integrity_error_or_none(call):
    """``call`` that says whether it failed on a constraint (run_together raises errors)."""

    def calling():
        try:
            call()
        except IntegrityError:
            return "IntegrityError"

    return calling


def test_activation_racing_a_sign_up_of_the_same_address_keeps_the_vendors_account():
    for _ in range(ROUNDS):
        vendor = VendorFactory()

        user, nothing = run_together(activation_and_sign_up(vendor))

        vendor.refresh_from_db()
        assert nothing is None and vendor.user == user
        assert list(User.objects.filter(email=vendor.email)) == [user]
        user.refresh_from_db()
        assert user.is_active and not user.is_organizer
        assert user.check_password(VENDOR_PASSWORD)


def test_control_check_then_insert_without_the_claim_fails_one_of_them(monkeypatch):
    """``account_claim`` replaced by a read, then an insert when nobody held the address, with
    both threads past the read before either writes: the second insert breaks the unique
    e-mail, so the vendor's activation or the sign-up fails."""
    checked = threading.Barrier(2)

    def claim_after_a_plain_read(*, candidate):
        holder = User.objects.filter(email=candidate.email).first()
        checked.wait(timeout=BARRIER_TIMEOUT)
        if holder is None:
            candidate.save(force_insert=True)
            return candidate
        return holder

    monkeypatch.setattr(core_services, "account_claim", claim_after_a_plain_read)
    monkeypatch.setattr(vendor_services, "account_claim", claim_after_a_plain_read)
    vendor = VendorFactory()

    calls = [integrity_error_or_none(call) for call in activation_and_sign_up(vendor)]

    assert sorted(run_together(calls), key=str) == ["IntegrityError", None]
