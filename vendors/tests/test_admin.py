"""The vendors admin: the vendors who applied to the organizer's markets, read-only."""

import pytest

from applications.tests.factories import ApplicationFactory
from conftest import domain_snapshot
from tests.admin_support import admin_url

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
        (inline,) = response.context["inline_admin_formsets"]
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
