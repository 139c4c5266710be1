"""Issue 12's "Done when", each a test, through every face a person uses: the organizer's
billing pages and dashboard, the API, the vendor portal, the board; Stripe's side played by
the stub on loopback (what the library sends is recorded) and by webhook events signed as
Stripe signs them."""

import datetime
import time

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.models import Market
from marketflow.tests.factories import MarketDayFactory, MarketFactory
from marketflow.tests.test_api import new_market_body
from stalls.models import Booking
from stalls.tests.factories import BookingFactory, StallFactory
from tests.stripe_stub import post_event, stripe_event

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def post(event, **signing):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_event(Client(), event, **signing)
        assert response.status_code == 200, response.content
        return response

    return post


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def active_subscription(customer, *, status="active", cancel_at_period_end=False, period_end):
    return {
        "id": "sub_42",
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": cancel_at_period_end,
        "items": {"object": "list", "data": [{"current_period_end": period_end}]},
    }


# -- the organizer's plan --------------------------------------------------------------------


def upgrade(organizer, stripe_stub, send, organizer_client) -> int:
    """The organizer clicks "Upgrade", pays on Stripe's page, Stripe reports it."""
    response = signed_in(organizer).post(reverse("billing-upgrade-start"))
    assert response.status_code == 302
    assert response["Location"].startswith("https://checkout.stripe.com/")
    (call,) = stripe_stub.calls("/v1/checkout/sessions")
    assert call.params["mode"] == "subscription"
    assert call.params["line_items[0][price]"] == "price_paid_monthly"
    assert call.params["client_reference_id"] == str(organizer.pk)
    assert call.params["customer_email"] == organizer.email
    period_end = int(time.time()) + 30 * DAY
    stripe_stub.subscriptions["sub_42"] = active_subscription("cus_42", period_end=period_end)
    session = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "mode": "subscription",
        "client_reference_id": str(organizer.pk),
        "customer": "cus_42",
        "subscription": "sub_42",
    }
    send(stripe_event("checkout.session.completed", session))
    return period_end


def test_a_free_organizer_upgrades_and_creates_a_second_market(
    stripe_stub, send, organizer, market, organizer_client
):
    refused = organizer_client.post("/api/markets/", new_market_body(), format="json")
    assert refused.status_code == 402
    assert refused.json()["extra"]["upgrade_url"] == "http://testserver/billing/"

    period_end = upgrade(organizer, stripe_stub, send, organizer_client)

    me = organizer_client.get("/api/me/").json()
    assert (me["plan"], me["plan_status"]) == ("paid", "active")
    assert me["plan_renews_at"].startswith(time.strftime("%Y-%m-%d", time.gmtime(period_end)))
    created = organizer_client.post("/api/markets/", new_market_body(), format="json")
    assert created.status_code == 201
    assert Market.objects.filter(organizer=organizer).count() == 2


def test_cancelling_in_the_portal_returns_to_free_at_the_period_end_and_deletes_nothing(
    stripe_stub, send, organizer, market, organizer_client
):
    upgrade(organizer, stripe_stub, send, organizer_client)
    second = MarketFactory(organizer=organizer)
    portal = signed_in(organizer).post(reverse("billing-portal"))
    assert portal["Location"].startswith("https://billing.stripe.com/")
    assert stripe_stub.calls("/v1/billing_portal/sessions")[0].params["customer"] == "cus_42"
    period_end = int(time.time()) + 10 * DAY
    now = int(time.time())

    # Cancelled in the portal: the subscription runs to the period's end.
    send(
        stripe_event(
            "customer.subscription.updated",
            active_subscription("cus_42", cancel_at_period_end=True, period_end=period_end),
            created=now,
        )
    )
    assert organizer_client.get("/api/me/").json()["plan"] == "paid"

    # The period ends.
    send(
        stripe_event(
            "customer.subscription.deleted",
            active_subscription("cus_42", status="canceled", period_end=period_end),
            created=now + 1,
        )
    )

    me = organizer_client.get("/api/me/").json()
    assert (me["plan"], me["plan_status"]) == ("free", "canceled")
    assert set(Market.objects.filter(organizer=organizer)) == {market, second}  # nothing deleted
    edited = organizer_client.patch(
        f"/api/markets/{second.pk}/", {"name": "Still mine"}, format="json"
    )
    assert edited.status_code == 200
    third = organizer_client.post("/api/markets/", new_market_body(), format="json")
    assert third.status_code == 402
    dashboard = signed_in(organizer).get("/admin/").content.decode()
    assert 'id="over-market-limit"' in dashboard
    assert "You have 2 markets and the free plan includes 1" in dashboard


