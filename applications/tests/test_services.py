"""Service tests of the application workflow: public submission, review, withdrawal."""

import pytest
from django.contrib.auth.models import AnonymousUser

from applications.models import TRANSITIONS, Application
from applications.services import (
    application_accept,
    application_confirm,
    application_reject,
    application_reopen,
    application_submit,
    application_waitlist,
)
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from applications.tokens import confirmation_token
from marketflow.models import User
from marketflow.tests.factories import MarketFactory, OrganizerFactory, UserFactory
from stalls.services import application_revoke, application_withdraw
from vendors.models import Vendor
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

Status = Application.Status

# The workflow as DESIGN.md states it, written out here so a wrong map cannot pass. (The one
# move out of "unconfirmed", to pending, is the e-mail owner's: test_confirmation.py.)
ALLOWED = {
    (Status.PENDING, Status.ACCEPTED),
    (Status.PENDING, Status.REJECTED),
    (Status.PENDING, Status.WAITLISTED),
    (Status.PENDING, Status.WITHDRAWN),
    (Status.WAITLISTED, Status.ACCEPTED),
    (Status.WAITLISTED, Status.REJECTED),
    (Status.WAITLISTED, Status.WITHDRAWN),
    (Status.ACCEPTED, Status.WITHDRAWN),
    # Undoing a decision: reopen a rejection (or a revocation), revoke an acceptance.
    (Status.REJECTED, Status.PENDING),
    (Status.REVOKED, Status.PENDING),
    (Status.ACCEPTED, Status.REVOKED),
}
TARGETS = [
    Status.ACCEPTED,
    Status.REJECTED,
    Status.WAITLISTED,
    Status.WITHDRAWN,
    Status.PENDING,
    Status.REVOKED,
]
REVIEWED = [source for source in Status.values if source != Status.UNCONFIRMED]
EVERY_MOVE = [(source, target) for source in REVIEWED for target in TARGETS]


def submission(**overrides):
    fields = {
        "email": "hello@sunrise.example",
        "business_name": "Sunrise Bakery",
        "contact_name": "Ada Baker",
        "phone": "+49 30 555",
        "product_categories": ["baked_goods", "beverages"],
        "description": "Sourdough and coffee.",
        "message": "Could we have a corner stall?",
    }
    fields.update(overrides)
    return fields


def move(application, target, *, organizer, vendor_user, reason=""):
    """Ask the service that owns ``target`` to move ``application`` there."""
    if target == Status.WITHDRAWN:
        return application_withdraw(user=vendor_user, application_id=application.pk)
    decide = {
        Status.ACCEPTED: application_accept,
        Status.REJECTED: application_reject,
        Status.WAITLISTED: application_waitlist,
        Status.PENDING: application_reopen,
        Status.REVOKED: application_revoke,
    }[target]
    return decide(
        user=organizer,
        market_id=application.market_id,
        application_id=application.pk,
        reason=reason or ("Undone." if target in (Status.PENDING, Status.REVOKED) else ""),
    )


def submit_confirmed(**fields) -> Application:
    """Submit, then confirm through the e-mailed link, as the e-mail's owner does."""
    submitted = application_submit(**fields)
    return application_confirm(token=confirmation_token(submitted.pk))


# application_submit


def test_a_new_e_mail_confirmed_creates_the_vendor_and_a_pending_application(market):
    application = submit_confirmed(market=market, **submission(email=" Hello@Sunrise.EXAMPLE "))

    application.refresh_from_db()
    vendor = application.vendor
    assert vendor.email == "hello@sunrise.example"
    assert (vendor.business_name, vendor.product_categories) == (
        "Sunrise Bakery",
        ["baked_goods", "beverages"],
    )
    assert application.market == market
    assert application.status == Status.PENDING
    assert application.message == "Could we have a corner stall?"
    assert application.business_name == "Sunrise Bakery"
    assert (application.reviewed_by, application.reviewed_at) == (None, None)


def test_a_known_e_mail_confirmed_keeps_the_profile_and_the_submission(market, vendor):
    stored = Vendor.objects.filter(pk=vendor.pk).values().get()

    application = submit_confirmed(
        market=market,
        **submission(
            email=vendor.email.upper(),
            business_name="A New Name",
            contact_name="Someone Else",
            phone="000",
            product_categories=["crafts"],
            description="Changed everything.",
        ),
    )

    assert application.vendor_id == vendor.pk
    assert Vendor.objects.filter(pk=vendor.pk).values().get() == stored
    assert Vendor.objects.count() == 1
    application.refresh_from_db()
    assert (
        application.business_name,
        application.contact_name,
        application.phone,
        application.product_categories,
        application.description,
    ) == ("A New Name", "Someone Else", "000", ["crafts"], "Changed everything.")


