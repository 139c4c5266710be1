"""E-mail through a provider (django-anymail), and the provider's signed tracking webhook.

The provider is outside the machine, so it is the one thing stood in for: a stub of Resend's
HTTP API on loopback, spoken to by anymail's real Resend backend; webhooks are signed with
the real Svix library (what Resend signs with) and go through anymail's real view.

- mail goes out through the provider's API, and is retried when the API fails;
- a bounce or a complaint, correctly signed, flags the address: no more mail goes to it until
  an organizer clears the flag (admin action, audited) or the address changes;
- a webhook with a bad or no signature is a 400 and changes nothing; an unconfigured
  provider's path, or a provider without its signing secret, is a 404;
- two deliveries of bounces for one address at once leave one flag (concurrency, with a
  negative control).
"""

import base64
import datetime
import http.server
import json
import threading

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from svix.webhooks import Webhook

from applications.services import application_accept
from applications.tests.factories import ApplicationFactory
from marketflow.email_tasks import enqueue_email, without_suppressed_recipients
from marketflow.models import SuppressedAddress
from marketflow.selectors import suppressed_emails, with_email_bounce
from marketflow.services import email_suppress
from marketflow.tasks import send_sign_up_attempt_notice
from marketflow.tests.factories import MarketFactory, OrganizerFactory
from tests.admin_support import admin_url, messages_of
from tests.test_concurrency import BARRIER_TIMEOUT, run_together
from vendors.models import Vendor
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

SIGNING_SECRET = "whsec_" + base64.b64encode(b"marketflow-test-signing-key-32b!").decode()
RESEND = "anymail.backends.resend.EmailBackend"
WEBHOOK_URL = "/anymail/resend/tracking/"


# -- a stub of Resend's API on loopback -------------------------------------------------------


