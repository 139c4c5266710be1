"""Fixtures for a tenant-first graph: organizer → market → stall / day → vendor → application."""

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
import pytest
from django.apps import apps
from django.test import Client
from moto.server import ThreadedMotoServer
from rest_framework.test import APIClient

from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow.errors import DomainError
from marketflow.services import user_token_create
from marketflow.settings import object_storage
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
    _token, secret = user_token_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
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


DOMAIN_APPS = ("marketflow", "vendors", "applications", "stalls", "seasons", "sales")


def domain_snapshot() -> dict[str, list[dict]]:
    """Every row of every domain table, so a test can prove that nothing changed."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())  # unfiltered
        for app_label in DOMAIN_APPS
        for model in apps.get_app_config(app_label).get_models()
    }


@pytest.fixture
def refused(db):
    """``with refused("code") as excinfo:`` the block raises a DomainError with that code and
    leaves every domain row exactly as it was."""

    @contextmanager
    def check(code: str):
        before = domain_snapshot()
        with pytest.raises(DomainError) as excinfo:
            yield excinfo
        assert excinfo.value.code == code, excinfo.value
        assert domain_snapshot() == before

    return check


# -- the admin site (signed-in browser sessions) ---------------------------------------------


def admin_session(user):
    """A test client signed in as ``user``, for the admin site."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser(db):
    return UserFactory(email="platform@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def organizer_admin(organizer):
    return admin_session(organizer)


@pytest.fixture
def other_organizer_admin(other_organizer):
    return admin_session(other_organizer)


@pytest.fixture
def superuser_admin(superuser):
    return admin_session(superuser)


# -- object storage: moto's S3 server on loopback, reached over HTTP by django-storages -------


def free_port() -> int:
    """A loopback port nothing listens on (for a server to start on, or to find closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


S3_CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of an S3-compatible server (moto in server mode) this test session started."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_client(endpoint: str):
    """boto3's client of the test server: what the tests look into the bucket with."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_CREDENTIALS["access_key"],
        aws_secret_access_key=S3_CREDENTIALS["secret_key"],
        region_name=S3_CREDENTIALS["region_name"],
    )


@pytest.fixture
def s3_bucket(s3_endpoint, settings) -> str:
    """A new private bucket, made the default storage (settings.object_storage, as
    AWS_STORAGE_BUCKET_NAME does) for this test."""
    bucket = f"documents-{uuid.uuid4().hex}"
    s3_client(s3_endpoint).create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": object_storage(bucket_name=bucket, endpoint_url=s3_endpoint, **S3_CREDENTIALS),
    }
    return bucket


def s3_keys(endpoint: str, bucket: str) -> set[str]:
    listing = s3_client(endpoint).list_objects_v2(Bucket=bucket)
    return {item["Key"] for item in listing.get("Contents", [])}


# -- Stripe: the real library against a stub on loopback (tests/stripe_stub.py) -------------


@pytest.fixture(scope="session")
def stripe_stub_server():
    import stripe

    from tests.stripe_stub import start_stub

    stub, server = start_stub()
    api_base = stripe.api_base
    stripe.api_base = stub.url
    yield stub
    stripe.api_base = api_base
    server.shutdown()
    server.server_close()


@pytest.fixture
def stripe_stub(stripe_stub_server, settings):
    """Payments configured, every Stripe call answered by the stub (its requests recorded)."""
    from tests.stripe_stub import WEBHOOK_SECRET

    settings.STRIPE_SECRET_KEY = "sk_test_marketflow"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_PRICE_PAID = "price_paid_monthly"
    stripe_stub_server.reset()
    yield stripe_stub_server
    stripe_stub_server.reset()