def test_without_stripe_keys_the_buttons_say_payments_are_not_configured(
    settings, organizer, market
):
    settings.STRIPE_SECRET_KEY = ""
    page = signed_in(organizer).get(reverse("billing-upgrade")).content.decode()
    dashboard = signed_in(organizer).get("/admin/").content.decode()

    for html in (page, dashboard):
        assert "Payments are not configured" in html
        assert 'id="upgrade"' not in html

    response = signed_in(organizer).post(reverse("billing-upgrade-start"), follow=True)
    assert "Payments are not configured" in response.content.decode()


def test_stripe_being_down_is_a_message_not_an_error(stripe_stub, organizer):
    stripe_stub.fail_with = 500

    response = signed_in(organizer).post(reverse("billing-upgrade-start"), follow=True)

    assert response.status_code == 200
    assert "payment provider could not be reached" in response.content.decode()


def test_billing_pages_are_for_organizers_only(stripe_stub, vendor_user):
    assert signed_in(vendor_user).get(reverse("billing-upgrade")).status_code == 403
    assert signed_in(vendor_user).post(reverse("billing-upgrade-start")).status_code == 403
    assert Client().get(reverse("billing-upgrade")).status_code == 302  # to sign in
    assert stripe_stub.requests == []


def test_connecting_stripe_creates_one_express_account(stripe_stub, organizer, send):
    client = signed_in(organizer)

    first = client.post(reverse("billing-connect"))
    second = client.post(reverse("billing-connect"))

    assert first["Location"].startswith("https://connect.stripe.com/setup/")
    assert second.status_code == 302
    organizer.refresh_from_db()
    account_calls = stripe_stub.calls("/v1/accounts")
    assert [call.params["type"] for call in account_calls] == ["express"]
    assert organizer.stripe_account_id.startswith("acct_")
    send(
        stripe_event(
            "account.updated",
            {"id": organizer.stripe_account_id, "object": "account", "charges_enabled": True},
            account=organizer.stripe_account_id,
        )
    )
    organizer.refresh_from_db()
    assert organizer.stripe_charges_enabled


# -- stall fees ------------------------------------------------------------------------------


@pytest.fixture
def connected(organizer):
    organizer.stripe_account_id = "acct_org"
    organizer.stripe_charges_enabled = True
    organizer.save(update_fields=["stripe_account_id", "stripe_charges_enabled"])
    return organizer


@pytest.fixture
def two_bookings(connected, market, vendor, vendor_user):
    market.currency = "EUR"
    market.save(update_fields=["currency"])
    AcceptedApplicationFactory(market=market, vendor=vendor)
    return [
        BookingFactory(
            market_day=MarketDayFactory(market=market),
            stall=StallFactory(market=market, price_per_day=price),
            vendor=vendor,
        )
        for price in (2500, 1800)
    ]


def pay(vendor_user, bookings, stripe_stub) -> dict:
    """The vendor pays ``bookings`` in the portal; the session's metadata as Stripe got it."""
    response = signed_in(vendor_user).post(
        reverse("vendor-pay"),
        {"market": str(bookings[0].market_day.market_id), "bookings": [b.pk for b in bookings]},
    )
    assert response.status_code == 302, response.content
    assert response["Location"].startswith("https://checkout.stripe.com/")
    call = stripe_stub.calls("/v1/checkout/sessions")[-1]
    return call


def completed_session(call, payment_intent: str, session_id: str = "cs_test_paid") -> dict:
    metadata = {
        key.removeprefix("metadata[").removesuffix("]"): value
        for key, value in call.params.items()
        if key.startswith("metadata[")
    }
    return {
        "id": session_id,
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": "paid",
        "payment_intent": payment_intent,
        "metadata": metadata,
    }