def test_submit_to_an_inactive_market_is_not_found(refused):
    inactive = MarketFactory(is_active=False)

    with refused("not_found"):
        application_submit(market=inactive, **submission())


@pytest.mark.parametrize("status", [Status.PENDING, Status.WAITLISTED, Status.ACCEPTED])
def test_submit_with_an_open_application_is_refused(refused, market, vendor, vendor_user, status):
    ApplicationFactory(market=market, vendor=vendor, status=status)

    with refused("application_already_open") as excinfo:
        application_submit(
            market=market, applicant=vendor_user, **submission(email=vendor.email.title())
        )
    assert excinfo.value.extra == {"market_id": str(market.pk)}


@pytest.mark.parametrize("status", [Status.REJECTED, Status.WITHDRAWN])
def test_submit_again_after_a_closed_application(market, vendor, vendor_user, status):
    ApplicationFactory(market=market, vendor=vendor, status=status)

    application = application_submit(
        market=market, applicant=vendor_user, **submission(email=vendor.email)
    )

    assert application.status == Status.PENDING
    assert Application.objects.filter(market=market, vendor=vendor).count() == 2


def test_an_open_application_elsewhere_does_not_block(market, vendor, vendor_user):
    ApplicationFactory(vendor=vendor, status=Status.ACCEPTED)  # another market

    application = application_submit(
        market=market, applicant=vendor_user, **submission(email=vendor.email)
    )

    assert application.status == Status.PENDING


def test_submit_with_invalid_fields_creates_no_vendor(refused, market):
    with refused("invalid") as excinfo:
        application_submit(
            market=market,
            **submission(email="nope", business_name="", product_categories=["fish"]),
        )
    fields = excinfo.value.extra["fields"]
    assert {"email", "business_name", "product_categories"} <= set(fields)
    assert "“fish”" in fields["product_categories"][0]


def test_a_known_e_mail_with_an_invalid_submission_is_refused(refused, market, vendor):
    with refused("invalid") as excinfo:
        application_submit(market=market, **submission(email=vendor.email, product_categories=[]))
    assert excinfo.value.extra["fields"] == {
        "product_categories": ["Choose at least one product category."]
    }


# The review workflow


def test_the_transition_map_is_the_designed_one():
    assert {(source, target) for source, targets in TRANSITIONS.items() for target in targets} == (
        ALLOWED | {(Status.UNCONFIRMED, Status.PENDING)}
    )
    assert set(TRANSITIONS) == set(Status.values)


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
def test_every_allowed_transition_succeeds(organizer, market, vendor, vendor_user, source, target):
    application = ApplicationFactory(market=market, vendor=vendor, status=source)

    move(application, target, organizer=organizer, vendor_user=vendor_user)

    application.refresh_from_db()
    assert application.status == target


@pytest.mark.parametrize(
    ("source", "target"), [move_ for move_ in EVERY_MOVE if move_ not in ALLOWED]
)
def test_every_other_transition_is_refused_naming_both_states(
    refused, organizer, market, vendor, vendor_user, source, target
):
    application = ApplicationFactory(market=market, vendor=vendor, status=source)

    with refused("invalid_transition") as excinfo:
        move(application, target, organizer=organizer, vendor_user=vendor_user)
    assert excinfo.value.extra == {"current": source, "target": target}
    assert f"“{source}”" in excinfo.value.message and f"“{target}”" in excinfo.value.message


@pytest.mark.parametrize("decide", [application_accept, application_reject, application_waitlist])
def test_a_decision_records_the_reviewer_and_the_time(organizer, market, application, decide):
    decide(user=organizer, market_id=market.pk, application_id=application.pk)

    application.refresh_from_db()
    assert application.reviewed_by == organizer
    assert application.reviewed_at is not None
    assert application.reviewed_at >= application.created_at


def test_a_rejection_keeps_its_reason(organizer, market, application):
    application_reject(
        user=organizer,
        market_id=market.pk,
        application_id=application.pk,
        reason="Too many bakers.",
    )

    application.refresh_from_db()
    assert (application.status, application.decision_reason) == (
        Status.REJECTED,
        "Too many bakers.",
    )


def test_a_too_long_reason_is_refused(refused, organizer, market, application):
    with refused("invalid") as excinfo:
        application_reject(
            user=organizer, market_id=market.pk, application_id=application.pk, reason="x" * 2001
        )
    assert list(excinfo.value.extra["fields"]) == ["decision_reason"]


