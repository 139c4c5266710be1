"""Confirmed applications (issue 11, findings 2, 3 and 11): an application from someone not
signed in as its vendor does nothing until the e-mail's owner confirms it, is invisible to
organizers meanwhile, and is deleted with its files after 7 days. The upload budget of
anonymous applications."""

import datetime
import io
import re

import pytest
from django.core import mail, signing
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from applications.errors import UploadBudgetExceededError
from applications.models import Application
from applications.services import (
    application_confirm,
    application_purge_unconfirmed,
    application_submit,
)
from applications.tests.factories import ApplicationFactory
from applications.tokens import confirmation_application_id, confirmation_token
from conftest import admin_session, token_client
from marketflow.exception_handler import domain_error_status
from marketflow.tests.factories import MarketDayFactory, MarketFactory
from stalls.tests.factories import StallFactory
from vendors.models import Vendor, VendorDocument
from vendors.services import DocumentUpload
from vendors.tests.factories import VendorFactory
from vendors.tests.uploads import pdf

pytestmark = pytest.mark.django_db

Status = Application.Status


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what the block's commits would run: the e-mail tasks, the purge's file deletion."""
    return django_capture_on_commit_callbacks


def submission(**overrides) -> dict:
    return {
        "email": "ana@hillside.example",
        "business_name": "Attacker Honey",
        "contact_name": "Mallory",
        "phone": "+1 555 0100",
        "product_categories": ["produce"],
        "description": "Chosen by whoever typed it.",
        "message": "Call me at +1 555 0100.",
        **overrides,
    }


def with_insurance(**overrides) -> dict:
    upload = DocumentUpload(
        document_type="insurance", file=pdf(), expires_on=datetime.date(2031, 1, 1)
    )
    return submission(documents=[upload], **overrides)


def confirm_url(application) -> str:
    return reverse("application-confirm", kwargs={"token": confirmation_token(application.pk)})


def age(application, days: float) -> None:
    """Move ``application`` (and its documents) ``days`` into the past."""
    then = application.created_at - datetime.timedelta(days=days)
    Application.unconfirmed.filter(pk=application.pk).update(created_at=then)
    VendorDocument.objects.filter(applications=application).update(created_at=then)


# An application from someone not signed in as its vendor


def test_an_anonymous_application_is_unconfirmed_and_creates_no_vendor(market, on_commit):
    with on_commit(execute=True):
        application = application_submit(market=market, **with_insurance(email=" Ana@X.org "))

    application.refresh_from_db()
    assert (application.status, application.vendor, application.email) == (
        Status.UNCONFIRMED,
        None,
        "ana@x.org",
    )
    assert not Vendor.objects.exists()
    assert VendorDocument.objects.get().vendor is None  # the application's only
    assert not Application.objects.exists()  # invisible to every ordinary read
    [message] = mail.outbox
    assert message.to == ["ana@x.org"]
    token = re.search(r"http://testserver/apply/confirm/(\S+)/", message.body).group(1)
    assert confirmation_application_id(token) == application.pk
    assert "7 days" in message.body and "7 days" in message.alternatives[0][0]


def test_finding_2_an_application_in_a_known_vendors_name_changes_nothing_of_theirs(
    market, vendor, vendor_user, organizer, on_commit
):
    """Finding 2: the file appeared under the vendor's "Your documents", the application in
    their portal, and e-mail carried the attacker's text."""
    before = Vendor.objects.filter(pk=vendor.pk).values().get()

    with on_commit(execute=True):
        application_submit(market=market, **with_insurance(email=vendor.email.upper()))

    assert Vendor.objects.filter(pk=vendor.pk).values().get() == before
    assert not vendor.documents.exists() and not vendor.applications.exists()
    portal = admin_session(vendor_user).get(reverse("vendor-portal")).content.decode()
    assert "insurance.pdf" not in portal and market.name not in portal
    me = token_client(vendor_user).get(reverse("api:me-application-list")).json()
    assert me["results"] == []
    [message] = mail.outbox  # the confirmation link only: nothing to the organizer
    assert message.to == [vendor.email]
    assert "Attacker" not in message.body and "555" not in message.body