def test_a_vendor_pays_two_bookings_in_one_payment_and_gets_a_receipt(
    stripe_stub, send, settings, two_bookings, vendor_user, vendor, market
):
    settings.MARKETFLOW_PLATFORM_FEE_PERCENT = 10
    portal = signed_in(vendor_user).get(reverse("vendor-portal")).content.decode()
    assert "What you owe" in portal and "43.00 EUR" in portal

    call = pay(vendor_user, two_bookings, stripe_stub)

    assert call.account == "acct_org"  # the organizer's own account: never through us
    assert call.params["mode"] == "payment"
    assert call.params["line_items[0][price_data][currency]"] == "eur"
    assert call.params["line_items[0][price_data][unit_amount]"] == "2500"
    assert call.params["line_items[1][price_data][unit_amount]"] == "1800"
    assert call.params["payment_intent_data[application_fee_amount]"] == "430"
    mail.outbox.clear()

    send(
        stripe_event(
            "checkout.session.completed",
            completed_session(call, "pi_paid_2"),
            account="acct_org",
        )
    )

    for booking in two_bookings:
        booking.refresh_from_db()
        assert (booking.payment_status, booking.payment_method) == ("paid", "card")
        assert booking.payment_reference == "pi_paid_2"
        assert booking.paid_at is not None
        assert LogEntry.objects.filter(
            object_id=str(booking.pk), change_message__contains="by card through Stripe"
        ).exists()
    (receipt,) = mail.outbox
    assert receipt.to == [vendor.email]
    assert "43.00 EUR" in receipt.body and "pi_paid_2" in receipt.body
    portal = signed_in(vendor_user).get(reverse("vendor-portal")).content.decode()
    assert "What you owe" not in portal
    assert "Paid (card (stripe))" in portal
    me = signed_in(vendor_user).get("/api/me/bookings/").json()["results"]
    assert {(row["payment_status"], row["payment_method"]) for row in me} == {("paid", "card")}
    # The payment intent's own success, delivered as well, finds it applied.
    send(
        stripe_event(
            "payment_intent.succeeded",
            {
                "id": "pi_paid_2",
                "object": "payment_intent",
                "metadata": completed_session(call, "pi_paid_2")["metadata"],
            },
            account="acct_org",
        )
    )
    assert stripe_stub.refunds() == []
    assert len(mail.outbox) == 1