def test_a_decision_in_another_organizers_market_is_not_found(refused, organizer, other_market):
    application = ApplicationFactory(market=other_market)

    with refused("not_found"):
        application_accept(user=organizer, market_id=other_market.pk, application_id=application.pk)


def test_an_application_of_another_market_is_not_found_through_my_market(
    refused, organizer, market, other_market
):
    application = ApplicationFactory(market=other_market)

    with refused("not_found"):
        application_accept(user=organizer, market_id=market.pk, application_id=application.pk)


# The free plan's 20 active vendors per market


def accept_twenty(market):
    AcceptedApplicationFactory.create_batch(20, market=market)


@pytest.mark.parametrize("status", [Status.PENDING, Status.WAITLISTED])
def test_free_plan_refuses_the_21st_active_vendor(refused, organizer, market, status):
    accept_twenty(market)
    application = ApplicationFactory(market=market, status=status)

    with refused("plan_limit_reached") as excinfo:
        application_accept(user=organizer, market_id=market.pk, application_id=application.pk)
    assert excinfo.value.extra == {
        "limit": 20,
        "resource": "active_vendors",
        "upgrade_url": "http://testserver/billing/",
    }


def test_free_plan_still_rejects_and_waitlists_at_the_limit(organizer, market):
    accept_twenty(market)
    to_waitlist, to_reject = ApplicationFactory.create_batch(2, market=market)

    application_waitlist(user=organizer, market_id=market.pk, application_id=to_waitlist.pk)
    application_reject(user=organizer, market_id=market.pk, application_id=to_reject.pk)


def test_free_plan_counts_only_accepted_applications_of_this_market(organizer, market):
    AcceptedApplicationFactory.create_batch(19, market=market)
    ApplicationFactory(market=market, status=Status.WITHDRAWN)
    AcceptedApplicationFactory(market=MarketFactory(organizer=OrganizerFactory()))
    twentieth = ApplicationFactory(market=market)

    application_accept(user=organizer, market_id=market.pk, application_id=twentieth.pk)

    assert Application.objects.filter(market=market, status=Status.ACCEPTED).count() == 20


def test_paid_plan_has_no_active_vendor_limit():
    organizer = OrganizerFactory(plan=User.Plan.PAID)
    market = MarketFactory(organizer=organizer)
    accept_twenty(market)
    application = ApplicationFactory(market=market)

    application_accept(user=organizer, market_id=market.pk, application_id=application.pk)

    assert Application.objects.filter(market=market, status=Status.ACCEPTED).count() == 21


# application_withdraw


def test_the_vendor_withdraws_their_own_application(organizer, application, vendor_user):
    application_withdraw(user=vendor_user, application_id=application.pk)

    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN
    assert application.withdrawn_at is not None
    assert application.reviewed_by is None


def test_another_vendors_application_is_not_found(refused, application, vendor_user):
    someone_elses = ApplicationFactory(market=application.market)

    with refused("not_found"):
        application_withdraw(user=vendor_user, application_id=someone_elses.pk)


def test_a_user_without_a_vendor_profile_cannot_withdraw(refused, organizer, application):
    stranger = UserFactory()

    with refused("not_a_vendor"):
        application_withdraw(user=stranger, application_id=application.pk)
    with refused("not_a_vendor"):
        application_withdraw(user=organizer, application_id=application.pk)
    with refused("not_a_vendor"):
        application_withdraw(user=AnonymousUser(), application_id=application.pk)


def test_withdrawal_frees_a_place_under_the_free_plan(organizer, market, vendor, vendor_user):
    AcceptedApplicationFactory.create_batch(19, market=market)
    mine = AcceptedApplicationFactory(market=market, vendor=vendor)
    waiting = ApplicationFactory(market=market, vendor=VendorFactory(), status=Status.WAITLISTED)

    application_withdraw(user=vendor_user, application_id=mine.pk)
    application_accept(user=organizer, market_id=market.pk, application_id=waiting.pk)

    waiting.refresh_from_db()
    assert waiting.status == Status.ACCEPTED


def test_a_market_refuses_categories_it_does_not_accept(refused, market):
    market.accepted_categories = ["crafts", "other"]
    market.save(update_fields=["accepted_categories", "updated_at"])

    with refused("invalid") as excinfo:
        application_submit(market=market, **submission(product_categories=["crafts", "produce"]))

    assert excinfo.value.extra["fields"] == {
        "product_categories": ["This market does not accept produce. It accepts: crafts, other."]
    }


def test_a_market_takes_applications_in_the_categories_it_accepts(market):
    market.accepted_categories = ["crafts"]
    market.save(update_fields=["accepted_categories", "updated_at"])

    application = application_submit(market=market, **submission(product_categories=["crafts"]))

    assert application.product_categories == ["crafts"]
