"""The stall board's rows, written in Python (``stalls.admin.board_row``) from the API's board
(``stalls.board.board_data``), show what the template's loop showed for the selector's model
instances: the loop below is the template's as it was, and every kind of row
(booked unpaid, paid or waived; free with or without a regular vendor; no vendor left to
book), for a manager who may change or only view, on an open or a past day, must come out
the same, up to the whitespace between tags (one run of it stays one run of it)."""

import re
from itertools import product

import pytest
from django.template import engines
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext

from marketflow.admin_base import format_money
from stalls.admin import BoardParts, VendorOptions, board_row
from stalls.models import Booking, Stall
from stalls.serializers import BoardStallSerializer
from vendors.models import Vendor

# The {% for %} loop of templates/marketflow_admin/stall_board.html before its rows moved to
# Python, unchanged.
REFERENCE_LOOP = """{% load i18n %}
    {% for row in rows %}
      <tr id="stall-{{ row.slug }}" data-stall="{{ row.stall.label }}">
        <th scope="row">{{ row.stall.label }}</th>
        <td>{{ row.stall.size_category }}</td>
        <td>{{ row.price }}</td>
        {% if row.booking %}
          <td class="board-vendor"><a href="{{ row.vendor_url }}">{{ row.booking.vendor.business_name }}</a></td>
          <td>{{ row.fee }}</td>
          <td><span class="mf-pill mf-{{ row.booking.payment_status }} board-payment">{{ row.booking.get_payment_status_display }}</span></td>
          <td>
          {% if can_change %}
            {% for value, label in row.payment_actions %}
            <form method="post" class="mf-inline-form">{% csrf_token %}
              <input type="hidden" name="operation" value="payment">
              <input type="hidden" name="booking" value="{{ row.booking.pk }}">
              <input type="hidden" name="payment_status" value="{{ value }}">
              <input type="submit" class="mark-{{ value }}" value="{{ label }}">
            </form>
            {% endfor %}
            {% if is_open and row.booking.payment_status != "paid" %}
            <form method="post" class="mf-inline-form">{% csrf_token %}
              <input type="hidden" name="operation" value="cancel">
              <input type="hidden" name="booking" value="{{ row.booking.pk }}">
              <input type="submit" class="mf-danger cancel-booking" value="{% translate 'Cancel booking' %}">
            </form>
            {% endif %}
          {% endif %}
          </td>
        {% else %}
          <td><span class="mf-pill mf-free">{% translate "free" %}</span></td>
          <td></td>
          <td></td>
          <td>
          {% if can_change and is_open %}
            {% if bookable_vendors %}
            <form method="post" class="mf-inline-form">{% csrf_token %}
              <input type="hidden" name="operation" value="book">
              <input type="hidden" name="stall" value="{{ row.stall.pk }}">
              <label class="visually-hidden" for="vendor-{{ row.stall.pk }}">{% translate "Vendor" %}</label>
              <select name="vendor" id="vendor-{{ row.stall.pk }}" class="book-vendor">
                <option value="">{% translate "Choose an accepted vendor…" %}</option>
                {{ row.vendor_options }}
              </select>
              <input type="submit" value="{% translate 'Book' %}" class="book-stall">
            </form>
            {% else %}
              <span class="quiet">{% translate "No accepted vendor without a stall" %}</span>
            {% endif %}
          {% endif %}
          </td>
        {% endif %}
      </tr>
    {% endfor %}
"""  # noqa: E501

CSRF_TOKEN = "a-token-with-<&>-in-it"


def reference_row(stall: Stall, currency: str, vendors: list[Vendor]) -> dict:
    """The row the template was given, as the view built it."""
    booking = stall.booking
    row = {
        "stall": stall,
        "slug": slugify(stall.label),
        "booking": booking,
        "price": format_money(stall.price_per_day, currency),
        "fee": format_money(booking.fee_cents, currency) if booking else "",
    }
    if booking:
        buttons = {"paid": gettext("Mark paid"), "waived": gettext("Waive fee")}
        row["vendor_url"] = reverse("admin:vendors_vendor_change", args=[booking.vendor_id])
        row["payment_actions"] = [
            (status, buttons.get(status, gettext("Mark unpaid")))
            for status in Booking.PaymentStatus.values
            if status != booking.payment_status
        ]
    else:
        pairs = [(vendor.pk, vendor.business_name) for vendor in vendors]
        row["vendor_options"] = VendorOptions(pairs).for_stall(stall.assigned_vendor_id)
    return row


def normalized(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


def board_stalls(vendors: list[Vendor]) -> list[Stall]:
    """Every kind of row, with text that needs escaping."""
    regular, other = vendors[0], Vendor(business_name="Other <Farm>")

    def stall(label, booking=None, **fields):
        stall = Stall(label=label, size_category=fields.pop("size", "3x3"), **fields)
        if booking is not None:
            booking.stall = stall
        stall.booking = booking
        return stall

    def booking(status, vendor, fee=2500):
        return Booking(vendor=vendor, payment_status=status, fee_cents=fee)

    return [
        stall('A & "1"', booking("unpaid", regular), price_per_day=2500),
        stall("B <2>", booking("paid", other, fee=0), price_per_day=None, size=""),
        stall("C'3", booking("waived", regular, fee=1999), price_per_day=1999),
        stall("D4 regular", assigned_vendor_id=regular.pk, price_per_day=1000),
        stall("E5 plain", price_per_day=1000),
        stall("F6 a stranger as regular", assigned_vendor_id=other.pk),
    ]


@pytest.mark.parametrize(
    ("can_change", "is_open", "with_vendors"), list(product([True, False], repeat=3))
)
def test_board_rows_show_what_the_template_showed(can_change, is_open, with_vendors):
    vendors = [Vendor(business_name="Tom & Jerry's"), Vendor(business_name='"Quoted" Bakery')]
    bookable = vendors if with_vendors else []
    stalls = board_stalls(vendors)
    currency = "EUR"

    reference = engines["django"].from_string(REFERENCE_LOOP)
    expected = reference.render(
        {
            "rows": [reference_row(stall, currency, bookable) for stall in stalls],
            "can_change": can_change,
            "is_open": is_open,
            "bookable_vendors": bookable,
            "csrf_token": CSRF_TOKEN,
        }
    )
    pairs = [(vendor.pk, vendor.business_name) for vendor in bookable]
    parts = BoardParts(pairs, csrf_token=CSRF_TOKEN, can_change=can_change, is_open=is_open)
    # What board_data answers for these stalls (tests/test_board_rows.py holds it to that).
    board = BoardStallSerializer(stalls, many=True).data
    rows = [board_row(stall, currency, parts) for stall in board]

    assert normalized(" ".join(rows)) == normalized(expected)
    assert "&amp;" in expected and "&lt;Farm&gt;" in expected  # the escaping was exercised