def test_a_paid_booking_cancelled_by_the_organizer_is_refunded(
    stripe_stub,
    send,
    two_bookings,
    vendor_user,
    organizer_client,
    vendor,
    django_capture_on_commit_callbacks,
):
    call = pay(vendor_user, two_bookings, stripe_stub)
    send(
        stripe_event(
            "checkout.session.completed", completed_session(call, "pi_9"), account="acct_org"
        )
    )
    booking = two_bookings[0]
    mail.outbox.clear()
    board = organizer_client.get(
        f"/api/markets/{booking.market_day.market_id}/market-days/{booking.market_day_id}/board/"
    ).json()
    shown = next(row["booking"] for row in board["stalls"] if row["booking"])
    assert (shown["payment_method"], shown["payment_reference"]) == ("card", "pi_9")

    url = (
        f"/api/markets/{booking.market_day.market_id}/market-days/{booking.market_day_id}"
        f"/bookings/{booking.pk}/"
    )
    refused = organizer_client.patch(url, {"payment_status": "unpaid"}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "booking_paid_by_card"
    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.delete(url)

    assert response.status_code == 204
    (refund,) = stripe_stub.refunds()
    assert refund.account == "acct_org"
    assert (refund.params["payment_intent"], refund.params["amount"]) == ("pi_9", "2500")
    booking.refresh_from_db()
    assert booking.is_cancelled and booking.payment_status == "refunded"
    assert (booking.refund_reference, booking.payment_reference) == (
        stripe_stub.refund_id(refund),
        "pi_9",
    )
    shown = organizer_client.get(url).json()
    assert (shown["payment_status"], shown["refund_reference"]) == (
        "refunded",
        stripe_stub.refund_id(refund),
    )
    assert shown["cancelled_at"] is not None
    again = organizer_client.delete(url)
    assert again.status_code == 409 and again.json()["code"] == "booking_already_cancelled"
    assert len(stripe_stub.refunds()) == 1  # no second refund
    assert LogEntry.objects.filter(
        object_id=str(booking.pk), change_message__contains="Refunded 25.00 EUR"
    ).exists()
    assert [message.to for message in mail.outbox] == [[vendor.email]]
    assert "refund" in mail.outbox[0].subject.lower()


def test_a_refund_stripe_refuses_cancels_nothing(
    stripe_stub, send, two_bookings, vendor_user, organizer_client
):
    call = pay(vendor_user, two_bookings, stripe_stub)
    send(
        stripe_event(
            "checkout.session.completed", completed_session(call, "pi_9"), account="acct_org"
        )
    )
    booking = two_bookings[0]
    stripe_stub.fail_with = 500

    response = organizer_client.delete(
        f"/api/markets/{booking.market_day.market_id}/market-days/{booking.market_day_id}"
        f"/bookings/{booking.pk}/"
    )

    assert response.status_code == 503
    assert response.json()["code"] == "payment_provider_error"
    booking.refresh_from_db()
    assert booking.payment_status == "paid"


def test_a_booking_cancelled_or_settled_meanwhile_is_refunded_never_charged_twice(
    stripe_stub, send, two_bookings, vendor_user, organizer, vendor, organizer_client
):
    call = pay(vendor_user, two_bookings, stripe_stub)
    cancelled, cash = two_bookings
    day_url = f"/api/markets/{cancelled.market_day.market_id}/market-days/{cancelled.market_day_id}"
    # The organizer cancelled it meanwhile (the row is kept, unpaid).
    assert organizer_client.delete(f"{day_url}/bookings/{cancelled.pk}/").status_code == 204
    Booking.objects.filter(pk=cash.pk).update(payment_status="paid", payment_method="cash")
    mail.outbox.clear()

    send(
        stripe_event(
            "checkout.session.completed", completed_session(call, "pi_late"), account="acct_org"
        )
    )

    refunds = {(r.params["payment_intent"], r.params["amount"]) for r in stripe_stub.refunds()}
    assert refunds == {("pi_late", "2500"), ("pi_late", "1800")}
    # The kept row says what became of the money: paid by card, refunded.
    shown = organizer_client.get(f"{day_url}/bookings/{cancelled.pk}/").json()
    assert (shown["payment_status"], shown["payment_method"], shown["payment_reference"]) == (
        "refunded",
        "card",
        "pi_late",
    )
    assert shown["cancelled_at"] is not None and shown["refund_reference"].startswith("re_")
    cash.refresh_from_db()
    assert (cash.payment_status, cash.payment_method, cash.payment_reference) == (
        "paid",
        "cash",
        "",
    )
    assert len(mail.outbox) == 2 and all(m.to == [vendor.email] for m in mail.outbox)


def test_paying_refuses_what_is_not_the_vendors_or_not_unpaid(
    stripe_stub, two_bookings, vendor_user, other_market
):
    paid = two_bookings[1]
    Booking.objects.filter(pk=paid.pk).update(payment_status="waived")
    foreign = BookingFactory(market_day=MarketDayFactory(market=other_market))
    client = signed_in(vendor_user)
    market_id = str(two_bookings[0].market_day.market_id)

    for chosen, message in [
        ([paid.pk], "is not unpaid"),
        ([foreign.pk], "Booking not found"),
        (["not-an-id"], "Choose the bookings"),
    ]:
        response = client.post(
            reverse("vendor-pay"), {"market": market_id, "bookings": chosen}, follow=True
        )
        assert response.status_code in (200, 404)
        if response.status_code == 200:
            assert message in response.content.decode()
    assert stripe_stub.calls("/v1/checkout/sessions") == []


def test_a_market_without_a_connected_account_takes_no_card_payments(
    stripe_stub, two_bookings, vendor_user, organizer
):
    organizer.stripe_charges_enabled = False
    organizer.save(update_fields=["stripe_charges_enabled"])
    client = signed_in(vendor_user)

    assert (
        "does not take card payments yet" in client.get(reverse("vendor-portal")).content.decode()
    )
    response = client.post(
        reverse("vendor-pay"),
        {"market": str(two_bookings[0].market_day.market_id), "bookings": [two_bookings[0].pk]},
        follow=True,
    )
    assert "does not take card payments yet" in response.content.decode()
    assert stripe_stub.calls("/v1/checkout/sessions") == []


def test_the_portal_lists_what_is_owed_in_the_same_queries_for_1_and_many(
    stripe_stub, connected, vendor, vendor_user, market
):
    """Query budget of the portal's new list (what the vendor owes, per market)."""
    client = signed_in(vendor_user)
    AcceptedApplicationFactory(market=market, vendor=vendor)
    other = MarketFactory()
    AcceptedApplicationFactory(market=other, vendor=vendor)

    def book(count: int):
        for target in (market, other):
            for _number in range(count):
                day = MarketDayFactory(market=target)
                BookingFactory(market_day=day, stall=StallFactory(market=target), vendor=vendor)

    def portal_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("vendor-portal")).status_code == 200
        return len(queries)

    book(1)
    for_one = portal_queries()
    book(12)
    for_many = portal_queries()

    assert for_one == for_many
    assert client.get(reverse("vendor-portal")).content.decode().count("Pay by card") == 1