def test_finding_3_another_organizer_cannot_read_a_vendors_profile_through_it(
    market, organizer, organizer_admin, organizer_client
):
    """Finding 3: organizer A applied to their own market in a vendor's name and read the
    vendor's stored profile on the admin vendor page, then, after accepting, in the market's
    vendor list and the board CSV."""
    victim = VendorFactory(phone="+49 30 999888", contact_name="Vera Victim")
    ApplicationFactory(vendor=victim, market=MarketFactory())  # known at another market
    application = application_submit(market=market, **submission(email=victim.email))

    vendor_page = organizer_admin.get(
        reverse("admin:vendors_vendor_change", args=[victim.pk]), follow=True
    )
    accept = organizer_client.post(
        reverse(
            "api:application-accept",
            kwargs={"market_id": market.pk, "application_id": application.pk},
        )
    )
    vendors = organizer_client.get(
        reverse("api:market-vendor-list", kwargs={"market_id": market.pk})
    )
    market_day = MarketDayFactory(market=market)
    StallFactory(market=market)
    booking = organizer_client.post(
        reverse(
            "api:booking-list", kwargs={"market_id": market.pk, "market_day_id": market_day.pk}
        ),
        {"stall_id": str(market.stalls.get().pk), "vendor_id": str(victim.pk)},
        format="json",
    )
    board_csv = organizer_admin.get(reverse("admin:stalls_booking_board_csv", args=[market_day.pk]))

    assert "Vera Victim" not in vendor_page.content.decode()
    assert "999888" not in vendor_page.content.decode()
    assert accept.status_code == 404
    assert vendors.json()["results"] == []
    assert booking.status_code == 409 and booking.json()["code"] == "vendor_not_accepted"
    assert "999888" not in b"".join(board_csv.streaming_content).decode()


def test_organizers_see_nothing_of_an_unconfirmed_application(
    market, organizer, organizer_admin, organizer_client
):
    application = application_submit(market=market, **with_insurance())
    document = VendorDocument.objects.get()
    api = reverse("api:application-list", kwargs={"market_id": market.pk})
    detail = reverse(
        "api:application-detail", kwargs={"market_id": market.pk, "application_id": application.pk}
    )

    assert organizer_client.get(api).json()["results"] == []
    assert organizer_client.get(detail).status_code == 404
    changelist = organizer_admin.get(reverse("admin:applications_application_changelist"))
    assert "Attacker Honey" not in changelist.content.decode()
    change = organizer_admin.get(
        reverse("admin:applications_application_change", args=[application.pk]), follow=True
    )
    assert "Attacker Honey" not in change.content.decode()
    csv = organizer_admin.get(reverse("admin:applications_application_export"))
    assert "Attacker Honey" not in b"".join(csv.streaming_content).decode()
    dashboard = organizer_admin.get(reverse("admin:index"))
    assert dashboard.context["dashboard"].pending_total == 0
    download = organizer_admin.get(reverse("document-download", args=[document.pk]))
    assert download.status_code == 404


def test_unconfirmed_applications_count_for_nothing(market, vendor, vendor_user):
    """Duplicates: two unconfirmed applications of one e-mail, and then the vendor applying
    signed in, are all taken; the plan limits and bookings count accepted ones only."""
    application_submit(market=market, **submission(email=vendor.email))
    application_submit(market=market, **submission(email=vendor.email))

    mine = application_submit(
        market=market, applicant=vendor_user, **submission(email=vendor.email)
    )

    assert (mine.status, mine.vendor) == (Status.PENDING, vendor)
    assert Application.unconfirmed.count() == 2


# Applying signed in as the vendor


