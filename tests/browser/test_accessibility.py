"""WCAG 2.2 A and AA in a real browser: axe-core checks every page of the three faces (public,
vendor portal, admin), as it first renders and after a failed submit, and fails on any
violation. axe-core is vendored (tests/browser/axe/, MPL-2.0, its licence beside it) so the
check runs offline.

To cover a new page, add its path to PUBLIC_PAGES, VENDOR_PAGES or ADMIN_PAGES; `{name}`
placeholders are filled from the `graph` fixture below.
"""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow.models import MarketDay
from marketflow.tests.factories import (
    MarketDayFactory,
    MarketFactory,
    OrganizerFactory,
    UserFactory,
)
from sales.services import sales_report_submit
from seasons.services import season_vendor_add
from seasons.tests.factories import saturday_season
from stalls.models import VendorCredit
from stalls.tests.factories import BookingFactory, StallFactory, open_offer_of
from vendors.models import DocumentReview
from vendors.tests.factories import VendorDocumentFactory, VendorFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"  # the factories' password
AXE_SOURCE = (Path(__file__).parent / "axe" / "axe.min.js").read_text()
# Every WCAG 2.0, 2.1 and 2.2 success criterion at level A and AA that axe-core tests.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

PUBLIC_PAGES = [
    "/",
    "/signup/resend/",
    "/m/{slug}/",
    "/m/{slug}/vendors/",
    "/m/{slug}/vendors/{listed}/",
    "/m/{slug}/apply/",
    "/m/{slug}/apply/done/",
    "/apply/confirm/not-a-token/",
    "/signup/",
    "/signup/done/",
    "/accounts/sign-in/",
    "/accounts/password-reset/",
    "/accounts/password-reset/sent/",
    "/accounts/password-reset/complete/",
    "/vendor/activate/",
    "/vendor/activate/bad/link/",
    "/no-such-page/",
    "/admin/login/",
]
VENDOR_PAGES = [
    "/vendor/",
    "/vendor/profile/",
    "/vendor/listing/",
    "/vendor/documents/new/",
    "/vendor/applications/{vendor_application}/withdraw/",
    "/vendor/fees/",
    "/vendor/waitlist/",
    "/vendor/offers/{vendor_offer}/",
    "/vendor/sales/",
    "/vendor/sales/{sales_booking}/",
]
ADMIN_PAGES = [
    "/admin/",
    "/admin/applications/application/",
    "/admin/applications/application/?status__exact=pending",
    "/admin/applications/application/{application}/change/",
    "/admin/applications/application/{application}/history/",
    "/admin/marketflow/market/",
    "/admin/marketflow/market/add/",
    "/admin/marketflow/market/{market}/change/",
    "/admin/marketflow/marketday/",
    "/admin/marketflow/marketday/{day}/change/",
    "/admin/marketflow/marketday/add-weekly/",
    "/admin/stalls/stall/",
    "/admin/stalls/stall/{stall}/change/",
    "/admin/stalls/booking/",
    "/admin/stalls/booking/add/",
    "/admin/stalls/booking/board/{day}/",
    "/admin/stalls/booking/board/{day}/sheet/",
    "/admin/stalls/booking/board/{day}/checkin/",
    "/admin/stalls/booking/board/{day}/cancel/{booking}/",
    "/admin/marketflow/market/{market}/fees/",
    "/admin/marketflow/market/{market}/fees/{vendor}/",
    "/admin/marketflow/market/{market}/readiness/",
    "/admin/marketflow/market/{market}/payouts/",
    "/admin/marketflow/market/{market}/sales/",
    "/admin/marketflow/market/{market}/import-vendors/",
    "/admin/stalls/marketmessage/",
    "/admin/stalls/marketmessage/add/?market={market}",
    "/admin/applications/application/{accepted}/revoke/",
    "/admin/vendors/vendor/",
    "/admin/vendors/vendor/{vendor}/change/",
    "/admin/password_change/",
    "/admin/seasons/season/",
    "/admin/seasons/season/add/",
    "/admin/seasons/season/{season}/change/",
    "/admin/sales/salesreport/",
    "/admin/sales/salesreport/enter/{sales_booking}/",
]
# Forms submitted empty, to check the page with its errors shown: (path, the submit button's
# CSS selector, the id of the element that must have the focus then: our pages' error summary).
FAILED_SUBMITS = {
    "public": [
        ("/m/{slug}/apply/", "main form [type=submit]", "error-summary"),
        ("/signup/", "main form [type=submit]", "error-summary"),
        ("/accounts/sign-in/", "main form [type=submit]", "error-summary"),
        ("/accounts/password-reset/", "main form [type=submit]", "error-summary"),
        ("/vendor/activate/", "main form [type=submit]", "error-summary"),
        ("/admin/login/", "#login-form [type=submit]", None),
    ],
    "vendor": [
        ("/vendor/documents/new/", "main form [type=submit]", "error-summary"),
        ("/vendor/profile/", "main form [type=submit]", "error-summary"),
        # Reported already: a revision without its reason.
        ("/vendor/sales/{sales_booking}/", "main form [type=submit]", "error-summary"),
    ],
    "admin": [
        ("/admin/marketflow/market/add/", "[type=submit][name=_save]", None),
        ("/admin/seasons/season/{season}/change/", "[type=submit][name=_save]", None),
    ],
}


