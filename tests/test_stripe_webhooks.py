"""``POST /webhooks/stripe/``: payloads signed exactly as Stripe signs them, through the real
view; Stripe's API (reading a subscription) is the stub on loopback."""

import json
import time

import pytest
from django.core import mail
from django.test import Client

from marketflow.models import StripeEvent, User
from marketflow.tests.factories import OrganizerFactory
from tests.stripe_stub import WEBHOOK_SECRET, post_event, signature_header, stripe_event

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


def subscription(customer="cus_1", status="active", *, period_end=None, sub_id="sub_1"):
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": False,
        "items": {
            "object": "list",
            "data": [{"current_period_end": period_end or int(time.time()) + 30 * DAY}],
        },
    }


@pytest.fixture
def customer(db):
    return OrganizerFactory(stripe_customer_id="cus_1", stripe_subscription_id="sub_1")


def plan_of(user) -> tuple:
    user.refresh_from_db()
    return user.plan, user.plan_status, user.has_paid_plan


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """POST a signed event; what it enqueues on commit (e-mails) runs before the answer."""

    def post(event, **signing):
        with django_capture_on_commit_callbacks(execute=True):
            return post_event(Client(), event, **signing)

    return post


# -- bad input: 400, nothing changes ---------------------------------------------------------


def event_row_count():
    return StripeEvent.objects.count()


def test_an_unsigned_event_is_refused(stripe_stub, customer):
    body = json.dumps(stripe_event("customer.subscription.updated", subscription()))

    response = Client().post("/webhooks/stripe/", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "signature_invalid"
    assert plan_of(customer) == ("free", "", False)
    assert event_row_count() == 0


def test_a_wrongly_signed_event_is_refused(stripe_stub, customer, send):
    event = stripe_event("customer.subscription.updated", subscription())

    response = send(event, secret="whsec_someone_else")

    assert response.status_code == 400
    assert response.json()["code"] == "signature_invalid"
    assert plan_of(customer) == ("free", "", False)


def test_a_changed_body_under_a_good_signature_is_refused(stripe_stub, customer):
    body = json.dumps(stripe_event("customer.subscription.updated", subscription("cus_x")))
    header = signature_header(body)
    forged = body.replace("cus_x", "cus_1")

    response = Client().post(
        "/webhooks/stripe/", data=forged, content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )  # fmt: skip

    assert response.status_code == 400
    assert plan_of(customer) == ("free", "", False)


def test_a_replayed_event_older_than_five_minutes_is_refused(stripe_stub, customer, send):
    event = stripe_event("customer.subscription.updated", subscription())

    response = send(event, timestamp=int(time.time()) - 301)

    assert response.status_code == 400
    assert response.json()["code"] == "signature_invalid"
    assert plan_of(customer) == ("free", "", False)


@pytest.mark.parametrize(
    "body",
    ["not json", "[]", '{"id": "evt_1"}', '{"id": 1, "type": "x", "created": 1, "data": {}}'],
)
def test_a_signed_body_that_is_not_an_event_is_refused(stripe_stub, customer, body):
    response = Client().post(
        "/webhooks/stripe/", data=body, content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(body),
    )  # fmt: skip

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert event_row_count() == 0


def test_an_event_type_we_do_not_handle_is_acknowledged_and_ignored(stripe_stub, customer, send):
    response = send(stripe_event("charge.dispute.created", {"id": "dp_1", "object": "dispute"}))

    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "ignored"}
    assert event_row_count() == 0


def test_without_a_webhook_secret_every_event_is_refused(stripe_stub, settings, customer, send):
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = send(stripe_event("customer.subscription.updated", subscription()))

    assert response.status_code == 400
    assert plan_of(customer) == ("free", "", False)


def test_the_webhook_takes_only_post(stripe_stub):
    assert Client().get("/webhooks/stripe/").status_code == 405


# -- the plan follows the subscription -------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "plan", "paid"),
    [
        ("active", "paid", True),
        ("trialing", "paid", True),
        ("past_due", "paid", True),
        ("canceled", "free", False),
        ("unpaid", "free", False),
        ("incomplete_expired", "free", False),
    ],
)
def test_the_subscription_status_sets_the_plan(stripe_stub, customer, status, plan, paid, send):
    period_end = int(time.time()) + 20 * DAY

    response = send(
        stripe_event(
            "customer.subscription.updated", subscription(status=status, period_end=period_end)
        )
    )

    assert response.status_code == 200
    assert plan_of(customer) == (plan, status, paid)
    assert customer.plan_renews_at.timestamp() == period_end


