"""One date format per language: "Sat 5 Dec 2026" and "08:00" on public pages, the vendor's
portal and the admin, where there used to be four ("Sat 5 Dec 2026", "Dec. 5, 2026 / 8 a.m.",
"11/29/2026", "Saturday 05 December 2026")."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils.formats import date_format, time_format

from tests.admin_support import admin_url, build_tenant

pytestmark = pytest.mark.django_db

# What the other formats look like; none may show anywhere.
OTHER_FORMATS = re.compile(
    r"\b\d{1,2}/\d{1,2}/\d{4}\b"  # 11/29/2026
    r"|\b[a-z]\.m\.|\bnoon\b|\bmidnight\b"  # 8 a.m.
    r"|\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\. \d"  # Dec. 5
    r"|\b(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day \d"  # Saturday 05 December
    r"|\b\d{4}-\d{2}-\d{2}\b(?![^<]*>)"  # 2026-12-05 as text (not in an attribute)
)


def test_the_format_of_english():
    day = datetime.date(2026, 12, 5)
    assert date_format(day) == "Sat 5 Dec 2026"
    assert date_format(day, "SHORT_DATE_FORMAT") == "Sat 5 Dec 2026"
    assert time_format(datetime.time(8, 0)) == "08:00"
    moment = datetime.datetime(2026, 12, 5, 8, 0, tzinfo=datetime.UTC)
    assert date_format(moment, "DATETIME_FORMAT") == "Sat 5 Dec 2026, 08:00"


def shown(html: str) -> str:
    return re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.DOTALL)


def test_every_face_writes_dates_one_way(client, organizer, organizer_admin, vendor_user):
    tenant = build_tenant(organizer, "Riverside")
    tenant.booking.vendor = vendor_user.vendor
    tenant.booking.save()
    tenant.accepted_application.vendor = vendor_user.vendor
    tenant.accepted_application.save()
    day = date_format(tenant.market_day.date)
    client.force_login(vendor_user)
    pages = {
        "market page": client.get(f"/m/{tenant.market.slug}/"),
        "portal": client.get("/vendor/"),
        "dashboard": organizer_admin.get("/admin/"),
        "board": organizer_admin.get(
            reverse("admin:stalls_booking_board", args=[tenant.market_day.pk])
        ),
        "market days": organizer_admin.get(admin_url("marketday")),
        "bookings": organizer_admin.get(admin_url("booking")),
        "applications": organizer_admin.get(admin_url("application")),
        "application": organizer_admin.get(
            admin_url("application", "change", tenant.accepted_application.pk)
        ),
    }

    for name, response in pages.items():
        assert response.status_code == 200, name
        html = shown(response.content.decode())
        assert OTHER_FORMATS.search(html) is None, (name, OTHER_FORMATS.search(html))
    for name in ("market page", "portal", "dashboard", "board", "market days", "bookings"):
        assert day in pages[name].content.decode(), name
    submitted = date_format(tenant.accepted_application.created_at.date())
    assert submitted in pages["applications"].content.decode()
