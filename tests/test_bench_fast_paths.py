"""The fast paths that `make bench` led to answer exactly what DRF answers.

``FastRepresentationMixin`` (marketflow/representation.py) skips DRF's per-field machinery
on list responses; these tests serialize real rows with every serializer that uses it, once
through DRF's own ``Serializer.to_representation`` and once through the fast path, and
require identical output, including nulls, nested objects, dotted sources and time zones.
The orjson renderer (marketflow/renderers.py) must write the bytes DRF's renderer writes.
"""

import datetime

import pytest
from django.utils import timezone
from rest_framework import serializers

from applications import serializers as application_serializers
from applications.models import Application
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow import serializers as core_serializers
from marketflow.representation import FastRepresentationMixin
from marketflow.tests.factories import MarketDayFactory, UserFactory
from stalls import serializers as stall_serializers
from stalls.board import BoardStallRowSerializer
from stalls.selectors import stall_board
from stalls.tests.factories import BookingFactory, StallFactory
from vendors import serializers as vendor_serializers

pytestmark = pytest.mark.django_db


def all_subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from all_subclasses(subclass)


@pytest.fixture
def rows(market, vendor, organizer):
    reviewed = AcceptedApplicationFactory(
        market=market,
        vendor=vendor,
        reviewed_by=organizer,
        reviewed_at=timezone.now().replace(microsecond=123456),
        decision_reason="Welcome",
    )
    pending = ApplicationFactory(market=market)  # reviewed_by, reviewed_at, withdrawn_at: null
    free_stall = StallFactory(market=market, price_per_day=None, assigned_vendor=None)
    regular_stall = StallFactory(market=market, assigned_vendor=vendor)
    day = MarketDayFactory(market=market, note="Harvest day")
    booking = BookingFactory(
        market_day=day, stall=regular_stall, vendor=vendor, payment_status="paid",
        paid_at=timezone.now(), booked_by=organizer,
    )  # fmt: skip
    vendor.user = UserFactory(email=vendor.email)
    vendor.save()
    return {
        "applications": [reviewed, pending],
        "stalls": [free_stall, regular_stall],
        "days": [day],
        "bookings": [booking],
        "board": stall_board(market_day=day),
        "market": market,
        "vendor": vendor,
    }


def cases(rows):
    """(serializer class, what it serializes, context) for every fast serializer."""
    app = application_serializers
    return [
        (app.ApplicationVendorSerializer, [rows["vendor"]], {}),
        (app.ApplicationReadSerializer, rows["applications"], {}),
        (app.ApplicationReceiptSerializer, rows["applications"], {}),
        (app.VendorApplicationSerializer, rows["applications"], {}),
        (core_serializers.MarketReadSerializer, [rows["market"]], {}),
        (core_serializers.PublicMarketSerializer, [rows["market"]],
         {"upcoming_market_days": rows["days"]}),
        (core_serializers.PublicMarketDaySerializer, rows["days"], {}),
        (core_serializers.MarketDayReadSerializer, rows["days"], {}),
        (stall_serializers.StallReadSerializer, rows["stalls"], {}),
        (stall_serializers.BookingVendorSerializer, [rows["vendor"]], {}),
        (stall_serializers.BookingReadSerializer, rows["bookings"], {}),
        (stall_serializers.BoardBookingSerializer, rows["bookings"], {}),
        (stall_serializers.BoardStallSerializer, rows["board"].stalls, {}),
        (BoardStallRowSerializer, rows["board"].stalls, {}),
        (stall_serializers.StallBoardSerializer, [rows["board"]], {}),
        (stall_serializers.VendorBookingSerializer, rows["bookings"], {}),
        (vendor_serializers.VendorReadSerializer, [rows["vendor"]], {}),
    ]  # fmt: skip


def drf_output(monkeypatch, serializer_class, instances, context):
    with monkeypatch.context() as patch:
        patch.setattr(
            FastRepresentationMixin, "to_representation", serializers.Serializer.to_representation
        )
        return serializer_class(instances, many=True, context=context).data