def test_past_due_keeps_the_paid_plan_for_the_grace_period_and_says_so(
    stripe_stub, settings, customer, send
):
    settings.MARKETFLOW_BILLING_GRACE_DAYS = 7

    send(stripe_event("customer.subscription.updated", subscription(status="past_due")))
    send(stripe_event("customer.subscription.updated", subscription(status="past_due")))

    customer.refresh_from_db()
    assert customer.has_paid_plan and customer.in_billing_grace
    days_left = (customer.plan_grace_until.timestamp() - time.time()) / DAY
    assert 6.9 < days_left <= 7
    assert [message.to for message in mail.outbox] == [[customer.email]]  # once, not twice
    assert "past due" in mail.outbox[0].subject
    dashboard = Client()
    dashboard.force_login(customer)
    assert 'id="billing-grace"' in dashboard.get("/admin/").content.decode()


def test_the_grace_period_ends_by_itself(stripe_stub, settings, customer, send):
    settings.MARKETFLOW_BILLING_GRACE_DAYS = 0

    send(stripe_event("customer.subscription.updated", subscription(status="past_due")))

    assert plan_of(customer) == ("paid", "past_due", False)


def test_paying_again_ends_the_grace(stripe_stub, customer, send):
    send(stripe_event("customer.subscription.updated", subscription(status="past_due")))
    send(stripe_event("customer.subscription.updated", subscription(status="active")))

    customer.refresh_from_db()
    assert customer.has_paid_plan and not customer.in_billing_grace


def test_an_event_older_than_the_last_applied_changes_nothing(stripe_stub, customer, send):
    now = int(time.time())
    send(
        stripe_event("customer.subscription.deleted", subscription(status="canceled"), created=now)
    )

    response = send(
        stripe_event(
            "customer.subscription.updated", subscription(status="active"), created=now - 60
        )
    )

    assert response.status_code == 200
    assert plan_of(customer) == ("free", "canceled", False)


def test_the_same_event_twice_is_applied_once(stripe_stub, customer, send):
    event = stripe_event("customer.subscription.updated", subscription(status="past_due"))
    send(event)
    customer.refresh_from_db()
    customer.plan_grace_until = None  # what a second application would set again (and mail)
    customer.save(update_fields=["plan_grace_until"])

    response = send(event)

    assert response.json() == {"received": True, "outcome": "duplicate"}
    assert plan_of(customer) == ("paid", "past_due", True)
    assert customer.plan_grace_until is None
    assert len(mail.outbox) == 1


def test_an_event_of_an_unknown_customer_is_acknowledged_and_logged(
    stripe_stub, customer, caplog, send
):
    response = send(
        stripe_event("customer.subscription.updated", subscription(customer="cus_nobody"))
    )

    assert response.status_code == 200
    assert "unknown customer cus_nobody" in caplog.text
    assert plan_of(customer) == ("free", "", False)


def test_a_checkout_for_an_unknown_user_is_acknowledged_and_logged(stripe_stub, caplog, send):
    session = {
        "id": "cs_1",
        "object": "checkout.session",
        "mode": "subscription",
        "client_reference_id": "not-a-user",
        "customer": "cus_9",
        "subscription": "sub_9",
    }

    response = send(stripe_event("checkout.session.completed", session))

    assert response.status_code == 200
    assert "unknown user" in caplog.text
    assert not User.objects.filter(stripe_customer_id="cus_9").exists()


def test_a_failed_invoice_emails_the_organizer(stripe_stub, customer, send):
    invoice = {
        "id": "in_1",
        "object": "invoice",
        "customer": "cus_1",
        "hosted_invoice_url": "https://invoice.stripe.test/i/1",
    }

    response = send(stripe_event("invoice.payment_failed", invoice))

    assert response.status_code == 200
    assert [message.to for message in mail.outbox] == [[customer.email]]
    assert "https://invoice.stripe.test/i/1" in mail.outbox[0].body


def test_account_updated_records_whether_the_account_takes_charges(stripe_stub, send):
    organizer = OrganizerFactory(stripe_account_id="acct_7")

    send(
        stripe_event(
            "account.updated",
            {"id": "acct_7", "object": "account", "charges_enabled": True},
            account="acct_7",
        )
    )

    organizer.refresh_from_db()
    assert organizer.stripe_charges_enabled


def test_the_connect_endpoint_secret_is_accepted_too(stripe_stub, settings, send):
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_connect"
    organizer = OrganizerFactory(stripe_account_id="acct_8")
    event = stripe_event(
        "account.updated", {"id": "acct_8", "charges_enabled": True}, account="acct_8"
    )

    assert send(event, secret="whsec_connect").status_code == 200
    assert (
        send(stripe_event("account.updated", {"id": "acct_8"}), secret=WEBHOOK_SECRET).status_code
        == 200
    )
    organizer.refresh_from_db()
    assert organizer.stripe_charges_enabled is False  # the second event, without the flag
