"""Fixtures for a tenant-first graph: organizer → market → stall / day → vendor → application."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow.tests.factories import (
    MarketDayFactory,
    MarketFactory,
    OrganizerFactory,
    UserFactory,
)
from stalls.tests.factories import StallFactory
from vendors.tests.factories import VendorFactory


@pytest.fixture
def organizer(db):
    return OrganizerFactory()


@pytest.fixture
def market(organizer):
    return MarketFactory(organizer=organizer)


@pytest.fixture
def stall(market):
    return StallFactory(market=market)


@pytest.fixture
def market_day(market):
    return MarketDayFactory(market=market)


@pytest.fixture
def vendor(db):
    return VendorFactory()


@pytest.fixture
def application(market, vendor):
    return ApplicationFactory(market=market, vendor=vendor)


@pytest.fixture
def accepted_application(market, vendor):
    return AcceptedApplicationFactory(market=market, vendor=vendor)


@pytest.fixture
def other_organizer(db):
    return OrganizerFactory()


@pytest.fixture
def other_market(other_organizer):
    return MarketFactory(organizer=other_organizer)


@pytest.fixture
def vendor_user(vendor):
    user = UserFactory(email=vendor.email)
    vendor.user = user
    vendor.save(update_fields=["user", "updated_at"])
    return user


def token_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def organizer_client(organizer):
    return token_client(organizer)


@pytest.fixture
def other_organizer_client(other_organizer):
    return token_client(other_organizer)


@pytest.fixture
def vendor_client(vendor_user):
    return token_client(vendor_user)
