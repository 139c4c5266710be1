"""The vendors admin: the vendors who applied to the organizer's markets, read-only."""

import datetime

import pytest
from django.urls import reverse

from applications.services import application_accept
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from conftest import domain_snapshot
from marketflow.tests.factories import MarketDayFactory
from stalls.tests.factories import BookingFactory
from tests.admin_support import admin_url
from vendors.models import VendorDocument

pytestmark = pytest.mark.django_db


def test_a_vendor_who_applied_to_two_organizers_shows_each_only_their_application(
    vendor, market, other_market, organizer_admin, other_organizer_admin
):
    mine = ApplicationFactory(market=market, vendor=vendor)
    theirs = ApplicationFactory(market=other_market, vendor=vendor)

    for client, own, foreign in (
        (organizer_admin, mine, theirs),
        (other_organizer_admin, theirs, mine),
    ):
        response = client.get(admin_url("vendor", "change", vendor.pk))
        assert response.status_code == 200
        inline = response.context["inline_admin_formsets"][0]
        shown = {form.instance.pk for form in inline.formset.forms}
        assert shown == {own.pk}
        assert str(foreign.market) not in response.content.decode()


def test_a_vendor_listed_once_however_many_applications(vendor, market, organizer_admin):
    ApplicationFactory(market=market, vendor=vendor, status="rejected")
    ApplicationFactory(market=market, vendor=vendor)
    response = organizer_admin.get(admin_url("vendor"))
    assert [listed.pk for listed in response.context["cl"].result_list] == [vendor.pk]


def test_vendor_profiles_are_read_only_in_the_admin(
    vendor, market, organizer_admin, superuser_admin
):
    ApplicationFactory(market=market, vendor=vendor)
    before = domain_snapshot()
    url = admin_url("vendor", "change", vendor.pk)
    for client in (organizer_admin, superuser_admin):
        assert client.get(admin_url("vendor", "add")).status_code == 403
        assert client.post(url, {"business_name": "Renamed"}).status_code == 403
        assert b'name="_save"' not in client.get(url).content
    assert domain_snapshot() == before


def document(vendor, name, expires_on=None):
    return VendorDocument.objects.create(
        vendor=vendor,
        document_type="insurance",
        file=f"vendor-documents/{name}",
        original_filename=name,
        size=2048,
        content_type="application/pdf",
        expires_on=expires_on,
    )


def test_vendor_pages_show_category_labels_not_codes(vendor, market, organizer_admin):
    vendor.product_categories = ["produce", "prepared_food"]
    vendor.save()
    ApplicationFactory(market=market, vendor=vendor)
    for url in (admin_url("vendor"), admin_url("vendor", "change", vendor.pk)):
        content = organizer_admin.get(url).content.decode()
        assert "Produce, Prepared food" in content
        assert "prepared_food" not in content and "[&quot;produce" not in content


def test_the_vendor_page_shows_applications_bookings_and_documents_of_own_markets_only(
    vendor, market, other_market, organizer_admin, other_organizer_admin
):
    mine = AcceptedApplicationFactory(market=market, vendor=vendor)
    theirs = AcceptedApplicationFactory(market=other_market, vendor=vendor)
    my_booking = BookingFactory(
        vendor=vendor, market_day=MarketDayFactory(market=market), stall__label="MINE-1"
    )
    BookingFactory(
        vendor=vendor, market_day=MarketDayFactory(market=other_market), stall__label="THEIRS-1"
    )
    expired = document(vendor, "sent-to-me.pdf", datetime.date(2020, 1, 1))
    sent_elsewhere = document(vendor, "sent-to-them.pdf")
    document(vendor, "never-sent.pdf")
    mine.documents.add(expired)
    theirs.documents.add(sent_elsewhere)

    response = organizer_admin.get(admin_url("vendor", "change", vendor.pk))
    content = response.content.decode()
    applications, bookings, documents = response.context["inline_admin_formsets"]
    assert [form.instance.pk for form in applications.formset.forms] == [mine.pk]
    assert [form.instance.pk for form in bookings.formset.forms] == [my_booking.pk]
    assert [form.instance.pk for form in documents.formset.forms] == [expired.pk]
    assert "MINE-1" in content and "25.00" in content
    assert "sent-to-me.pdf" in content and "expired" in content
    assert reverse("document-download", args=[expired.pk]) in content
    for foreign in ("THEIRS-1", "sent-to-them.pdf", "never-sent.pdf", str(other_market)):
        assert foreign not in content

    # ...and the other organizer sees their side only.
    content = other_organizer_admin.get(admin_url("vendor", "change", vendor.pk)).content
    assert b"THEIRS-1" in content and b"sent-to-them.pdf" in content
    assert b"MINE-1" not in content and b"sent-to-me.pdf" not in content


def test_the_reviewer_shows_as_a_name_the_organizer_can_read_not_a_forbidden_link(
    application, organizer, organizer_admin
):
    application_accept(
        user=organizer, market_id=application.market_id, application_id=application.pk
    )
    content = organizer_admin.get(admin_url("application", "change", application.pk)).content
    content = content.decode()
    assert organizer.email in content
    user_page = reverse("admin:marketflow_user_change", args=[organizer.pk])
    assert user_page not in content
    # The link it used to be is indeed forbidden to the organizer.
    assert organizer_admin.get(user_page).status_code == 403


def test_booked_by_shows_as_text(stall, market_day, accepted_application, organizer_admin):
    booking = BookingFactory(stall=stall, market_day=market_day, vendor=accepted_application.vendor)
    booking.booked_by = market_day.market.organizer
    booking.save()
    content = organizer_admin.get(admin_url("booking", "change", booking.pk)).content.decode()
    assert booking.booked_by.email in content
    assert reverse("admin:marketflow_user_change", args=[booking.booked_by.pk]) not in content


def test_the_vendor_page_costs_the_same_queries_however_many_rows(
    vendor, organizer, organizer_admin
):
    from marketflow.tests.factories import MarketFactory
    from tests.admin_support import count_queries

    def add_rows(count):
        for _number in range(count):
            market = MarketFactory(organizer=organizer)
            application = AcceptedApplicationFactory(market=market, vendor=vendor)
            application.documents.add(document(vendor, f"doc-{market.pk}.pdf"))
            BookingFactory(vendor=vendor, market_day=MarketDayFactory(market=market))

    url = admin_url("vendor", "change", vendor.pk)
    add_rows(1)
    few, _response = count_queries(lambda: organizer_admin.get(url))
    add_rows(4)
    many, response = count_queries(lambda: organizer_admin.get(url))

    assert [len(inline.formset.forms) for inline in response.context["inline_admin_formsets"]] == [
        5,
        5,
        5,
    ]
    assert many == few
