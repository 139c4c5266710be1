"""The applications admin: decisions one at a time and in bulk through the services, refusals
that change nothing, filters, search, the CSV export and the documents on the review page."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from applications.models import Application
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from conftest import domain_snapshot
from marketflow.admin_base import csv_cell
from marketflow.tests.factories import MarketFactory
from tests.admin_support import admin_url, messages_of
from vendors.models import VendorDocument
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

Status = Application.Status


def decide(client, application, decision):
    return client.post(
        reverse("admin:applications_application_decide", args=[application.pk]),
        {"decision": decision},
        follow=True,
    )


def reject(client, application, reason=""):
    return client.post(
        reverse("admin:applications_application_reject", args=[application.pk]),
        {"reason": reason},
        follow=True,
    )


def act(client, action, applications, **extra):
    return client.post(
        admin_url("application"),
        {"action": action, "_selected_action": [a.pk for a in applications], **extra},
        follow=True,
    )


# -- one at a time ------------------------------------------------------------------------------


def test_accepting_goes_through_the_service(application, organizer, organizer_admin):
    response = decide(organizer_admin, application, "accept")

    application.refresh_from_db()
    assert application.status == Status.ACCEPTED
    assert application.reviewed_by == organizer and application.reviewed_at is not None
    assert response.redirect_chain[-1][0] == admin_url("application", "change", application.pk)
    assert messages_of(response) == [f"Accepted: {application.business_name}."]


def test_waitlisting(application, organizer_admin):
    decide(organizer_admin, application, "waitlist")
    application.refresh_from_db()
    assert application.status == Status.WAITLISTED


def test_rejecting_asks_for_a_reason_first(application, organizer_admin):
    url = reverse("admin:applications_application_reject", args=[application.pk])
    page = organizer_admin.get(url)
    assert page.status_code == 200 and "reason" in page.context["form"].fields
    application.refresh_from_db()
    assert application.status == Status.PENDING

    reject(organizer_admin, application, "We are full of bakers this season.")

    application.refresh_from_db()
    assert application.status == Status.REJECTED
    assert application.decision_reason == "We are full of bakers this season."


def test_a_refused_decision_shows_the_services_message_and_changes_nothing(market, organizer_admin):
    rejected = ApplicationFactory(market=market, status=Status.REJECTED)
    before = domain_snapshot()

    response = decide(organizer_admin, rejected, "accept")

    assert messages_of(response) == ["Cannot change status from “rejected” to “accepted”."]
    assert domain_snapshot() == before


def test_the_plan_limit_refuses_the_21st_vendor(market, application, organizer_admin):
    for _number in range(20):
        AcceptedApplicationFactory(market=market)
    before = domain_snapshot()

    response = decide(organizer_admin, application, "accept")

    assert messages_of(response) == [
        "The free plan includes 20 active vendors per market. "
        "Upgrade to the paid plan to accept more: http://testserver/billing/"
    ]
    assert domain_snapshot() == before


def test_a_decision_needs_a_post_and_rejecting_needs_the_reason_page(application, organizer_admin):
    url = reverse("admin:applications_application_decide", args=[application.pk])
    before = domain_snapshot()
    assert organizer_admin.get(url).status_code == 405
    response = decide(organizer_admin, application, "reject")
    assert messages_of(response) == ["Choose accept or waitlist."]
    assert domain_snapshot() == before


@pytest.mark.parametrize(
    ("status", "buttons"),
    [
        (Status.PENDING, ["accept", "reject", "waitlist"]),
        (Status.WAITLISTED, ["accept", "reject"]),
        (Status.ACCEPTED, ["revoke"]),
        (Status.REJECTED, ["reopen"]),
        (Status.REVOKED, ["reopen"]),
        (Status.WITHDRAWN, []),
    ],
)
def test_the_review_page_offers_the_decisions_the_status_allows(
    status, buttons, market, organizer_admin
):
    application = ApplicationFactory(market=market, status=status)
    response = organizer_admin.get(admin_url("application", "change", application.pk))
    assert [name for name, _label in response.context["decisions"]] == buttons
    content = response.content.decode()
    assert ('id="decision-accept"' in content) == ("accept" in buttons)


def test_the_review_page_cannot_edit_the_application(application, organizer_admin):
    before = domain_snapshot()
    url = admin_url("application", "change", application.pk)
    page = organizer_admin.get(url)
    assert b'name="_save"' not in page.content
    response = organizer_admin.post(url, {"status": "accepted", "business_name": "Forged"})
    assert response.status_code == 403
    assert domain_snapshot() == before


def test_the_review_page_shows_what_was_submitted(market, organizer_admin):
    application = ApplicationFactory(
        market=market,
        business_name="Sourdough Sisters",
        product_categories=["baked_goods", "beverages"],
        message="Two tables, please.",
    )
    content = organizer_admin.get(admin_url("application", "change", application.pk)).content
    for text in (b"Sourdough Sisters", b"Baked goods, Beverages", b"Two tables, please."):
        assert text in content
    assert application.vendor.email.encode() in content


# -- documents -----------------------------------------------------------------------------------


def document(vendor, name, expires_on, kind="insurance"):
    return VendorDocument.objects.create(
        vendor=vendor,
        document_type=kind,
        file=f"vendor-documents/{name}",
        original_filename=name,
        size=20480,
        content_type="application/pdf",
        expires_on=expires_on,
    )


def test_the_review_page_lists_the_submitted_documents_with_their_expiry(
    market, application, organizer_admin
):
    today = market.today()
    vendor = application.vendor
    expired = document(vendor, "old-insurance.pdf", today - datetime.timedelta(days=1))
    soon = document(vendor, "permit.pdf", today + datetime.timedelta(days=10), "health_permit")
    valid = document(
        vendor, "licence.pdf", today + datetime.timedelta(days=200), "business_license"
    )
    forever = document(vendor, "photo.pdf", None, "product_photo")
    document(vendor, "elsewhere.pdf", None)  # the vendor's, not sent with this application
    application.documents.set([expired, soon, valid, forever])

    content = organizer_admin.get(admin_url("application", "change", application.pk)).content
    content = content.decode()

    assert '<td class="mf-expired">expired</td>' in content
    assert '<td class="mf-expiring">expires in 10 day(s)</td>' in content
    assert '<td class="mf-valid">valid</td>' in content
    assert '<td class="mf-no-expiry">does not expire</td>' in content
    assert reverse("document-download", args=[soon.pk]) in content
    assert "elsewhere.pdf" not in content  # the vendor's, but not sent with this application


def test_an_application_without_documents_says_so(application, organizer_admin):
    content = organizer_admin.get(admin_url("application", "change", application.pk)).content
    assert b"No documents were submitted with this application." in content


# -- bulk actions --------------------------------------------------------------------------------


def test_bulk_accept_reports_successes_and_why_the_rest_did_not(market, organizer_admin):
    first = ApplicationFactory(market=market, business_name="Apple Barn")
    second = ApplicationFactory(market=market, business_name="Berry Patch")
    rejected = ApplicationFactory(market=market, business_name="Cider Shed", status="rejected")

    response = act(organizer_admin, "accept_applications", [first, second, rejected])

    statuses = dict(Application.objects.values_list("business_name", "status"))
    assert statuses == {
        "Apple Barn": "accepted",
        "Berry Patch": "accepted",
        "Cider Shed": "rejected",
    }
    assert messages_of(response) == [
        "Accepted 2 application(s).",
        "1 application(s) not accepted: Cannot change status from “rejected” to “accepted”. "
        "(Cider Shed)",
    ]


def test_bulk_accept_stops_at_the_plan_limit(market, organizer_admin):
    for _number in range(19):
        AcceptedApplicationFactory(market=market)
    pending = [ApplicationFactory(market=market) for _number in range(3)]

    response = act(organizer_admin, "accept_applications", pending)

    assert Application.objects.filter(market=market, status="accepted").count() == 20
    success, refusal = messages_of(response)
    assert success == "Accepted 1 application(s)."
    assert refusal.startswith("2 application(s) not accepted: The free plan includes 20 active")


def test_bulk_reject_asks_for_a_reason_on_an_intermediate_page(market, organizer_admin):
    applications = [ApplicationFactory(market=market) for _number in range(2)]
    before = domain_snapshot()

    page = act(organizer_admin, "reject_applications", applications)

    assert page.templates[0].name == "marketflow_admin/reject_applications.html"
    assert domain_snapshot() == before

    response = act(
        organizer_admin,
        "reject_applications",
        applications,
        apply="yes",
        reason="Sorry, no space this year.",
    )
    assert messages_of(response) == ["Rejected 2 application(s)."]
    assert set(Application.objects.values_list("status", "decision_reason")) == {
        ("rejected", "Sorry, no space this year.")
    }


def test_bulk_waitlist(market, organizer_admin):
    applications = [ApplicationFactory(market=market) for _number in range(2)]
    act(organizer_admin, "waitlist_applications", applications)
    assert set(Application.objects.values_list("status", flat=True)) == {"waitlisted"}


# -- filters, search and export ------------------------------------------------------------------


@pytest.fixture
def mixed(market):
    return {
        "produce": ApplicationFactory(
            market=market, business_name="Kale Corner", product_categories=["produce"]
        ),
        "crafts": ApplicationFactory(
            market=market,
            business_name="Clay & Co",
            product_categories=["crafts", "other"],
            status="accepted",
        ),
    }


def listed(client, **params) -> set[str]:
    response = client.get(admin_url("application"), params)
    return {application.business_name for application in response.context["cl"].result_list}


def test_filters_by_status_category_and_market(mixed, market, organizer, organizer_admin):
    assert listed(organizer_admin, status__exact="accepted") == {"Clay & Co"}
    assert listed(organizer_admin, category="crafts") == {"Clay & Co"}
    assert listed(organizer_admin, category="produce") == {"Kale Corner"}
    second = MarketFactory(organizer=organizer)
    ApplicationFactory(market=second, business_name="Second Market Stand")
    assert listed(organizer_admin, market=str(second.pk)) == {"Second Market Stand"}


def test_the_changelists_rows_link_to_their_review_pages_keeping_the_filters(
    mixed, organizer_admin
):
    produce = mixed["produce"]
    change = reverse("admin:applications_application_change", args=[produce.pk])

    filtered = organizer_admin.get(admin_url("application"), {"status__exact": "pending"})
    plain = organizer_admin.get(admin_url("application"))

    assert f'<a href="{change}?_changelist_filters=status__exact%3Dpending">Kale Corner</a>' in (
        filtered.content.decode()
    )
    assert f'<a href="{change}">Kale Corner</a>' in plain.content.decode()
    assert 'aria-label="Select this object for an action - Kale Corner (Pending)"' in (
        plain.content.decode()
    )


def test_search_by_business_name_or_whole_email(mixed, organizer_admin):
    assert listed(organizer_admin, q="clay") == {"Clay & Co"}
    email = mixed["produce"].vendor.email
    assert listed(organizer_admin, q=f"  {email.upper()} ") == {"Kale Corner"}
    assert listed(organizer_admin, q="@example.com") == set()


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_the_export_follows_the_changelists_filters(mixed, organizer_admin):
    response = organizer_admin.get(
        admin_url("application", "export"), {"status__exact": "accepted"}
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header, *rows = read_csv(response)
    assert header[:4] == ["submitted", "status", "market", "business name"]
    assert [(row[1], row[3], row[7]) for row in rows] == [
        ("accepted", "Clay & Co", "Crafts, Other")  # readable labels, not codes
    ]


def test_the_changelist_links_the_export_with_its_filters(mixed, organizer_admin):
    response = organizer_admin.get(admin_url("application"), {"status__exact": "pending"})
    assert (
        f"{admin_url('application', 'export')}?status__exact=pending" in response.content.decode()
    )


def test_the_export_action_exports_the_selected(mixed, organizer_admin):
    response = organizer_admin.post(
        admin_url("application"),
        {"action": "export", "_selected_action": [mixed["produce"].pk]},
    )
    _header, *rows = read_csv(response)
    assert [row[3] for row in rows] == ["Kale Corner"]


def test_the_export_defuses_spreadsheet_formulas(market, organizer_admin):
    ApplicationFactory(
        market=market,
        vendor=VendorFactory(),
        business_name='=HYPERLINK("http://evil.example","x")',
        message="+1 for the market",
        phone="+1 (555) 010-0199",
    )
    _header, row = read_csv(organizer_admin.get(admin_url("application", "export")))
    assert row[3] == '\'=HYPERLINK("http://evil.example","x")'
    assert row[8] == "'+1 for the market"
    assert row[6] == "+1 (555) 010-0199"  # a phone number as written, no apostrophe


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("+44 20 7946 0958", "+44 20 7946 0958"),
        ("-555.0100", "-555.0100"),
        ("+1 555 0100", "+1 555 0100"),
        ("+1+SUM(A1:A9)", "'+1+SUM(A1:A9)"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("+\t1", "'+\t1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+", "'+"),
    ],
)
def test_csv_cells_keep_phone_numbers_and_defuse_formulas(value, cell):
    assert csv_cell(value) == cell


def test_bulk_reject_of_all_matching_keeps_the_selection_across_pages(market, organizer_admin):
    applications = [ApplicationFactory(market=market) for _number in range(3)]
    ApplicationFactory(market=market, status="accepted")  # filtered out below
    url = f"{admin_url('application')}?status__exact=pending"
    chosen = {"action": "reject_applications", "_selected_action": [applications[0].pk]}

    page = organizer_admin.post(url, {**chosen, "select_across": "1"})

    assert page.context["count"] == 3
    assert b'name="select_across" value="1"' in page.content
    response = organizer_admin.post(
        url, {**chosen, "select_across": "1", "apply": "yes", "reason": ""}, follow=True
    )
    assert messages_of(response) == ["Rejected 3 application(s)."]
    assert Application.objects.filter(status="rejected").count() == 3
    assert Application.objects.filter(status="accepted").count() == 1


def test_the_status_filter_offers_what_an_organizer_can_see(application, organizer_admin):
    """Unconfirmed applications are nobody's yet: the filter does not offer them."""
    url = reverse("admin:applications_application_changelist")
    page = organizer_admin.get(url).content.decode()
    assert "?status__exact=pending" in page
    assert "?status__exact=unconfirmed" not in page

    pending = organizer_admin.get(url, {"status__exact": "pending"})
    assert pending.status_code == 200
    assert application.business_name in pending.content.decode()
    waitlisted = organizer_admin.get(url, {"status__exact": "waitlisted"}).content.decode()
    assert application.business_name not in waitlisted