@pytest.fixture
def graph():
    organizer = OrganizerFactory(email="axe-manager@example.com")
    market = MarketFactory(
        organizer=organizer,
        name="Axe Market",
        slug="axe-market",
        required_document_types=["insurance"],
        expiring_document_types=["insurance"],
    )
    today = market.today()
    day = MarketDayFactory(market=market, date=today + datetime.timedelta(days=9))
    later_day = MarketDayFactory(market=market, date=today + datetime.timedelta(days=16))
    stall = StallFactory(market=market, label="A1", price_per_day=2500)
    listed = VendorFactory(directory_listed=True, public_description="Apples and pears.")
    accepted = AcceptedApplicationFactory(market=market, vendor=listed)
    regular_stall = StallFactory(
        market=market, label="A2", price_per_day=2000, assigned_vendor=accepted.vendor
    )
    booking = BookingFactory(market_day=day, stall=stall, vendor=accepted.vendor)
    pending = ApplicationFactory(market=market, vendor=VendorFactory())

    vendor_user = UserFactory(email="axe-vendor@example.com")
    vendor = VendorFactory(email=vendor_user.email, user=vendor_user)
    vendor_application = AcceptedApplicationFactory(market=market, vendor=vendor)
    season = saturday_season(organizer, market, fee_cents=10000)
    season_vendor_add(
        user=organizer,
        market_id=market.pk,
        season_id=season.pk,
        vendor_id=vendor.pk,
        stall_id=StallFactory(market=market, label="S1").pk,
    )
    # Documents: the booked vendor's not reviewed yet (the readiness page's review forms, the
    # board's reason field), the portal vendor's refused (the portal shows why).
    accepted.documents.add(
        VendorDocumentFactory(
            vendor=accepted.vendor, expires_on=today + datetime.timedelta(days=20)
        )
    )
    refused = VendorDocumentFactory(vendor=vendor)
    vendor_application.documents.add(refused)
    DocumentReview.objects.create(
        market=market, document=refused, status="refused", reason="Unreadable scan."
    )
    vendor_offer = open_offer_of(later_day, vendor, stall)
    # Cancelled, paid in cash, refund due, and a credit: the board's "cancelled this day",
    # the vendor's portal and fees page show them.
    cancelled = BookingFactory(
        market_day=day,
        stall=regular_stall,
        vendor=vendor,
        payment_status="paid",
        payment_method="cash",
        cancelled_at=timezone.now(),
        cancel_reason="the organizer cancelled the booking.",
        refund_due=True,
    )
    VendorCredit.objects.create(
        market=market, vendor=vendor, amount_cents=2000, reason="Rain", source_booking=cancelled
    )
    # Yesterday's booking of the portal vendor, its sales reported (the form revises them).
    sales_booking = BookingFactory(
        market_day=MarketDayFactory(market=market, date=today - datetime.timedelta(days=1)),
        stall=stall,
        vendor=vendor,
    )
    sales_report_submit(user=vendor_user, booking_id=sales_booking.pk, amounts={"cash": 5000})
    return {
        "organizer": organizer.email,
        "vendor_user": vendor_user.email,
        "slug": market.slug,
        "market": market.pk,
        "day": day.pk,
        "stall": stall.pk,
        "application": pending.pk,
        "accepted": accepted.pk,
        "booking": booking.pk,
        "vendor": accepted.vendor.pk,
        "listed": listed.pk,
        "regular": accepted.vendor.business_name,
        "vendor_application": vendor_application.pk,
        "season": season.pk,
        "vendor_offer": vendor_offer.pk,
        "sales_booking": sales_booking.pk,
    }


