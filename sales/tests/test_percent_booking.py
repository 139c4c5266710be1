"""Under the percentage rule a booking charges nothing upfront: the fee comes with the sales
report. The board, the vendor's card payment and credits cope with a fee of 0."""

import pytest

from marketflow.tests.factories import MarketDayFactory
from stalls import payments
from stalls.errors import NothingToPayError
from stalls.models import Booking, VendorCredit
from stalls.selectors import market_day_board
from stalls.services import booking_create, booking_fill_from_regulars
from stalls.tests.factories import BookingFactory, StallFactory, accepted_vendor_with_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def percent_market(market):
    market.sales_fee_rule, market.sales_fee_percent = "percent", 6
    market.save()
    return market


def test_a_booking_under_the_percentage_rule_charges_nothing(percent_market, organizer):
    vendor, _ = accepted_vendor_with_account(percent_market)
    day = MarketDayFactory(market=percent_market)

    booking = booking_create(
        user=organizer,
        market_id=percent_market.pk,
        market_day_id=day.pk,
        stall_id=StallFactory(market=percent_market, price_per_day=2_500).pk,
        vendor_id=vendor.pk,
    )

    assert (booking.fee_cents, booking.payment_status) == (0, Booking.PaymentStatus.UNPAID)


def test_a_season_fee_share_is_charged_under_the_percentage_rule(percent_market, organizer):
    vendor, _ = accepted_vendor_with_account(percent_market)

    booking = booking_create(
        user=organizer,
        market_id=percent_market.pk,
        market_day_id=MarketDayFactory(market=percent_market).pk,
        stall_id=StallFactory(market=percent_market).pk,
        vendor_id=vendor.pk,
        fee_cents=1_800,
    )

    assert booking.fee_cents == 1_800


@pytest.mark.parametrize(("rule", "fee"), [("flat", 2_500), ("higher", 2_500), ("percent", 0)])
def test_filling_from_regulars_charges_by_the_rule(market, organizer, rule, fee):
    market.sales_fee_rule, market.sales_fee_percent = rule, 5
    market.save()
    vendor, _ = accepted_vendor_with_account(market)
    StallFactory(market=market, assigned_vendor=vendor, price_per_day=2_500)
    day = MarketDayFactory(market=market)

    (booking,) = booking_fill_from_regulars(
        user=organizer, market_id=market.pk, market_day_id=day.pk
    ).booked

    booking.refresh_from_db()
    assert booking.fee_cents == fee


def test_credits_stay_for_a_later_fee(percent_market, organizer):
    vendor, _ = accepted_vendor_with_account(percent_market)
    source = BookingFactory(market_day=MarketDayFactory(market=percent_market), vendor=vendor)
    credit = VendorCredit.objects.create(
        market=percent_market,
        vendor=vendor,
        amount_cents=2_500,
        reason="A cancelled day",
        source_booking=source,
    )

    booking = booking_create(
        user=organizer,
        market_id=percent_market.pk,
        market_day_id=MarketDayFactory(market=percent_market).pk,
        stall_id=StallFactory(market=percent_market).pk,
        vendor_id=vendor.pk,
    )

    credit.refresh_from_db()
    assert (credit.used_on_id, booking.credit_cents) == (None, 0)
    assert booking.payment_status == Booking.PaymentStatus.UNPAID


def test_the_board_and_card_payment_cope_with_a_fee_of_0(percent_market, organizer):
    vendor, user = accepted_vendor_with_account(percent_market)
    day = MarketDayFactory(market=percent_market)
    booking = booking_create(
        user=organizer,
        market_id=percent_market.pk,
        market_day_id=day.pk,
        stall_id=StallFactory(market=percent_market).pk,
        vendor_id=vendor.pk,
    )

    board = market_day_board(day)
    assert (board["booked_count"], board["fees_due_cents"]) == (1, 0)
    assert payments.unpaid_bookings_by_market(vendor=vendor) == []  # nothing to pay by card
    with pytest.raises(NothingToPayError):
        payments.booking_checkout_url(
            user=user, market_id=percent_market.pk, booking_ids=[booking.pk]
        )