class ResendStub(http.server.ThreadingHTTPServer):
    """Answers ``POST /emails`` as Resend does; ``failures`` first answers that many 503s."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ResendStubHandler)
        self.received: list[dict] = []
        self.failures = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class ResendStubHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        stub = self.server
        if stub.failures:
            stub.failures -= 1
            self.answer(503, {"name": "internal_server_error", "message": "try later"})
            return
        stub.received.append(
            {"path": self.path, "auth": self.headers["Authorization"], **json.loads(body)}
        )
        self.answer(200, {"id": f"email-{len(stub.received)}"})

    def answer(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def resend(settings):
    stub = ResendStub()
    thread = threading.Thread(target=stub.serve_forever, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = RESEND
    settings.ANYMAIL = {
        "RESEND_API_KEY": "re_test_key",
        "RESEND_API_URL": stub.url,
        "RESEND_SIGNING_SECRET": SIGNING_SECRET,
    }
    yield stub
    stub.shutdown()
    stub.server_close()


def accept(application, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        application_accept(
            user=application.market.organizer,
            market_id=application.market_id,
            application_id=application.pk,
        )


# -- signed webhooks --------------------------------------------------------------------------


def resend_event(event_type: str, to: str, **data) -> dict:
    return {
        "type": event_type,
        "created_at": "2026-12-07T10:00:00.000Z",
        "data": {
            "created_at": "2026-12-07T09:59:58.000Z",
            "email_id": "4ef9a417-02e9-4d39-ad75-9611e0fcc33c",
            "from": "Marketflow <noreply@markets.example>",
            "to": [to],
            "subject": "You are accepted",
            **data,
        },
    }


HARD_BOUNCE = {
    "bounce": {
        "message": "The recipient's email provider sent a hard bounce message.",
        "subType": "General",
        "type": "Permanent",
    }
}


def signed_headers(body: str, *, secret: str = SIGNING_SECRET, msg_id: str = "msg_1") -> dict:
    timestamp = datetime.datetime.now(tz=datetime.UTC)
    signature = Webhook(secret).sign(msg_id, timestamp, body)
    return {
        "HTTP_SVIX_ID": msg_id,
        "HTTP_SVIX_TIMESTAMP": str(int(timestamp.timestamp())),
        "HTTP_SVIX_SIGNATURE": signature,
    }


def post_webhook(client, event: dict, msg_id: str = "msg_1"):
    body = json.dumps(event)
    headers = signed_headers(body, msg_id=msg_id)
    return client.post(WEBHOOK_URL, body, content_type="application/json", **headers)


def test_mail_goes_out_through_the_provider_api(resend, django_capture_on_commit_callbacks):
    application = ApplicationFactory()
    accept(application, django_capture_on_commit_callbacks)

    (sent,) = resend.received
    assert sent["path"] == "/emails"
    assert sent["auth"] == "Bearer re_test_key"
    assert sent["to"] == [application.vendor.email]
    assert sent["subject"] == f"You are accepted at {application.market.name}"


def test_a_failing_provider_api_is_retried(resend, django_capture_on_commit_callbacks):
    resend.failures = 2
    application = ApplicationFactory()
    accept(application, django_capture_on_commit_callbacks)

    assert resend.failures == 0
    assert [sent["to"] for sent in resend.received] == [[application.vendor.email]]


def test_a_signed_bounce_flags_the_address_and_no_more_mail_goes_to_it(
    resend, django_capture_on_commit_callbacks
):
    vendor = VendorFactory(email="gone@hillside.example")
    provider = Client(enforce_csrf_checks=True)  # the provider has no CSRF token
    response = post_webhook(provider, resend_event("email.bounced", vendor.email, **HARD_BOUNCE))

    assert response.status_code == 200
    flag = SuppressedAddress.objects.get()
    assert (flag.email, flag.kind, flag.provider_event_id) == (vendor.email, "bounced", "msg_1")
    assert "hard bounce" in flag.reason
    assert with_email_bounce(Vendor.objects.filter(pk=vendor.pk)).get().email_bounced is True

    accept(ApplicationFactory(vendor=vendor), django_capture_on_commit_callbacks)
    assert resend.received == []  # the decision stands; its mail is not sent

    other = ApplicationFactory()
    accept(other, django_capture_on_commit_callbacks)
    assert [sent["to"] for sent in resend.received] == [[other.vendor.email]]


def test_a_complaint_flags_the_address_and_other_events_do_not(client, resend):
    assert post_webhook(client, resend_event("email.delivered", "ok@x.example")).status_code == 200
    assert post_webhook(client, resend_event("email.opened", "ok@x.example")).status_code == 200
    assert not SuppressedAddress.objects.exists()

    response = post_webhook(client, resend_event("email.complained", "Spam@X.example"))
    assert response.status_code == 200
    assert SuppressedAddress.objects.get().email == "spam@x.example"
    assert SuppressedAddress.objects.get().kind == "complained"


def test_the_same_bounce_delivered_twice_leaves_one_flag(client, resend):
    event = resend_event("email.bounced", "gone@x.example", **HARD_BOUNCE)
    assert post_webhook(client, event).status_code == 200
    assert post_webhook(client, event).status_code == 200
    assert SuppressedAddress.objects.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="unsigned"),
        pytest.param(
            signed_headers("{}", secret="whsec_" + base64.b64encode(b"x" * 32).decode()),
            id="another-secret",
        ),
        pytest.param(signed_headers("{}"), id="signature-of-another-body"),
    ],
)
def test_a_bad_signature_is_refused_and_changes_nothing(client, resend, headers):
    body = json.dumps(resend_event("email.bounced", "victim@x.example", **HARD_BOUNCE))
    response = client.post(WEBHOOK_URL, body, content_type="application/json", **headers)

    assert response.status_code == 400
    assert not SuppressedAddress.objects.exists()


def test_a_provider_that_is_not_configured_has_no_webhook(client, settings, resend):
    body = json.dumps(resend_event("email.bounced", "victim@x.example"))
    headers = signed_headers(body)
    for path in ["/anymail/postmark/tracking/", "/anymail/mailgun/tracking/"]:
        assert client.post(path, body, content_type="application/json").status_code == 404

    settings.ANYMAIL = {"RESEND_API_KEY": "re_test_key"}  # no signing secret: unverifiable
    assert (
        client.post(WEBHOOK_URL, body, content_type="application/json", **headers).status_code
        == 404
    )

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.ANYMAIL = {"RESEND_SIGNING_SECRET": SIGNING_SECRET}
    assert (
        client.post(WEBHOOK_URL, body, content_type="application/json", **headers).status_code
        == 404
    )
    assert not SuppressedAddress.objects.exists()


def test_resend_is_the_backend_when_its_key_is_set(monkeypatch):
    import importlib

    import marketflow.settings as project_settings

    monkeypatch.setenv("ANYMAIL_RESEND_API_KEY", "re_live_key")
    monkeypatch.delenv("DJANGO_EMAIL_BACKEND", raising=False)
    reloaded = importlib.reload(project_settings)
    try:
        assert reloaded.EMAIL_BACKEND == RESEND
        assert reloaded.ANYMAIL["RESEND_API_KEY"] == "re_live_key"
        monkeypatch.setenv("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
        assert importlib.reload(project_settings).EMAIL_BACKEND.endswith("smtp.EmailBackend")
    finally:
        monkeypatch.undo()
        importlib.reload(project_settings)


# -- the flag in the sending path and in the admin --------------------------------------------


def test_a_flagged_address_gets_no_mail_until_its_address_changes(
    django_capture_on_commit_callbacks,
):
    """The flag belongs to the address, not to the person: at a new address they get mail."""
    user = OrganizerFactory(email="old@example.org")
    email_suppress(email="Old@Example.org", kind="bounced")
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_email(send_sign_up_attempt_notice, user_id=str(user.pk))
    assert mail.outbox == []

    user.email = "new@example.org"
    user.save(update_fields=["email", "updated_at"])
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_email(send_sign_up_attempt_notice, user_id=str(user.pk))
    assert [message.to for message in mail.outbox] == [["new@example.org"]]
    assert suppressed_emails(emails=["OLD@example.org", "new@example.org"]) == {"old@example.org"}


def test_only_the_flagged_recipients_are_taken_off_a_message():
    email_suppress(email="gone@x.example", kind="bounced")
    message = mail.EmailMessage(
        "s", "b", to=["Gone <GONE@x.example>", "ok@x.example"], cc=["gone@x.example"]
    )
    (kept,) = without_suppressed_recipients([message])
    assert kept.recipients() == ["ok@x.example"]


def test_the_vendor_admin_shows_filters_and_clears_the_flag(
    organizer, organizer_admin, other_organizer_admin, django_capture_on_commit_callbacks
):
    market = MarketFactory(organizer=organizer)
    bounced = ApplicationFactory(market=market, vendor=VendorFactory(email="gone@x.example"))
    fine = ApplicationFactory(market=market)
    email_suppress(email="gone@x.example", kind="bounced", reason="mailbox does not exist")

    listed = organizer_admin.get(admin_url("vendor"), {"email_bounced": "yes"})
    assert list(listed.context["cl"].result_list) == [bounced.vendor]
    assert listed.context["cl"].result_list[0].email_bounced is True
    unflagged = organizer_admin.get(admin_url("vendor"), {"email_bounced": "no"})
    assert list(unflagged.context["cl"].result_list) == [fine.vendor]
    page = organizer_admin.get(admin_url("vendor", "change", bounced.vendor.pk))
    assert page.status_code == 200 and "E-mail bounced" in page.content.decode()

    # Another organizer cannot see, nor clear, this vendor's flag.
    action = {"action": "clear_email_bounce", "_selected_action": [bounced.vendor.pk]}
    other_organizer_admin.post(admin_url("vendor"), action)
    assert SuppressedAddress.objects.filter(email="gone@x.example").exists()

    response = organizer_admin.post(admin_url("vendor"), action, follow=True)
    assert "Cleared the bounce flag of 1 address(es)." in messages_of(response)
    assert not SuppressedAddress.objects.exists()
    entry = LogEntry.objects.get(object_id=str(bounced.vendor.pk))
    assert (
        entry.user_id == organizer.pk and entry.change_message == "Cleared the e-mail bounce flag."
    )

    accept(bounced, django_capture_on_commit_callbacks)
    assert [message.to for message in mail.outbox] == [["gone@x.example"]]


def test_the_user_admin_shows_an_organizer_whose_address_bounced(superuser_admin):
    organizer = OrganizerFactory()
    OrganizerFactory()
    email_suppress(email=organizer.email, kind="complained")

    listed = superuser_admin.get(admin_url("user"), {"email_bounced": "yes"})
    assert list(listed.context["cl"].result_list) == [organizer]
    response = superuser_admin.post(
        admin_url("user"),
        {"action": "clear_email_bounce", "_selected_action": [organizer.pk]},
        follow=True,
    )
    assert "Cleared the bounce flag of 1 address(es)." in messages_of(response)
    assert not SuppressedAddress.objects.exists()


# -- two bounces for one address at once ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_bounce_deliveries_at_once_both_succeed_and_leave_one_flag(client, resend):
    """Through the real view: a 500 would make the provider deliver again and again."""
    clients = [client.__class__(), client.__class__()]
    events = [
        resend_event("email.bounced", "gone@x.example", **HARD_BOUNCE),
        resend_event("email.complained", "gone@x.example"),
    ]
    for _round in range(5):
        SuppressedAddress.objects.all().delete()
        responses = run_together(
            [
                lambda c=c, e=e, i=i: post_webhook(c, e, msg_id=f"msg_{i}")
                for i, (c, e) in enumerate(zip(clients, events, strict=True))
            ]
        )
        assert [response.status_code for response in responses] == [200, 200]
        assert SuppressedAddress.objects.filter(email="gone@x.example").count() == 1


def waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def second_records_while_first_is_uncommitted(second_records) -> list:
    """The first recording inserts the address and holds its transaction open; the second
    runs ``second_records`` and blocks on the unique address; then the first commits.
    Returns what each returned (or raised), with no timing involved: the first commits once
    PostgreSQL shows the second waiting on its lock."""
    inserted, release = threading.Event(), threading.Event()
    results: list = [None, None]

    def first():
        try:
            with transaction.atomic():
                email_suppress(email="gone@x.example", kind="bounced")
                inserted.set()
                assert release.wait(timeout=BARRIER_TIMEOUT)
            results[0] = "recorded"
        finally:
            connection.close()

    def second():
        try:
            assert inserted.wait(timeout=BARRIER_TIMEOUT)
            results[1] = second_records()
        except IntegrityError as error:
            results[1] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert inserted.wait(timeout=BARRIER_TIMEOUT)
    for _poll in range(BARRIER_TIMEOUT * 20):
        if waiting_on_a_lock():
            break
        threading.Event().wait(0.05)
    else:
        pytest.fail("The second recording never waited on the first one's row.")
    release.set()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_a_bounce_recorded_while_another_is_uncommitted_updates_the_one_flag():
    results = second_records_while_first_is_uncommitted(
        lambda: email_suppress(email="gone@x.example", kind="complained").kind
    )
    assert results == ["recorded", "complained"]
    assert list(SuppressedAddress.objects.values_list("email", "kind")) == [
        ("gone@x.example", "complained")
    ]


@pytest.mark.django_db(transaction=True)
def test_control_a_plain_insert_in_the_same_interleaving_fails():
    """NEGATIVE CONTROL: the same interleaving with a plain insert instead of the upsert of
    ``email_suppress`` fails on the unique address: the test above would catch it."""
    results = second_records_while_first_is_uncommitted(
        lambda: SuppressedAddress.objects.create(email="gone@x.example", kind="complained").kind
    )
    assert results[0] == "recorded"
    assert isinstance(results[1], IntegrityError)
    assert SuppressedAddress.objects.get().kind == "bounced"


def test_the_webhook_url_is_the_one_anymail_documents():
    assert reverse("email-tracking-webhook", kwargs={"provider": "resend"}) == WEBHOOK_URL
