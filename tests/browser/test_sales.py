"""A market manager reads the season's sales in a real browser, on a desktop and on a 390 px
phone: opens the market's Sales page from its admin page, the two SVG charts render (each
bar drawn, suppressed days marked), each chart's table is there with the same figures, the
per-vendor table says only the manager sees it, the page does not scroll sideways, axe finds
no WCAG A/AA violation and the Content-Security-Policy reports nothing."""

from pathlib import Path

import pytest

from marketflow.currencies import format_money
from marketflow.tests.factories import MarketFactory, OrganizerFactory
from sales.tests.factories import past_day, vendor_report
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_csp import COLLECT_VIOLATIONS

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"  # the factories' password
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request, browser):
    context = browser.new_context(viewport=VIEWPORTS[request.param])
    context.add_init_script(COLLECT_VIOLATIONS)
    page = context.new_page()
    yield request.param, page
    context.close()


@pytest.fixture
def season_sales():
    organizer = OrganizerFactory(email="manager@riverside.example")
    market = MarketFactory(organizer=organizer, name="Riverside Farmers Market", currency="USD")
    days = [past_day(market, ago) for ago in (35, 28, 21, 14, 7)]
    for index, day in enumerate(days[:4]):
        for n in range(3 + index):
            vendor_report(
                day,
                ("produce", "baked_goods", "prepared_food")[n % 3],
                cash_cents=12_000 + 1_500 * n,
                card_cents=8_000 + 700 * index,
                snap_cents=1_500 * (n % 2),
                market_tokens_cents=600 * index,
            )
    vendor_report(days[4], cash_cents=9_000, name="Solo Soap")  # alone that day
    return {"organizer": organizer, "market": market}


def test_the_sales_page_shows_charts_and_tables(live_server, viewport, season_sales):
    name, page = viewport
    market = season_sales["market"]
    page.goto(f"{live_server.url}/admin/login/?next=/admin/marketflow/market/{market.pk}/change/")
    page.fill("#id_username", season_sales["organizer"].email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.click("#sales-link")
    page.wait_for_selector("#sales-days-chart")

    days_chart = page.locator("#sales-days-chart")
    assert days_chart.get_attribute("role") == "img"
    assert days_chart.is_visible() and days_chart.bounding_box()["width"] > 300
    # 4 days shown (1 hidden with the lone vendor's, 1 more so it cannot be worked out):
    # here the smallest shown day goes, so 3 days of cash, card, SNAP and tokens segments.
    assert page.locator("#sales-days-chart rect.bar").count() >= 3 * 3
    assert page.locator("#sales-days-chart text.suppressed").count() == 2
    assert page.locator("#sales-categories-chart rect.bar").count() == 3
    assert page.locator("#sales-days tbody tr").count() == 5
    assert page.locator("#sales-categories tbody tr").count() == 3
    assert "fewer than 3 vendors" in page.inner_text("#sales-days")
    assert "Only you see this" in page.inner_text("#sales-private")
    assert format_money(9_000, "USD") in page.inner_text("#sales-vendors")
    assert "Solo Soap" in page.inner_text("#sales-vendors")

    box = page.locator("#sales-days-chart").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORTS[name]["width"]
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__cspViolations") == []
    assert axe_violations(page) == []
    if name == "phone":
        page.screenshot(path=str(SCREENSHOTS / "sales-phone-390.png"), full_page=True)
