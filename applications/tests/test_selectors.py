"""Reads the admin's vendor scoping and dashboard go through: scoped to the user's markets."""

import pytest

from applications.selectors import applied_vendor_list, market_application_counts
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow.models import Market
from marketflow.tests.factories import UserFactory
from vendors.models import Vendor

pytestmark = pytest.mark.django_db


def test_applied_vendors_are_those_of_the_users_markets(organizer, market, other_market):
    pending = ApplicationFactory(market=market).vendor
    accepted = AcceptedApplicationFactory(market=market).vendor
    AcceptedApplicationFactory(market=other_market)  # another organizer's vendor
    vendors = Vendor.objects.all()

    assert set(applied_vendor_list(user=organizer, vendors=vendors)) == {pending, accepted}
    assert list(applied_vendor_list(user=organizer, vendors=vendors, status="accepted")) == [
        accepted
    ]
    assert not applied_vendor_list(user=UserFactory(), vendors=vendors).exists()


def test_market_application_counts(market, other_market):
    ApplicationFactory.create_batch(2, market=market)
    AcceptedApplicationFactory(market=market)
    ApplicationFactory(market=other_market)

    counted = Market.objects.annotate(**market_application_counts()).get(pk=market.pk)

    assert (counted.pending_count, counted.active_vendor_count) == (2, 1)
