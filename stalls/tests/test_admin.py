"""The stalls and bookings admin and the stall board: every write through stalls.services,
every refusal shown as the service's message with nothing changed."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from conftest import domain_snapshot
from marketflow.models import MarketDay
from marketflow.tests.factories import MarketDayFactory
from stalls.models import Booking, Stall
from stalls.tests.factories import BookingFactory, StallFactory
from tests.admin_support import admin_url, build_tenant, form_data, messages_of
from vendors.models import Vendor
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant(organizer):
    return build_tenant(organizer, name="Riverside")


def errors_of(response) -> str:
    form = response.context["adminform"].form
    return " ".join(str(message) for messages in form.errors.values() for message in messages)


# -- stalls --------------------------------------------------------------------------------------


def test_a_stall_is_added_through_the_service(market, organizer_admin):
    regular = AcceptedApplicationFactory(market=market).vendor
    response = organizer_admin.post(
        admin_url("stall", "add"),
        {
            "market": market.pk,
            "label": "North 1",
            "size_category": "3x3",
            "price_per_day": "18.00",
            "assigned_vendor": regular.pk,
            "notes": "",
        },
    )
    assert response.status_code == 302
    stall = Stall.objects.get(label="North 1")
    assert (stall.market, stall.price_per_day, stall.assigned_vendor) == (market, 1800, regular)


def test_a_regular_vendor_must_be_accepted(market, stall, organizer_admin):
    pending = ApplicationFactory(market=market).vendor
    page = organizer_admin.get(admin_url("stall", "change", stall.pk))
    before = domain_snapshot()

    response = organizer_admin.post(
        admin_url("stall", "change", stall.pk), form_data(page) | {"assigned_vendor": pending.pk}
    )

    assert response.status_code == 200
    assert "A stall's regular vendor must have an accepted application" in errors_of(response)
    assert domain_snapshot() == before


def test_a_duplicate_label_is_a_form_error(market, stall, organizer_admin):
    other = StallFactory(market=market)
    page = organizer_admin.get(admin_url("stall", "change", other.pk))
    response = organizer_admin.post(
        admin_url("stall", "change", other.pk), form_data(page) | {"label": stall.label}
    )
    assert response.status_code == 200
    other.refresh_from_db()
    assert other.label != stall.label


def test_a_booked_stall_cannot_be_deleted_and_a_free_one_can(tenant, organizer_admin):
    before = domain_snapshot()
    organizer_admin.post(admin_url("stall", "delete", tenant.stall.pk), {"post": "yes"})
    assert domain_snapshot() == before

    organizer_admin.post(admin_url("stall", "delete", tenant.free_stall.pk), {"post": "yes"})
    assert not Stall.objects.filter(pk=tenant.free_stall.pk).exists()


def test_the_stall_list_shows_prices_in_the_markets_currency(tenant, organizer_admin):
    assert "25.00 EUR" in organizer_admin.get(admin_url("stall")).content.decode()


# -- bookings ------------------------------------------------------------------------------------


def test_a_booking_is_made_through_the_service(tenant, organizer, organizer_admin):
    other_vendor = AcceptedApplicationFactory(market=tenant.market).vendor
    response = organizer_admin.post(
        admin_url("booking", "add"),
        {
            "market_day": tenant.market_day.pk,
            "stall": tenant.free_stall.pk,
            "vendor": other_vendor.pk,
        },
    )
    assert response.status_code == 302
    booking = Booking.objects.get(stall=tenant.free_stall)
    assert (booking.vendor, booking.fee_cents, booking.booked_by) == (
        other_vendor,
        tenant.free_stall.price_per_day,
        organizer,
    )


def test_a_vendor_without_an_accepted_application_cannot_be_booked(tenant, organizer_admin):
    before = domain_snapshot()
    response = organizer_admin.post(
        admin_url("booking", "add"),
        {
            "market_day": tenant.market_day.pk,
            "stall": tenant.free_stall.pk,
            "vendor": tenant.pending_vendor.pk,
        },
    )
    assert response.status_code == 200
    assert "Only vendors with an accepted application" in errors_of(response)
    assert domain_snapshot() == before


def test_a_vendor_is_not_booked_twice_on_one_day(tenant, organizer_admin):
    before = domain_snapshot()
    response = organizer_admin.post(
        admin_url("booking", "add"),
        {
            "market_day": tenant.market_day.pk,
            "stall": tenant.free_stall.pk,
            "vendor": tenant.vendor.pk,
        },
    )
    assert response.status_code == 200
    assert errors_of(response)
    assert domain_snapshot() == before


def test_changing_the_payment_status_goes_through_the_service(tenant, organizer_admin):
    url = admin_url("booking", "change", tenant.booking.pk)
    response = organizer_admin.post(
        url, form_data(organizer_admin.get(url)) | {"payment_status": "paid"}
    )
    assert response.status_code == 302
    tenant.booking.refresh_from_db()
    assert tenant.booking.payment_status == "paid"
    assert tenant.booking.paid_at is not None  # set by booking_update_payment, not by a form


def cancelled_already(booking) -> None:
    Booking.objects.filter(pk=booking.pk).update(cancelled_at=timezone.now())


def test_a_cancelled_booking_is_not_cancelled_again_and_the_service_says_why(
    tenant, organizer_admin
):
    cancelled_already(tenant.booking)
    before = domain_snapshot()

    response = organizer_admin.post(
        admin_url("booking", "delete", tenant.booking.pk), {"post": "yes"}, follow=True
    )

    assert response.redirect_chain[-1][0] == admin_url("booking", "change", tenant.booking.pk)
    assert messages_of(response) == ["This booking is cancelled already."]
    assert domain_snapshot() == before


def test_an_unpaid_booking_is_cancelled_and_kept(tenant, organizer, organizer_admin):
    organizer_admin.post(admin_url("booking", "delete", tenant.booking.pk), {"post": "yes"})
    tenant.booking.refresh_from_db()
    assert tenant.booking.cancelled_at is not None
    assert (tenant.booking.cancelled_by, tenant.booking.payment_status) == (organizer, "unpaid")


def bulk(client, action, bookings, **extra):
    return client.post(
        admin_url("booking"),
        {"action": action, "_selected_action": [booking.pk for booking in bookings], **extra},
        follow=True,
    )


def second_booking(tenant):
    vendor = AcceptedApplicationFactory(market=tenant.market).vendor
    return BookingFactory(market_day=tenant.market_day, stall=tenant.free_stall, vendor=vendor)


def test_bookings_are_marked_paid_and_waived_in_bulk(tenant, organizer_admin):
    other = second_booking(tenant)

    response = bulk(organizer_admin, "mark_paid", [tenant.booking, other])

    assert messages_of(response) == ["Marked 2 booking(s) paid."]
    assert set(Booking.objects.values_list("payment_status", flat=True)) == {"paid"}
    assert not Booking.objects.filter(paid_at__isnull=True).exists()

    bulk(organizer_admin, "mark_waived", [other])
    other.refresh_from_db()
    assert (other.payment_status, other.paid_at) == ("waived", None)


def test_bulk_cancel_reports_the_bookings_cancelled_already(tenant, organizer_admin):
    other = second_booking(tenant)
    cancelled_already(tenant.booking)

    response = bulk(organizer_admin, "cancel_bookings", [tenant.booking, other], apply="yes")

    assert list(Booking.objects.active().values_list("pk", flat=True)) == []
    assert Booking.objects.count() == 2  # kept, both cancelled
    assert messages_of(response) == [
        "Cancelled 1 booking(s).",
        f"1 booking(s) not cancelled: This booking is cancelled already. ({tenant.booking})",
    ]


def test_bulk_cancel_asks_first_saying_what_happens_to_each_fee(tenant, organizer_admin):
    other = second_booking(tenant)
    Booking.objects.filter(pk=tenant.booking.pk).update(payment_status="paid")
    before = domain_snapshot()

    page = bulk(organizer_admin, "cancel_bookings", [tenant.booking, other])

    assert domain_snapshot() == before
    assert page.templates[0].name == "marketflow_admin/cancel_bookings.html"
    notes = {booking.pk: note for booking, note in page.context["bookings"]}
    assert notes == {
        tenant.booking.pk: "Paid 25.00 EUR in cash: it stays paid; settle the refund with the "
        "vendor by hand, then record it on the board.",
        other.pk: "The fee of 25.00 EUR is unpaid: the vendor no longer owes it; nothing is "
        "refunded.",
    }
    content = page.content.decode()
    assert 'name="apply" value="yes"' in content and 'value="cancel_bookings"' in content


# -- the stall board -----------------------------------------------------------------------------


def board_url(market_day) -> str:
    return reverse("admin:stalls_booking_board", args=[market_day.pk])


def operate(client, market_day, **data):
    return client.post(board_url(market_day), data, follow=True)


def test_the_board_lists_every_stall_with_its_booking_and_the_totals(tenant, organizer_admin):
    waiting = AcceptedApplicationFactory(market=tenant.market, vendor=VendorFactory()).vendor

    response = organizer_admin.get(board_url(tenant.market_day))

    assert response.status_code == 200
    content = response.content.decode()

    def row(stall) -> str:
        start = content.index(f'data-stall="{stall.label}"')
        return content[start : content.index("</tr>", start)]

    assert f'name="booking" value="{tenant.booking.pk}"' in row(tenant.stall)
    assert 'class="mf-pill mf-free"' in row(tenant.free_stall)
    # The booked vendor is not offered.
    assert response.context["bookable_vendors"] == [(str(waiting.pk), waiting.business_name)]
    assert '<span class="mf-number" id="total-booked">1</span>' in content
    assert '<span class="mf-number" id="total-free">1</span>' in content
    assert '<span class="mf-number" id="total-due">25.00 EUR</span>' in content
    assert '<span class="mf-number" id="total-paid">0.00 EUR</span>' in content


def test_the_board_preselects_a_free_stalls_regular_vendor(tenant, organizer_admin):
    regular = AcceptedApplicationFactory(market=tenant.market).vendor
    Stall.objects.filter(pk=tenant.free_stall.pk).update(assigned_vendor=regular)
    content = organizer_admin.get(board_url(tenant.market_day)).content.decode()
    assert f'<option value="{regular.pk}" selected>' in content


def test_each_board_row_offers_its_own_choices(tenant, organizer_admin):
    """The rows share their pickers and buttons: each still shows only what fits it."""
    regular = AcceptedApplicationFactory(market=tenant.market, vendor__business_name="A & B").vendor
    other = AcceptedApplicationFactory(market=tenant.market).vendor
    Stall.objects.filter(pk=tenant.free_stall.pk).update(assigned_vendor=regular)
    plain = StallFactory(market=tenant.market)
    Booking.objects.filter(pk=tenant.booking.pk).update(payment_status="paid")

    content = organizer_admin.get(board_url(tenant.market_day)).content.decode()

    def picker(stall) -> str:
        start = content.index(f'id="vendor-{stall.pk}"')
        return content[start : content.index("</select>", start)]

    assert f'<option value="{regular.pk}" selected>A &amp; B (regular)</option>' in picker(
        tenant.free_stall
    )
    assert f'<option value="{other.pk}">' in picker(tenant.free_stall)
    assert "selected" not in picker(plain)
    assert f'<option value="{regular.pk}">A &amp; B</option>' in picker(plain)
    vendor_url = reverse("admin:vendors_vendor_change", args=[tenant.vendor.pk])
    assert f'<a href="{vendor_url}">{tenant.vendor.business_name}</a>' in content
    # The paid booking offers the two other statuses, and cancelling (it stays paid).
    assert 'class="mark-unpaid" value="Mark unpaid"' in content
    assert 'class="mark-waived" value="Waive fee"' in content
    assert 'class="mark-paid"' not in content
    assert "cancel-booking" in content


def test_the_board_escapes_what_people_typed(tenant, organizer_admin):
    Vendor.objects.filter(pk=tenant.vendor.pk).update(business_name='<b>Tom & "Jerry"</b>')
    AcceptedApplicationFactory(market=tenant.market, vendor__business_name="<script>x</script>")
    Stall.objects.filter(pk=tenant.stall.pk).update(label="<i>A1</i>")

    content = organizer_admin.get(board_url(tenant.market_day)).content.decode()

    assert "<b>" not in content and "<script>x" not in content and "<i>A1" not in content
    assert "&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;</a>" in content
    assert "&lt;script&gt;x&lt;/script&gt;</option>" in content
    assert 'data-stall="&lt;i&gt;A1&lt;/i&gt;"' in content


def test_booking_a_free_stall_from_the_board(tenant, organizer, organizer_admin):
    vendor = AcceptedApplicationFactory(market=tenant.market, business_name="Honey Hive").vendor

    response = operate(
        organizer_admin,
        tenant.market_day,
        operation="book",
        stall=tenant.free_stall.pk,
        vendor=vendor.pk,
    )

    booking = Booking.objects.get(stall=tenant.free_stall)
    assert (booking.vendor, booking.booked_by) == (vendor, organizer)
    assert messages_of(response) == [
        f"Booked {vendor.business_name} on stall {tenant.free_stall.label}."
    ]
    assert response.context["board"]["free_count"] == 0


def test_marking_a_booking_paid_from_the_board_moves_the_totals(tenant, organizer_admin):
    response = operate(
        organizer_admin,
        tenant.market_day,
        operation="payment",
        booking=tenant.booking.pk,
        payment_status="paid",
    )
    tenant.booking.refresh_from_db()
    assert tenant.booking.payment_status == "paid" and tenant.booking.paid_at is not None
    assert messages_of(response) == [f"Stall {tenant.stall.label}: Paid."]
    assert response.context["fees_paid"] == "25.00 EUR"
    assert response.context["fees_due"] == "0.00 EUR"


def test_cancelling_from_the_board_frees_the_stall_and_lists_the_booking_below(
    tenant, organizer_admin
):
    Booking.objects.filter(pk=tenant.booking.pk).update(
        payment_status="paid", payment_method="cash"
    )
    response = operate(
        organizer_admin, tenant.market_day, operation="cancel", booking=tenant.booking.pk
    )
    assert not Booking.objects.active().exists()
    assert messages_of(response) == ["Booking cancelled."]
    assert response.context["board"]["free_count"] == 2
    content = response.content.decode()
    start = content.index('id="cancelled-bookings"')
    cancelled = content[start : content.index("</table>", start)]
    assert tenant.vendor.business_name in cancelled and "Paid" in cancelled
    assert 'class="mark-refunded"' in cancelled  # the cash is settled by hand, then recorded
    assert 'class="refund-due"' in cancelled

    response = operate(
        organizer_admin,
        tenant.market_day,
        operation="payment",
        booking=tenant.booking.pk,
        payment_status="refunded",
    )
    tenant.booking.refresh_from_db()
    assert tenant.booking.payment_status == "refunded"
    assert 'class="mark-refunded"' not in response.content.decode()


def test_cancelling_from_the_board_asks_first(tenant, organizer_admin):
    board = organizer_admin.get(board_url(tenant.market_day)).content.decode()
    confirm_url = reverse(
        "admin:stalls_booking_board_cancel", args=[tenant.market_day.pk, tenant.booking.pk]
    )
    waived = Booking.objects.filter(pk=tenant.booking.pk)

    assert f'href="{confirm_url}"' in board
    assert 'value="cancel"' not in board  # no form cancels straight from the board
    page = organizer_admin.get(confirm_url)
    assert [note for _booking, note in page.context["bookings"]] == [
        "The fee of 25.00 EUR is unpaid: the vendor no longer owes it; nothing is refunded."
    ]
    content = page.content.decode()
    assert f'action="{board_url(tenant.market_day)}"' in content
    assert 'name="operation" value="cancel"' in content
    waived.update(payment_status="waived")
    page = organizer_admin.get(confirm_url)
    assert page.context["bookings"][0][1] == "Fee waived: nothing is owed and nothing is refunded."
    assert Booking.objects.filter(pk=tenant.booking.pk).exists()


def test_the_board_cancel_page_of_another_organizers_booking_is_not_found(
    tenant, organizer_admin, other_organizer
):
    theirs = build_tenant(other_organizer)

    mixed = reverse(
        "admin:stalls_booking_board_cancel", args=[tenant.market_day.pk, theirs.booking.pk]
    )
    foreign = reverse(
        "admin:stalls_booking_board_cancel", args=[theirs.market_day.pk, theirs.booking.pk]
    )

    assert organizer_admin.get(mixed).status_code == 404
    assert organizer_admin.get(foreign).status_code == 404


def test_a_refusal_on_the_board_is_an_error_message_and_changes_nothing(tenant, organizer_admin):
    cancelled_already(tenant.booking)
    before = domain_snapshot()

    response = operate(
        organizer_admin, tenant.market_day, operation="cancel", booking=tenant.booking.pk
    )

    assert messages_of(response) == ["This booking is cancelled already."]
    assert domain_snapshot() == before


def test_a_cancelled_day_takes_no_bookings(tenant, organizer_admin):
    MarketDay.objects.filter(pk=tenant.market_day.pk).update(status="cancelled")
    vendor = AcceptedApplicationFactory(market=tenant.market).vendor
    before = domain_snapshot()

    page = organizer_admin.get(board_url(tenant.market_day))
    response = operate(
        organizer_admin,
        tenant.market_day,
        operation="book",
        stall=tenant.free_stall.pk,
        vendor=vendor.pk,
    )

    assert page.context["is_open"] is False
    assert b"This market day is cancelled" in page.content
    assert b'value="book"' not in page.content
    assert messages_of(response) == ["This market day is cancelled."]
    assert domain_snapshot() == before


def test_filling_from_regular_vendors(tenant, organizer_admin):
    regular = AcceptedApplicationFactory(market=tenant.market).vendor
    Stall.objects.filter(pk=tenant.free_stall.pk).update(assigned_vendor=regular)

    response = operate(organizer_admin, tenant.market_day, operation="fill")

    assert Booking.objects.get(stall=tenant.free_stall).vendor == regular
    assert messages_of(response) == [
        f"Booked 1 regular vendor(s): {tenant.free_stall.label}.",
        f"Stall {tenant.stall.label} left as it was: the stall is already booked.",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"operation": "book", "stall": "x"}, "Choose a vendor to book."),
        ({"operation": "payment", "payment_status": "free beer"}, "Choose a payment status."),
        (
            {"operation": "payment", "booking": "nope", "payment_status": "paid"},
            "Booking not found.",
        ),
        ({"operation": "explode"}, "Unknown operation."),
    ],
)
def test_malformed_board_posts_are_messages_not_errors(tenant, organizer_admin, data, message):
    before = domain_snapshot()
    response = operate(organizer_admin, tenant.market_day, **data)
    assert response.status_code == 200
    assert messages_of(response) == [message]
    assert domain_snapshot() == before


def test_a_past_day_is_a_record_but_payments_can_still_be_taken(organizer, organizer_admin):
    tenant = build_tenant(organizer)
    MarketDay.objects.filter(pk=tenant.market_day.pk).update(
        date=tenant.market.today() - datetime.timedelta(days=1)
    )
    page = organizer_admin.get(board_url(tenant.market_day))
    assert b"This market day has passed" in page.content
    assert b'value="cancel"' not in page.content
    operate(
        organizer_admin,
        tenant.market_day,
        operation="payment",
        booking=tenant.booking.pk,
        payment_status="paid",
    )
    tenant.booking.refresh_from_db()
    assert tenant.booking.payment_status == "paid"


def test_the_board_needs_a_signed_in_manager(tenant, client):
    response = client.get(board_url(tenant.market_day))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_superuser_uses_any_markets_board(tenant, superuser_admin):
    assert superuser_admin.get(board_url(tenant.market_day)).status_code == 200


def test_the_board_is_linked_from_the_market_day_page(tenant, organizer_admin):
    content = organizer_admin.get(admin_url("marketday", "change", tenant.market_day.pk)).content
    assert board_url(tenant.market_day).encode() in content


# -- the day's bookings as CSV -----------------------------------------------------------------


def test_a_days_bookings_as_csv(tenant, organizer_admin):
    empty_day = MarketDayFactory(market=tenant.market)
    url = reverse("admin:stalls_booking_board_csv", args=[tenant.market_day.pk])

    response = organizer_admin.get(url)

    assert response["Content-Disposition"] == (
        f'attachment; filename="bookings-{tenant.market.slug}-{tenant.market_day.date}.csv"'
    )
    text = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    header, row = list(csv.reader(io.StringIO(text)))
    assert header[:3] == ["stall", "size", "business name"] and header[6] == "fee (EUR)"
    assert row[0] == tenant.stall.label and row[2] == "Riverside Farm"
    assert (row[6], row[7]) == ("25.00", "unpaid")

    empty = organizer_admin.get(reverse("admin:stalls_booking_board_csv", args=[empty_day.pk]))
    assert len(b"".join(empty.streaming_content).decode().strip().splitlines()) == 1
