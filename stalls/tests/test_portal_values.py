"""The vendor portal reads its bookings and applications as ``values()`` rows
(``stalls.pages.vendor_portal``): the page must be, byte for byte, what the template wrote
from the selectors' model instances. The template below is the portal's as it was."""

import datetime
import re

import pytest
from django.template import engines
from django.utils import timezone

from applications.models import Application
from applications.selectors import vendor_application_list
from applications.tests.factories import ApplicationFactory
from marketflow.tests.factories import MarketDayFactory, MarketFactory
from stalls import selectors
from stalls.tests.factories import BookingFactory, StallFactory
from vendors.selectors import vendor_document_list

pytestmark = pytest.mark.django_db

REFERENCE = """{% extends "base.html" %}
{% load money %}
{% block title %}Your portal{% endblock %}
{% block content %}
<h1>{{ vendor.business_name }}</h1>
<p class="meta">{{ vendor.contact_name }} · {{ vendor.email }} · <a href="{% url 'vendor-profile' %}">Edit profile</a></p>

<h2 id="bookings">Upcoming bookings</h2>
{% if bookings %}
<ul class="plain-list">
  {% for booking in bookings %}
  <li>
    <strong>{{ booking.market_day.date|date:"D j M Y" }}</strong> · {{ booking.market_day.market.name }}<br>
    Stall <strong>{{ booking.stall.label }}</strong>, {{ booking.market_day.start_time|time:"H:i" }}–{{ booking.market_day.end_time|time:"H:i" }}<br>
    Fee {{ booking.fee_cents|money:booking.market_day.market.currency }}
    <span class="status status-{{ booking.payment_status }}">{{ booking.get_payment_status_display }}</span>
  </li>
  {% endfor %}
</ul>
{% else %}
<p>No bookings yet. Once you are accepted, the organizer books you onto a stall for each market day.</p>
{% endif %}

<h2 id="applications">Your applications</h2>
{% if applications %}
<ul class="plain-list">
  {% for application in applications %}
  <li>
    <strong>{{ application.market.name }}</strong>
    <span class="status status-{{ application.status }}">{{ application.get_status_display }}</span><br>
    <span class="meta">Sent {{ application.created_at|date:"j M Y" }}{% if application.reviewed_at %} · decided {{ application.reviewed_at|date:"j M Y" }}{% endif %}</span>
    {% if application.decision_reason %}<br>Organizer's note: {{ application.decision_reason }}{% endif %}
    {% if application.is_open %}<br><a href="{% url 'vendor-application-withdraw' application_id=application.id %}">Withdraw<span class="visually-hidden"> the application to {{ application.market.name }}</span></a>{% endif %}
  </li>
  {% endfor %}
</ul>
{% else %}
<p>No applications yet.</p>
{% endif %}

<div class="section-head">
  <h2 id="documents">Your documents</h2>
  <a href="{% url 'vendor-document-upload' %}">Upload a document</a>
</div>
{% if documents %}
<ul class="plain-list">
  {% for document in documents %}
  <li>
    <strong>{{ document.get_document_type_display }}</strong> · <a href="{% url 'document-download' document_id=document.id %}">{{ document.original_filename }}</a><br>
    <span class="meta">{% if document.expires_on %}{% if document.is_expired %}<strong>Expired</strong> {{ document.expires_on|date:"j M Y" }}{% else %}Valid until {{ document.expires_on|date:"j M Y" }}{% endif %}{% else %}No expiry date{% endif %} · uploaded {{ document.created_at|date:"j M Y" }}</span>
  </li>
  {% endfor %}
</ul>
{% else %}
<p>No documents yet. Markets often ask for an insurance certificate and a health permit.</p>
{% endif %}
{% endblock %}
"""  # noqa: E501


def reference_page(request, vendor) -> str:
    """The portal as the template wrote it from the selectors' instances."""
    context = {
        "vendor": vendor,
        "applications": vendor_application_list(vendor=vendor).order_by("-created_at"),
        "bookings": selectors.vendor_booking_list(vendor=vendor, upcoming_only=True).order_by(
            "market_day__date"
        ),
        "documents": vendor_document_list(vendor=vendor),
    }
    return engines["django"].from_string(REFERENCE).render(context, request)


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.fixture
def portal(client, vendor_user):
    client.force_login(vendor_user)
    return client


def test_the_portal_is_what_the_template_wrote_from_instances(portal, vendor):
    today = timezone.now().date()
    market = MarketFactory(name="Tom & Jerry's <Market>", currency="JPY")
    other = MarketFactory(name='The "Other" Market')
    for days, status, fee in ((3, "unpaid", 2500), (10, "paid", 0), (17, "waived", 1999)):
        day = MarketDayFactory(
            market=market,
            date=today + datetime.timedelta(days=days),
            start_time=datetime.time(7, 30),
            end_time=datetime.time(12, 5),
        )
        stall = StallFactory(market=market, label=f"A<{days}>")
        BookingFactory(market_day=day, stall=stall, vendor=vendor, payment_status=status,
                       fee_cents=fee)  # fmt: skip
    BookingFactory(
        market_day=MarketDayFactory(market=other, date=today - datetime.timedelta(days=30)),
        vendor=vendor,
    )  # past: not shown
    ApplicationFactory(
        market=market,
        vendor=vendor,
        status=Application.Status.ACCEPTED,
        reviewed_at=timezone.now(),
        decision_reason="Welcome & enjoy <3",
    )
    ApplicationFactory(market=other, vendor=vendor, status=Application.Status.WITHDRAWN)
    ApplicationFactory(vendor=vendor, status=Application.Status.PENDING)

    response = portal.get("/vendor/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="status status-') == 6  # three bookings, three applications
    assert "Tom &amp; Jerry&#x27;s &lt;Market&gt;" in html  # the escaping was exercised
    assert without_tokens(html) == without_tokens(reference_page(response.wsgi_request, vendor))


def test_an_empty_portal_is_what_the_template_wrote(portal, vendor):
    response = portal.get("/vendor/")

    html = response.content.decode()
    assert "No bookings yet." in html and "No applications yet." in html
    assert without_tokens(html) == without_tokens(reference_page(response.wsgi_request, vendor))
