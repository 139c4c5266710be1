"""List pages read with ``values()`` (marketflow/rows.py) answer what the serializers answer.

Every list endpoint that goes through ``list_response`` must have a values plan (else it
silently takes the slower path), and each plan must give, row for row and key for key, what
DRF's own ``Serializer.to_representation`` gives for the same rows, nulls included.
"""

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from applications import serializers as application_serializers
from applications.models import Application
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow import serializers as core_serializers
from marketflow.models import Market, MarketDay
from marketflow.representation import FastRepresentationMixin
from marketflow.rows import values_rows
from marketflow.tests.factories import MarketDayFactory
from stalls import serializers as stall_serializers
from stalls.models import Booking, Stall
from stalls.tests.factories import BookingFactory, StallFactory
from vendors import serializers as vendor_serializers
from vendors.models import Vendor

pytestmark = pytest.mark.django_db

# The serializers of every list endpoint (views call list_response with these).
LISTED = [
    (core_serializers.MarketReadSerializer, Market),
    (core_serializers.MarketDayReadSerializer, MarketDay),
    (stall_serializers.StallReadSerializer, Stall),
    (stall_serializers.BookingReadSerializer, Booking),
    (stall_serializers.VendorBookingSerializer, Booking),
    (application_serializers.ApplicationReadSerializer, Application),
    (application_serializers.VendorApplicationSerializer, Application),
    (vendor_serializers.VendorReadSerializer, Vendor),
]


@pytest.fixture
def data(market, vendor, organizer):
    AcceptedApplicationFactory(
        market=market, vendor=vendor, reviewed_by=organizer,
        reviewed_at=timezone.now().replace(microsecond=123456), decision_reason="Welcome",
    )  # fmt: skip
    ApplicationFactory(market=market, product_categories=[])  # nulls: reviewer, review time
    StallFactory(market=market, price_per_day=None, assigned_vendor=None, size_category="")
    stall = StallFactory(market=market, assigned_vendor=vendor, notes="Corner\u2028spot")
    day = MarketDayFactory(market=market, note="Harvest day")
    BookingFactory(market_day=day, stall=stall, vendor=vendor, payment_status="paid",
                   paid_at=timezone.now(), booked_by=organizer)  # fmt: skip


def drf_output(monkeypatch, serializer_class, instances):
    with monkeypatch.context() as patch:
        patch.setattr(
            FastRepresentationMixin, "to_representation", serializers.Serializer.to_representation
        )
        return serializer_class(instances, many=True).data


@pytest.mark.parametrize("serializer_class,model", LISTED, ids=lambda c: getattr(c, "__name__", ""))
def test_values_rows_answer_what_drf_answers(data, monkeypatch, serializer_class, model):
    rows = values_rows(serializer_class)
    assert rows is not None, f"{serializer_class.__name__} has no values plan"
    queryset = model.objects.order_by("id")
    expected = drf_output(monkeypatch, serializer_class, list(queryset))
    assert expected, "the fixture has rows of every listed model"
    got = rows.render(queryset.values(*rows.columns()))
    assert got == [dict(row) for row in expected]
    assert [list(row) for row in got] == [list(row) for row in expected], "same key order"


def test_null_relation_gives_a_null_object(market, vendor):
    """A nested object over a nullable relation is null when the relation is."""

    class StallWithVendor(serializers.ModelSerializer):
        assigned_vendor = vendor_serializers.VendorReadSerializer(read_only=True)

        class Meta:
            model = Stall
            fields = ["id", "assigned_vendor"]

    StallFactory(market=market, assigned_vendor=None)
    StallFactory(market=market, assigned_vendor=vendor)
    rows = values_rows(StallWithVendor)
    queryset = Stall.objects.order_by("id")
    assert rows.render(queryset.values(*rows.columns())) == [
        dict(row) for row in StallWithVendor(list(queryset), many=True).data
    ]
    assert rows.render(queryset.values(*rows.columns()))[0]["assigned_vendor"] is None


def test_what_a_lookup_cannot_answer_keeps_the_serializer():
    class Method(serializers.ModelSerializer):
        label = serializers.SerializerMethodField()

        class Meta:
            model = Stall
            fields = ["id", "label"]

        def get_label(self, stall):
            return stall.label.upper()

    class ThroughNullable(serializers.ModelSerializer):
        vendor_name = serializers.CharField(source="assigned_vendor.business_name")

        class Meta:
            model = Stall
            fields = ["id", "vendor_name"]

    class WholeObject(serializers.ModelSerializer):
        everything = serializers.ReadOnlyField(source="*")

        class Meta:
            model = Stall
            fields = ["id", "everything"]

    class NoModel(serializers.Serializer):
        id = serializers.UUIDField()

    for serializer_class in (Method, ThroughNullable, WholeObject, NoModel):
        assert values_rows(serializer_class) is None, serializer_class.__name__


def test_a_values_page_pages_on(organizer_client, market):
    """The cursor reads its position from the row dicts: three pages of two, in order."""
    for label in ["A1", "A2", "B1", "B2", "C1"]:
        StallFactory(market=market, label=label)
    url = reverse("api:stall-list", kwargs={"market_id": market.id}) + "?page_size=2"
    labels = []
    while url:
        body = organizer_client.get(url).json()
        labels += [row["label"] for row in body["results"]]
        url = body["next"]
    assert labels == ["A1", "A2", "B1", "B2", "C1"]


def test_datetimes_follow_the_current_time_zone(data, monkeypatch):
    """The plan is built once per process; the time zone is read per page, as DRF does."""
    serializer_class = application_serializers.ApplicationReadSerializer
    rows = values_rows(serializer_class)
    queryset = Application.objects.order_by("id")
    for zone in ("Europe/Berlin", "America/St_Johns", "UTC"):
        with timezone.override(zone):
            got = rows.render(queryset.values(*rows.columns()))
            expected = drf_output(monkeypatch, serializer_class, list(queryset))
        assert got == [dict(row) for row in expected], zone
    with timezone.override("Asia/Kolkata"):
        assert rows.render(queryset.values(*rows.columns()))[0]["created_at"].endswith("+05:30")