def test_a_subscription_past_its_grace_is_fixed_in_the_portal_not_upgraded_twice(
    stripe_stub, settings, organizer
):
    organizer.plan, organizer.plan_status = "paid", "past_due"
    organizer.stripe_customer_id = "cus_late"
    organizer.plan_grace_until = timezone.now() - datetime.timedelta(days=1)
    organizer.save()
    client = signed_in(organizer)

    page = client.get(reverse("billing-upgrade")).content.decode()
    refused = client.post(reverse("billing-upgrade-start"), follow=True).content.decode()

    assert 'id="billing-plan">Free' in page
    assert 'id="upgrade"' not in page and 'id="manage-billing"' in page
    assert "Manage billing" in refused
    assert stripe_stub.calls("/v1/checkout/sessions") == []


def test_the_board_shows_a_card_payment_and_cancelling_there_refunds_it(
    stripe_stub, send, two_bookings, vendor_user, organizer
):
    call = pay(vendor_user, two_bookings, stripe_stub)
    send(
        stripe_event(
            "checkout.session.completed", completed_session(call, "pi_board"), account="acct_org"
        )
    )
    booking = two_bookings[0]
    board = reverse("admin:stalls_booking_board", args=[booking.market_day_id])
    client = signed_in(organizer)

    page = client.get(board).content.decode()
    row = page[page.index(f'data-stall="{booking.stall.label}"') :]
    row = row[: row.index("</tr>")]
    assert "Card (Stripe)" in row and "pi_board" in row
    assert "mark-unpaid" not in row  # a card payment is undone by cancelling: a refund
    confirm = reverse("admin:stalls_booking_board_cancel", args=[booking.market_day_id, booking.pk])
    assert confirm in row
    asked = client.get(confirm).content.decode()
    assert "cancelling refunds it to the vendor&#x27;s card through Stripe" in asked

    response = client.post(board, {"operation": "cancel", "booking": booking.pk}, follow=True)

    assert response.status_code == 200
    booking.refresh_from_db()
    assert booking.is_cancelled and booking.payment_status == "refunded"
    (refund,) = stripe_stub.refunds()
    assert (refund.params["payment_intent"], refund.params["amount"]) == ("pi_board", "2500")
    # The board lists it below the stalls: cancelled this day, refunded, with the refund's id.
    page = response.content.decode()
    cancelled = page[page.index('id="cancelled-bookings"') :]
    cancelled = cancelled[: cancelled.index("</table>")]
    assert "Refunded" in cancelled and booking.refund_reference in cancelled


def test_a_delayed_payment_is_applied_when_its_payment_intent_succeeds(
    stripe_stub, send, two_bookings, vendor_user
):
    call = pay(vendor_user, two_bookings, stripe_stub)
    session = completed_session(call, "pi_slow") | {"payment_status": "unpaid"}

    send(stripe_event("checkout.session.completed", session, account="acct_org"))
    assert {
        b.payment_status for b in Booking.objects.filter(pk__in=[b.pk for b in two_bookings])
    } == {"unpaid"}

    intent = {"id": "pi_slow", "object": "payment_intent", "metadata": session["metadata"]}
    send(stripe_event("payment_intent.succeeded", intent, account="acct_org"))

    for booking in two_bookings:
        booking.refresh_from_db()
        assert (booking.payment_method, booking.payment_reference) == ("card", "pi_slow")
    assert stripe_stub.refunds() == []