def axe_violations(page) -> list[str]:
    """axe-core's A/AA violations on the page as shown, one line per rule and element."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)  # through the DevTools protocol: the page's CSP does not apply
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    return [
        f"{violation['id']} ({violation['impact']}): {node['target']}"
        f" {node['failureSummary'].splitlines()[1]}"
        for violation in results["violations"]
        for node in violation["nodes"]
    ]


def check_pages(page, base: str, paths: list[str], graph: dict) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        url = base + path.format(**graph)
        response = page.goto(url)
        assert response is not None and response.status < 500, url
        page.wait_for_load_state("networkidle")
        found[path] = axe_violations(page)
    return found


def check_failed_submits(page, base: str, forms, graph: dict) -> dict[str, list[str]]:
    found = {}
    for path, submit, focused in forms:
        page.goto(base + path.format(**graph))
        # Empty every field, and keep the browser's own checks from stopping the submit.
        page.evaluate(
            """() => document.querySelectorAll('form').forEach(form => {
                form.noValidate = true;
                form.querySelectorAll('input[type=text], input[type=email], textarea')
                    .forEach(input => { input.value = ''; });
            })"""
        )
        page.click(submit)
        page.wait_for_load_state("networkidle")
        key = f"{path} (failed submit)"
        found[key] = axe_violations(page)
        if focused:
            focus = page.evaluate("document.activeElement.id")
            if focus != focused:
                found[key].append(f"focus is on #{focus}, not on #{focused}")
    return found


def sign_in(page, base: str, email: str, path: str) -> None:
    page.goto(f"{base}{path}")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "sign-in" not in page.url and "login" not in page.url, page.url


def report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{page}\n  " + "\n  ".join(lines) for page, lines in found.items() if lines)


def test_public_pages_pass_axe(live_server, desktop_page, graph):
    found = check_pages(desktop_page, live_server.url, PUBLIC_PAGES, graph)
    found |= check_failed_submits(desktop_page, live_server.url, FAILED_SUBMITS["public"], graph)
    assert not report(found), report(found)


def test_vendor_pages_pass_axe(live_server, desktop_page, graph):
    sign_in(desktop_page, live_server.url, graph["vendor_user"], "/accounts/sign-in/")
    found = check_pages(desktop_page, live_server.url, VENDOR_PAGES, graph)
    found |= check_failed_submits(desktop_page, live_server.url, FAILED_SUBMITS["vendor"], graph)
    assert not report(found), report(found)


def test_admin_pages_pass_axe(live_server, desktop_page, graph):
    sign_in(desktop_page, live_server.url, graph["organizer"], "/admin/login/")
    found = check_pages(desktop_page, live_server.url, ADMIN_PAGES, graph)
    found |= check_failed_submits(desktop_page, live_server.url, FAILED_SUBMITS["admin"], graph)
    assert not report(found), report(found)


def test_axe_reports_an_unlabelled_input(live_server, desktop_page, graph):
    """Control: axe does find a violation, so the empty lists above mean something."""
    page = desktop_page
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<input>')")

    assert any(line.startswith("label ") for line in axe_violations(page))


# The stall board is left out here: its own phone layout is tested with the board.
REFLOW_PAGES = {
    "public": PUBLIC_PAGES,
    "vendor": VENDOR_PAGES,
    "admin": [path for path in ADMIN_PAGES if "/board/" not in path],
}


def sideways_scrolling(page, base: str, paths: list[str], graph: dict) -> dict[str, str]:
    """Pages wider than the window at 320 px (WCAG 1.4.10), or at 640 px with text at 200%
    (WCAG 1.4.4): {path: how wide}."""
    found = {}
    for width, text_size in [(320, "100%"), (640, "200%")]:
        page.set_viewport_size({"width": width, "height": 800})
        for path in paths:
            page.goto(base + path.format(**graph))
            page.evaluate(f"document.documentElement.style.fontSize = '{text_size}'")
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                found[f"{path} at {width} px, text {text_size}"] = f"{scroll_width} px wide"
    return found


@pytest.mark.parametrize("face", ["public", "vendor", "admin"])
def test_no_page_scrolls_sideways(live_server, desktop_page, graph, face):
    if face == "vendor":
        sign_in(desktop_page, live_server.url, graph["vendor_user"], "/accounts/sign-in/")
    if face == "admin":
        sign_in(desktop_page, live_server.url, graph["organizer"], "/admin/login/")

    assert sideways_scrolling(desktop_page, live_server.url, REFLOW_PAGES[face], graph) == {}


def contrast(rgb_a: str, rgb_b: str) -> float:
    """WCAG contrast ratio of two computed `rgb(r, g, b)` colours."""

    def luminance(rgb: str) -> float:
        channels = [int(part) / 255 for part in rgb[rgb.index("(") + 1 : -1].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted([luminance(rgb_a), luminance(rgb_b)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_market_page_names_every_inline_input_and_picker(live_server, desktop_page, graph):
    page = desktop_page
    sign_in(page, live_server.url, graph["organizer"], "/admin/login/")
    page.goto(f"{live_server.url}/admin/marketflow/market/{graph['market']}/change/")
    page.wait_for_load_state("networkidle")

    # Amounts are typed in the market's currency units (25.00), not cents.
    assert page.get_by_role("textbox", name="Price per day (A1)").input_value() == "25.00"
    assert page.get_by_role("checkbox", name="Delete (A2)").count() == 1
    # One status picker a market day, each named by its day.
    days = MarketDay.objects.filter(market_id=graph["market"]).count()
    assert days > 2  # the graph's own days and its season's
    assert page.get_by_role("combobox", name="Status (Axe Market – ", exact=False).count() == days
    # The regular-vendor pickers (select2): by their field and row, and a choice made.
    picker = page.locator(".select2-selection__rendered[aria-label^='Assigned vendor']")
    assert picker.evaluate_all("boxes => boxes.map(box => box.ariaLabel)") == [
        "Assigned vendor (A1)",
        f"Assigned vendor (A2): {graph['regular']}",
        "Assigned vendor (S1)",  # the season's stall
    ]
    # A row added on the page is named too.
    page.click("#stalls-group .add-row a")
    assert picker.nth(3).get_attribute("aria-label") == "Assigned vendor (new stall)"

    border = page.eval_on_selector("#id_name", "e => getComputedStyle(e).borderTopColor")
    background = page.eval_on_selector("#id_name", "e => getComputedStyle(e).backgroundColor")
    assert contrast(border, background) >= 3


def test_admin_filter_links_and_sign_in_heading(live_server, desktop_page, graph):
    page = desktop_page
    page.goto(f"{live_server.url}/admin/login/")
    assert page.get_by_role("heading", level=1).inner_text() == "Log in"

    sign_in(page, live_server.url, graph["organizer"], "/admin/login/")
    page.goto(f"{live_server.url}/admin/applications/application/")
    heights = page.eval_on_selector_all(
        "#changelist-filter a", "links => links.map(a => a.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 24
    decoration = page.eval_on_selector(
        ".breadcrumbs a", "a => getComputedStyle(a).textDecorationLine"
    )
    assert decoration == "underline"