def test_a_vendor_signed_in_applies_directly(
    client, market, vendor, vendor_user, organizer, on_commit
):
    client.force_login(vendor_user)

    with on_commit(execute=True):
        response = client.post(
            f"/m/{market.slug}/apply/",
            {**submission(email=vendor.email), "insurance": pdf()},
        )

    assert response.status_code == 302
    application = Application.objects.get()
    assert (application.status, application.vendor) == (Status.PENDING, vendor)
    assert vendor.documents.get().original_filename == "insurance.pdf"
    assert {tuple(message.to) for message in mail.outbox} == {(vendor.email,), (organizer.email,)}
    done = client.get(response["Location"]).content.decode()
    assert "has arrived" in done


def test_the_api_applies_directly_for_the_vendor_signed_in(market, vendor, vendor_user):
    url = reverse("api:public-apply", kwargs={"market_id": market.pk})

    anonymous = Client().post(url, submission(email=vendor.email), "application/json")
    signed_in = token_client(vendor_user).post(url, submission(email=vendor.email), format="json")

    assert (anonymous.status_code, anonymous.json()["status"]) == (201, "unconfirmed")
    assert (signed_in.status_code, signed_in.json()["status"]) == (201, "pending")


# Confirming


def test_confirming_creates_the_vendor_with_the_submission_and_tells_the_organizer(
    client, market, organizer, on_commit
):
    application = application_submit(market=market, **with_insurance())

    page = client.get(confirm_url(application))
    with on_commit(execute=True):
        response = client.post(confirm_url(application))

    assert page.status_code == 200 and "7 days" in page.content.decode()
    assert response.status_code == 200 and "confirmed" in response.content.decode()
    application = Application.objects.get()
    vendor = application.vendor
    assert (application.status, vendor.email, vendor.business_name, vendor.phone) == (
        Status.PENDING,
        "ana@hillside.example",
        "Attacker Honey",
        "+1 555 0100",
    )
    assert vendor.documents.get().applications.get() == application
    assert {tuple(message.to) for message in mail.outbox} == {(vendor.email,), (organizer.email,)}


def test_confirming_for_a_known_vendor_keeps_their_profile(market, vendor):
    before = Vendor.objects.filter(pk=vendor.pk).values().get()
    application = application_submit(market=market, **with_insurance(email=vendor.email))

    confirmed = application_confirm(token=confirmation_token(application.pk))

    assert confirmed.vendor == vendor
    assert Vendor.objects.filter(pk=vendor.pk).values().get() == before
    assert confirmed.business_name == "Attacker Honey"  # what was submitted, on the application
    assert vendor.documents.count() == 1


def test_a_confirmation_link_works_once(client, market):
    application = application_submit(market=market, **submission())
    client.post(confirm_url(application))

    again = client.post(confirm_url(application))
    page = client.get(confirm_url(application))

    assert again.status_code == 400 and "does not work" in again.content.decode()
    assert page.status_code == 400 and "does not work" in page.content.decode()
    assert Application.objects.get().status == Status.PENDING


@pytest.mark.parametrize("token", ["forged", "x:y:z"])
def test_a_forged_link_is_refused(refused, client, token):
    assert client.get(reverse("application-confirm", kwargs={"token": token})).status_code == 400
    with refused("link_invalid"):
        application_confirm(token=token)


def test_a_link_expires_with_the_purge(refused, market):
    application = application_submit(market=market, **submission())
    age(application, days=7.01)

    with refused("link_invalid"):
        application_confirm(token=confirmation_token(application.pk))


def test_a_token_signed_for_something_else_is_refused(refused, market):
    application = application_submit(market=market, **submission())

    with refused("link_invalid"):
        application_confirm(token=signing.dumps(str(application.pk)))


def test_a_confirmation_that_would_open_a_second_application_is_a_clear_conflict(
    client, market, vendor
):
    ApplicationFactory(market=market, vendor=vendor)
    application = application_submit(market=market, **submission(email=vendor.email))

    response = client.post(confirm_url(application))

    assert response.status_code == 409
    assert "already have an open application" in response.content.decode()
    assert Application.unconfirmed.get() == application  # kept, until purged


