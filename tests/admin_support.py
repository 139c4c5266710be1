"""Helpers of the admin-site tests: a whole tenant in one call, admin URLs, query counting."""

from dataclasses import dataclass

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow.models import Market, MarketDay, User
from marketflow.tests.factories import MarketDayFactory, MarketFactory
from stalls.models import Booking, Stall
from stalls.tests.factories import BookingFactory, StallFactory
from vendors.models import Vendor
from vendors.tests.factories import VendorFactory


@dataclass
class Tenant:
    """One organizer's market with one of everything hanging off it."""

    organizer: User
    market: Market
    market_day: MarketDay
    stall: Stall
    free_stall: Stall
    vendor: Vendor  # accepted, booked on ``stall`` for ``market_day``
    accepted_application: Application
    pending_vendor: Vendor
    pending_application: Application
    booking: Booking

    def object_of(self, model_name: str):
        return {
            "market": self.market,
            "marketday": self.market_day,
            "stall": self.stall,
            "booking": self.booking,
            "application": self.pending_application,
            "vendor": self.vendor,
        }[model_name]


def build_tenant(organizer: User, name: str | None = None, **market_fields) -> Tenant:
    """``name`` also names the vendors (``<name> Farm``, ``<name> Bakery``), so a test can
    look for it anywhere on a page."""
    if name is not None:
        market_fields["name"] = name
    market = MarketFactory(organizer=organizer, **market_fields)
    market_day = MarketDayFactory(market=market)
    vendor = VendorFactory(**({"business_name": f"{name} Farm"} if name else {}))
    accepted = AcceptedApplicationFactory(market=market, vendor=vendor)
    stall = StallFactory(market=market, assigned_vendor=vendor)
    free_stall = StallFactory(market=market)
    pending_vendor = VendorFactory(**({"business_name": f"{name} Bakery"} if name else {}))
    pending = ApplicationFactory(market=market, vendor=pending_vendor)
    booking = BookingFactory(market_day=market_day, stall=stall, vendor=vendor)
    return Tenant(
        organizer=organizer,
        market=market,
        market_day=market_day,
        stall=stall,
        free_stall=free_stall,
        vendor=vendor,
        accepted_application=accepted,
        pending_vendor=pending_vendor,
        pending_application=pending,
        booking=booking,
    )


APP_OF = {
    "market": "marketflow",
    "marketday": "marketflow",
    "user": "marketflow",
    "stall": "stalls",
    "booking": "stalls",
    "marketmessage": "stalls",
    "application": "applications",
    "vendor": "vendors",
    "season": "seasons",
}


def admin_url(model_name: str, view: str = "changelist", *args) -> str:
    return reverse(f"admin:{APP_OF[model_name]}_{model_name}_{view}", args=args)


def count_queries(callable_) -> tuple[int, object]:
    """(number of queries, result) of calling ``callable_``, after a first call that warms
    the process-wide caches (content types, permissions), so counts do not depend on which
    test ran before."""
    callable_()
    with CaptureQueriesContext(connection) as captured:
        result = callable_()
    return len(captured.captured_queries), result


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


def form_data(response) -> dict:
    """What the browser would post back from an admin change form as it was rendered: the main
    form and every inline with its management form. Override keys to change something."""
    data: dict = {}

    def put(form, name):
        value = form[name].value()
        key = form.add_prefix(name)
        if value is None or value is False:
            return
        if value is True:
            data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [str(item) for item in value]
        else:
            data[key] = str(value)

    form = response.context["adminform"].form
    for name in form.fields:
        put(form, name)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = str(value)
        for inline_form in formset.forms:
            for name in inline_form.fields:
                put(inline_form, name)
    return data


def inline_row(data: dict, prefix: str, **values) -> dict:
    """Append a new row to inline ``prefix`` of ``data`` (a form_data() dict)."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    for name, value in values.items():
        data[f"{prefix}-{index}-{name}"] = str(value)
    return data
