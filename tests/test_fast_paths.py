"""The hot lists' fast paths (a selector's ``values()`` rows, shaped by a short function next to
the read serializer) answer byte for byte what the read serializer answers of the same rows as
model instances: nulls, nested objects, every status, in the current time zone."""

import datetime

import pytest
from django.utils import timezone

from applications.models import Application
from applications.selectors import application_rows
from applications.serializers import ApplicationReadSerializer, application_data
from applications.tests.factories import ApplicationFactory
from marketflow.renderers import JSONRenderer
from marketflow.tests.factories import MarketDayFactory, MarketFactory, UserFactory
from stalls.models import Booking, Stall
from stalls.selectors import stall_rows, vendor_booking_rows
from stalls.serializers import (
    StallReadSerializer,
    VendorBookingSerializer,
    stall_data,
    vendor_booking_data,
)
from stalls.tests.factories import BookingFactory, StallFactory

pytestmark = pytest.mark.django_db

ZONES = ["UTC", "Asia/Kolkata", "America/St_Johns"]
WHOLE_SECOND = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.UTC)  # no microseconds


def assert_same(rows, shape, instances, serializer_class, count: int):
    rows = list(rows)
    assert len(rows) == count
    render = JSONRenderer().render
    assert render(shape(rows)) == render(serializer_class(instances, many=True).data)


@pytest.mark.parametrize("zone", ZONES)
def test_stall_data_is_the_serializers(market, vendor, zone):
    StallFactory(market=market, label="A1", assigned_vendor=vendor, notes="By the gate")
    StallFactory(market=market, label="B2", price_per_day=None, size_category="")
    StallFactory(market=market, label="C3", price_per_day=0)
    Stall.objects.filter(label="C3").update(updated_at=WHOLE_SECOND)
    StallFactory()  # another market's

    with timezone.override(zone):
        assert_same(
            stall_rows(user=market.organizer, market_id=market.pk),
            stall_data,
            Stall.objects.filter(market=market).order_by("label"),
            StallReadSerializer,
            count=3,
        )


@pytest.mark.parametrize("zone", ZONES)
def test_application_data_is_the_serializers(market, organizer, zone):
    now = timezone.now()
    for status in Application.Status.values:
        ApplicationFactory(market=market, status=status)
    ApplicationFactory(
        market=market,
        status=Application.Status.REJECTED,
        reviewed_by=organizer,
        reviewed_at=WHOLE_SECOND,
        decision_reason="Full this season.",
        product_categories=["produce", "crafts"],
        phone="",
        message="",
    )
    ApplicationFactory(market=market, status=Application.Status.WITHDRAWN, withdrawn_at=now)
    ApplicationFactory()  # another market's

    with timezone.override(zone):
        assert_same(
            application_rows(user=market.organizer, market_id=market.pk).order_by("-id"),
            application_data,
            Application.objects.filter(market=market).select_related("vendor").order_by("-id"),
            ApplicationReadSerializer,
            count=len(Application.Status.values) + 2 - 1,  # the unconfirmed one is nobody's
        )


def test_vendor_booking_data_is_the_serializers(vendor):
    vendor.user = UserFactory()
    vendor.save(update_fields=["user", "updated_at"])
    for status in Booking.PaymentStatus.values:
        BookingFactory(vendor=vendor, payment_status=status)
    BookingFactory(
        vendor=vendor,
        market_day=MarketDayFactory(market=MarketFactory(currency="EUR")),
        stall__price_per_day=None,
        fee_cents=0,
    )
    BookingFactory(vendor=vendor, cancelled_at=timezone.now(), payment_status="refunded")
    BookingFactory()  # another vendor's, who has no account
    BookingFactory(vendor__user=UserFactory())  # another vendor's, with an account

    assert_same(
        vendor_booking_rows(user=vendor.user).order_by("-id"),
        vendor_booking_data,
        Booking.objects.filter(vendor=vendor)
        .select_related("stall", "market_day__market")
        .order_by("-id"),
        VendorBookingSerializer,
        count=len(Booking.PaymentStatus.values) + 2,
    )
