"""An organizer writes to the accepted vendors of a market, or to the vendors booked on one
market day: the service, the e-mails (one per vendor, through the task), the admin page."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.urls import reverse
from django.utils.formats import date_format

from applications.models import Application
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow.services import email_suppress
from marketflow.tests.factories import MarketDayFactory
from stalls.models import MarketMessage
from stalls.services import market_message_send
from stalls.tests.factories import BookingFactory
from tests.admin_support import messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendors(market):
    """Two accepted vendors, one of them booked on a day; a pending and a revoked one."""
    first = AcceptedApplicationFactory(market=market, vendor__email="a@farm.example").vendor
    second = AcceptedApplicationFactory(market=market, vendor__email="b@farm.example").vendor
    ApplicationFactory(market=market, vendor__email="pending@farm.example")
    ApplicationFactory(
        market=market, vendor__email="gone@farm.example", status=Application.Status.REVOKED
    )
    return first, second


def test_writing_to_the_accepted_vendors_sends_one_email_each_and_keeps_the_message(
    organizer, market, vendors, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = market_message_send(
            user=organizer,
            market_id=market.pk,
            subject="New opening hours",
            body="From May we open at 7.\nSee you there.",
        )

    message.refresh_from_db()
    assert (message.audience, message.market_day, message.sent_by) == ("accepted", None, organizer)
    assert message.recipients == ["a@farm.example", "b@farm.example"]
    assert sorted(email.to[0] for email in mail.outbox) == message.recipients
    assert all(len(email.to) == 1 for email in mail.outbox)  # nobody sees the others
    first = mail.outbox[0]
    assert first.subject == f"{market.name}: New opening hours"
    assert first.reply_to == [organizer.email]
    assert "From May we open at 7." in first.body
    (entry,) = LogEntry.objects.filter(object_id=str(market.pk))
    assert entry.change_message == "Wrote “New opening hours” to 2 accepted vendors."


def test_writing_to_a_market_day_reaches_only_the_vendors_booked_on_it(
    organizer, market, vendors, django_capture_on_commit_callbacks
):
    day = MarketDayFactory(market=market)
    BookingFactory(market_day=day, vendor=vendors[1])
    BookingFactory(market_day=MarketDayFactory(market=market), vendor=vendors[0])

    with django_capture_on_commit_callbacks(execute=True):
        message = market_message_send(
            user=organizer,
            market_id=market.pk,
            market_day_id=day.pk,
            subject="Rain",
            body="Bring your tent weights.",
        )

    assert (message.audience, message.market_day) == ("market_day", day)
    assert [email.to for email in mail.outbox] == [["b@farm.example"]]
    assert date_format(day.date) in mail.outbox[0].body


def test_vendors_whose_address_bounced_are_listed_not_written_to(
    organizer, market, vendors, django_capture_on_commit_callbacks
):
    email_suppress(email="a@farm.example", kind="bounced", reason="Mailbox full")

    with django_capture_on_commit_callbacks(execute=True):
        message = market_message_send(
            user=organizer, market_id=market.pk, subject="Hello", body="Hi all."
        )

    assert (message.recipients, message.bounced) == (["b@farm.example"], ["a@farm.example"])
    assert [email.to for email in mail.outbox] == [["b@farm.example"]]


def test_a_message_to_nobody_is_refused(refused, organizer, market):
    ApplicationFactory(market=market)  # pending: not written to

    with refused("message_has_no_recipients"):
        market_message_send(user=organizer, market_id=market.pk, subject="Hello", body="Hi.")


def test_an_empty_subject_or_body_is_refused(refused, organizer, market, vendors):
    with refused("invalid") as excinfo:
        market_message_send(user=organizer, market_id=market.pk, subject="", body="")
    assert set(excinfo.value.extra["fields"]) == {"subject", "body"}


def test_writing_to_another_organizers_market_or_day_is_not_found(
    refused, organizer, market, other_market
):
    AcceptedApplicationFactory(market=other_market)
    their_day = MarketDayFactory(market=other_market)

    with refused("not_found"):
        market_message_send(user=organizer, market_id=other_market.pk, subject="x", body="y")
    with refused("not_found"):
        market_message_send(
            user=organizer, market_id=market.pk, market_day_id=their_day.pk, subject="x", body="y"
        )


# -- admin


def test_the_admin_page_writes_the_message_and_lists_it(
    organizer_admin, market, vendors, django_capture_on_commit_callbacks
):
    url = reverse("admin:stalls_marketmessage_add")
    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_admin.post(
            url,
            {"market": market.pk, "market_day": "", "subject": "Layout", "body": "New map."},
            follow=True,
        )

    assert "Your message is on its way to 2 vendor(s)." in messages_of(response)
    message = MarketMessage.objects.get()
    assert message.recipients == ["a@farm.example", "b@farm.example"]
    assert len(mail.outbox) == 2
    listing = organizer_admin.get(reverse("admin:stalls_marketmessage_changelist"))
    assert b"Layout" in listing.content
    page = organizer_admin.get(reverse("admin:stalls_marketmessage_change", args=[message.pk]))
    assert b"a@farm.example, b@farm.example" in page.content


def test_the_admin_page_shows_a_refusal_on_the_form(organizer_admin, market):
    response = organizer_admin.post(
        reverse("admin:stalls_marketmessage_add"),
        {"market": market.pk, "market_day": "", "subject": "Hello", "body": "Hi."},
    )

    assert response.status_code == 200
    assert "Nobody to write to" in response.content.decode()
    assert not MarketMessage.objects.exists()


def test_another_organizers_messages_are_hidden(organizer_admin, other_organizer, other_market):
    AcceptedApplicationFactory(market=other_market)
    theirs = market_message_send(
        user=other_organizer, market_id=other_market.pk, subject="Private", body="x"
    )

    listing = organizer_admin.get(reverse("admin:stalls_marketmessage_changelist"))
    page = organizer_admin.get(reverse("admin:stalls_marketmessage_change", args=[theirs.pk]))

    assert b"Private" not in listing.content
    assert page.status_code == 404