def test_every_fast_serializer_answers_what_drf_answers(rows, monkeypatch):
    covered = set()
    for serializer_class, instances, context in cases(rows):
        covered.add(serializer_class)
        expected = drf_output(monkeypatch, serializer_class, instances, context)
        fast = serializer_class(instances, many=True, context=context).data
        assert fast == expected, serializer_class.__name__
        assert list(fast[0]) == list(expected[0]), "same keys in the same order"
    uncovered = {
        cls for cls in all_subclasses(FastRepresentationMixin) if not cls.__module__.startswith(
            "tests.")} - covered  # fmt: skip
    assert not uncovered, f"add these serializers to cases(): {uncovered}"


def test_fast_path_keeps_null_and_timezone_rules(rows, monkeypatch):
    application = rows["applications"][1]
    application.reviewed_at = None
    application.created_at = datetime.datetime(2030, 5, 1, 12, 0, 0, 5, tzinfo=datetime.UTC)
    data = application_serializers.ApplicationReadSerializer(application).data
    assert data["reviewed_at"] is None
    assert data["created_at"] == "2030-05-01T12:00:00.000005Z"
    with timezone.override("Europe/Berlin"):
        fast = application_serializers.ApplicationReadSerializer(application).data
        expected = drf_output(
            monkeypatch, application_serializers.ApplicationReadSerializer, [application], {}
        )[0]
    assert fast == expected
    assert fast["created_at"] == "2030-05-01T14:00:00.000005+02:00"


def test_fast_path_hands_broken_chains_to_drf(rows, monkeypatch):
    """A dotted source through a missing relation goes DRF's way."""
    booking = rows["bookings"][0]
    booking.stall = None
    serializer_class = stall_serializers.BookingReadSerializer
    fast = serializer_class([booking], many=True).data
    assert fast == drf_output(monkeypatch, serializer_class, [booking], {})
    assert fast[0]["stall_label"] is None


def test_status_choices_pass_through_unchanged(rows):
    data = application_serializers.ApplicationReadSerializer(rows["applications"], many=True).data
    assert [row["status"] for row in data] == [Application.Status.ACCEPTED, "pending"]


def test_orjson_renderer_writes_the_bytes_drf_writes():
    import decimal
    import uuid

    from django.utils.translation import gettext_lazy
    from rest_framework.exceptions import ErrorDetail
    from rest_framework.renderers import JSONRenderer as DrfJSONRenderer
    from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

    from marketflow.renderers import JSONRenderer

    control = "".join(chr(code) for code in range(32)) + '"\\/\x7f'
    data = ReturnList(
        [
            ReturnDict(
                {"id": uuid.uuid4(), "text": control, "unicode": "Käse – 🥖"}, serializer=None
            ),
            {
                "separators": "line\u2028paragraph\u2029end",
                "lazy": gettext_lazy("Only organizers can manage markets."),
                "error": ErrorDetail("Not found.", code="not_found"),
                "when": datetime.datetime(2030, 5, 1, 12, 0, 0, 5, tzinfo=datetime.UTC),
                "naive": datetime.datetime(2030, 5, 1, 12, 0),
                "day": datetime.date(2030, 5, 1),
                "time": datetime.time(8, 30, 0, 250),
                "money": decimal.Decimal("12.50"),
                "numbers": [0, -1, 2**62, True, False, None],
                1: "an int key",
                "bytes": b"raw",
                "nested": {"empty": [], "deeper": {"tuple": (1, "two")}},
            },
        ],
        serializer=None,
    )
    assert JSONRenderer().render(data) == DrfJSONRenderer().render(data)
    assert JSONRenderer().render(None) == b""
    pretty = "application/json; indent=4"
    assert JSONRenderer().render(data, pretty) == DrfJSONRenderer().render(data, pretty)