def test_a_confirmation_in_a_category_the_market_stopped_accepting_is_refused(refused, market):
    application = application_submit(market=market, **submission())
    market.accepted_categories = ["crafts"]
    market.save()

    with refused("invalid") as excinfo:
        application_confirm(token=confirmation_token(application.pk))
    assert list(excinfo.value.extra["fields"]) == ["product_categories"]


def test_a_confirmation_to_a_market_deactivated_since_is_not_found(refused, market):
    application = application_submit(market=market, **submission())
    market.is_active = False
    market.save()

    with refused("not_found"):
        application_confirm(token=confirmation_token(application.pk))


# The purge (finding 11)


def test_finding_11_unconfirmed_applications_and_their_files_are_purged_after_7_days(
    market, on_commit
):
    """Finding 11: anonymous uploads were never deleted."""
    old = application_submit(market=market, **with_insurance())
    old_file = VendorDocument.objects.get().file.name
    age(old, days=8)
    recent = application_submit(market=market, **with_insurance(email="b@x.org"))
    confirmed = application_submit(market=market, **with_insurance(email="c@x.org"))
    application_confirm(token=confirmation_token(confirmed.pk))
    Application.objects.filter(pk=confirmed.pk).update(
        created_at=confirmed.created_at - datetime.timedelta(days=30)
    )

    with on_commit(execute=True):  # the files go once the deletion commits
        call_command("purge_unconfirmed_applications", stdout=io.StringIO())

    assert list(Application.unconfirmed.all()) == [recent]
    assert Application.objects.get() == confirmed
    assert not default_storage.exists(old_file)
    assert VendorDocument.objects.count() == 2
    assert all(default_storage.exists(d.file.name) for d in VendorDocument.objects.all())
    assert application_purge_unconfirmed() == 0  # again: nothing left to do


def test_the_purge_takes_the_files_of_a_deleted_market_too(market, on_commit):
    application_submit(market=market, **with_insurance())
    document = VendorDocument.objects.get()
    market.delete()  # the application goes with it; its unclaimed file stays behind

    with on_commit(execute=True):
        application_purge_unconfirmed(now=document.created_at + datetime.timedelta(days=8))

    assert not VendorDocument.objects.exists()
    assert not default_storage.exists(document.file.name)


# The upload budget of anonymous applications


def post_apply(market, address: str, **extra):
    client = Client(REMOTE_ADDR=address)
    return client.post(f"/m/{market.slug}/apply/", {**submission(), **extra})


def test_anonymous_uploads_stop_at_the_daily_budget_of_the_address(settings, market):
    settings.MARKETFLOW_ANONYMOUS_UPLOAD_BYTES_PER_DAY = len(pdf().read()) * 2

    first = post_apply(market, "203.0.113.7", insurance=pdf())
    second = post_apply(market, "203.0.113.7", insurance=pdf(), email="b@x.org")
    third = post_apply(market, "203.0.113.7", insurance=pdf(), email="c@x.org")
    elsewhere = post_apply(market, "203.0.113.8", insurance=pdf(), email="d@x.org")
    no_files = post_apply(market, "203.0.113.7", email="e@x.org")

    assert [r.status_code for r in (first, second, elsewhere, no_files)] == [302] * 4
    assert third.status_code == 200
    assert "as many files as it may today" in third.content.decode()
    assert Application.unconfirmed.count() == 4 and VendorDocument.objects.count() == 3


def test_the_budget_refusal_is_a_stable_429(settings, market):
    settings.MARKETFLOW_ANONYMOUS_UPLOAD_BYTES_PER_DAY = 10

    with pytest.raises(UploadBudgetExceededError) as excinfo:
        application_submit(market=market, client_ip="198.51.100.1", **with_insurance())

    assert excinfo.value.code == "upload_budget_exceeded"
    assert domain_error_status(excinfo.value) == 429
    assert not Application.unconfirmed.exists() and not VendorDocument.objects.exists()
