"""The public vendor directory in a real browser, on a 390 px phone and a desktop: a vendor
opts in with a photo from the portal, a visitor finds them on the market page, filters by
category without JavaScript, pages through the directory and opens the vendor's page; the
JSON-LD blocks are there and the Content-Security-Policy reports nothing."""

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.tests.factories import MarketDayFactory, MarketFactory, UserFactory
from tests.browser.test_csp import COLLECT_VIOLATIONS
from vendors.models import Vendor
from vendors.tests.factories import VendorFactory

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
def directory_graph(tmp_path):
    market = MarketFactory(
        slug="hill-market",
        name="Hill Market",
        accepted_categories=["produce", "baked_goods", "crafts"],
    )
    MarketDayFactory(market=market)
    for n in range(26):  # more than a directory page (24)
        vendor = VendorFactory(
            business_name=f"Baker {n:02}",
            product_categories=["baked_goods"],
            directory_listed=True,
            public_description="Bread from the wood oven.",
        )
        AcceptedApplicationFactory(market=market, vendor=vendor)
    # A name that tries to end the JSON-LD block and run a script.
    AcceptedApplicationFactory(
        market=market,
        vendor=VendorFactory(
            business_name="</script><script>window.pwned=1</script> Crafts",
            product_categories=["crafts"],
            directory_listed=True,
        ),
    )
    user = UserFactory(email="farmer@example.com")
    farmer = VendorFactory(
        email=user.email, user=user, business_name="Apple Farm", product_categories=["produce"]
    )
    AcceptedApplicationFactory(market=market, vendor=farmer)
    photo = tmp_path / "orchard.png"
    Image.new("RGB", (1600, 1200), (40, 140, 60)).save(photo)
    return {"market": market, "farmer": farmer, "photo": photo}


def csp_violations(page) -> list[str]:
    """What the policy reported on the page shown (the collector starts anew on each page)."""
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__cspViolations")


def no_sideways_scrolling(page) -> bool:
    width = page.evaluate("document.documentElement.clientWidth")
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_vendor_opts_in_and_visitors_find_them(
    live_server, viewport, directory_graph, screenshot
):
    name, page = viewport
    base = live_server.url
    farmer = directory_graph["farmer"]

    # The vendor opts in from the portal, with a description and a photo.
    page.goto(f"{base}/accounts/sign-in/")
    page.fill("#id_username", "farmer@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("main [type=submit]")
    page.click("text=Public listing")
    page.check("#id_directory_listed")
    page.fill("#id_public_description", "Twelve kinds of apples.")
    page.set_input_files("#id_photo", str(directory_graph["photo"]))
    page.click("main [type=submit]")
    page.wait_for_selector("text=Your public listing is saved.")
    farmer = Vendor.objects.get(pk=farmer.pk)
    assert farmer.directory_listed and farmer.photo.name.endswith(".jpg")
    page.click("text=Sign out")

    # A visitor: the market page lists vendors and filters them, with links only.
    page.goto(f"{base}/m/hill-market/")
    assert page.locator(".vendor-card").count() == 12
    page.click("nav[aria-label='Filter by category'] >> text=Produce")
    assert page.url.endswith("/m/hill-market/?category=produce")
    cards = page.locator(".vendor-card")
    assert cards.count() == 1 and "Twelve kinds of apples." in cards.inner_text()
    photo = page.locator(".vendor-card img")
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 1200
    assert no_sideways_scrolling(page) and csp_violations(page) == []
    if name == "phone":
        page.screenshot(path=str(SCREENSHOTS / "directory-market-phone-390.png"), full_page=True)

    # The whole directory, a page at a time, then the vendor's own page.
    page.goto(f"{base}/m/hill-market/vendors/")
    assert page.locator(".vendor-card").count() == 24
    page.click("text=Next page")
    assert page.locator(".vendor-card").count() == 4  # 28 listed in all
    assert csp_violations(page) == []
    page.goto(f"{base}/m/hill-market/vendors/?category=produce")
    page.click("text=Apple Farm")
    page.wait_for_selector("h1:text('Apple Farm')")
    assert no_sideways_scrolling(page) and csp_violations(page) == []
    (business,) = [
        json.loads(text)
        for text in page.locator("script[type='application/ld+json']").all_text_contents()
    ]
    assert business["@type"] == "LocalBusiness" and business["name"] == "Apple Farm"
    assert business["image"].endswith(".jpg")
    image = page.request.get(business["image"])
    assert Image.open(io.BytesIO(image.body())).size == (1200, 900)
    screenshot(page, f"directory-vendor-{name}")

    # The name that tries to break out of the JSON-LD stays data: no script of it ran.
    page.goto(f"{base}/m/hill-market/?category=crafts")
    page.click(".vendor-card a")
    page.wait_for_load_state("networkidle")
    (business,) = [
        json.loads(text)
        for text in page.locator("script[type='application/ld+json']").all_text_contents()
    ]
    assert business["name"].startswith("</script><script>")
    assert page.evaluate("window.pwned") is None

    # The JSON-LD blocks are data, not script: the policy has nothing to report.
    assert csp_violations(page) == []


def test_an_injected_script_would_be_reported(live_server, viewport, directory_graph):
    """Control: on the same page, a script the policy forbids is reported by the collector."""
    _name, page = viewport
    page.goto(f"{live_server.url}/m/hill-market/")
    assert page.locator("script[type='application/ld+json']").count() == 1  # the market day
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ran = 1'; document.head.appendChild(s); }"
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert any("script-src" in v for v in page.evaluate("window.__cspViolations"))
    assert page.evaluate("window.ran") is None
