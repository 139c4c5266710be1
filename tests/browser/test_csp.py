"""The Content-Security-Policy holds in a real browser: every page of the three faces renders
with no violation (no inline style without the nonce, no inline script, nothing from another
host), and a violation would be seen: the control injects an inline style and catches it."""

import pytest

from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow.tests.factories import MarketDayFactory, MarketFactory, OrganizerFactory
from stalls.tests.factories import BookingFactory, StallFactory
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"  # the factories' password

# Runs in every page before its own scripts; the browser reports each blocked resource here.
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


@pytest.fixture
def csp_page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.add_init_script(COLLECT_VIOLATIONS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def market_graph():
    organizer = OrganizerFactory(email="csp-manager@example.com")
    market = MarketFactory(organizer=organizer, slug="csp-market")
    day = MarketDayFactory(market=market)
    stall = StallFactory(market=market, label="A1", price_per_day=2500)
    accepted = AcceptedApplicationFactory(
        market=market, vendor=VendorFactory(directory_listed=True)
    )
    BookingFactory(market_day=day, stall=stall, vendor=accepted.vendor)
    StallFactory(market=market, label="A2")
    pending = ApplicationFactory(market=market, vendor=VendorFactory())
    return {
        "organizer": organizer,
        "market": market,
        "day": day,
        "application": pending,
        "listed": accepted.vendor,
    }


def violations_on(page, url: str) -> list[str]:
    """The policy's reports on ``url``, and every request the page made to another host."""
    elsewhere = []
    origin = url.split("/", 3)[:3]

    def note(request):
        if request.url.split("/", 3)[:3] != origin and request.url.startswith("http"):
            elsewhere.append(f"requested {request.url}")

    page.on("request", note)
    response = page.goto(url)
    assert response is not None and response.status < 500, url
    page.wait_for_load_state("networkidle")
    page.remove_listener("request", note)
    return page.evaluate("window.__cspViolations") + elsewhere


def sign_in(page, base_url: str, email: str, path: str = "/admin/login/") -> None:
    page.goto(f"{base_url}{path}")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("[type=submit]")
    page.wait_for_load_state("networkidle")


def test_public_pages_and_api_docs_render_without_violations(live_server, csp_page, market_graph):
    base = live_server.url
    pages = [
        "/",
        "/m/csp-market/",
        "/m/csp-market/vendors/",
        f"/m/csp-market/vendors/{market_graph['listed'].pk}/",
        "/m/csp-market/apply/",
        "/accounts/sign-in/",
        "/signup/",
        "/accounts/password-reset/",
        "/vendor/activate/",
        "/no-such-page/",
        "/admin/login/",
        "/api/docs/",
        "/api/redoc/",
    ]

    found = {path: violations_on(csp_page, f"{base}{path}") for path in pages}

    assert found == {path: [] for path in pages}
    # The docs really rendered (their scripts ran under the policy).
    csp_page.goto(f"{base}/api/docs/")
    csp_page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    # ReDoc rendered its sidebar, whose Redocly credit used to fetch a logo from a CDN.
    csp_page.goto(f"{base}/api/redoc/")
    csp_page.wait_for_selector("text=API docs by Redocly", timeout=20_000)
    assert csp_page.evaluate("window.__cspViolations") == []


def test_admin_pages_render_without_violations(live_server, csp_page, market_graph):
    base = live_server.url
    sign_in(csp_page, base, market_graph["organizer"].email)
    market, day = market_graph["market"], market_graph["day"]
    pages = [
        "/admin/",
        "/admin/applications/application/",
        f"/admin/applications/application/{market_graph['application'].pk}/change/",
        f"/admin/applications/application/{market_graph['application'].pk}/history/",
        f"/admin/marketflow/market/{market.pk}/change/",
        "/admin/marketflow/marketday/",
        "/admin/stalls/booking/",
        "/admin/stalls/booking/add/",
        f"/admin/stalls/booking/board/{day.pk}/",
    ]

    found = {path: violations_on(csp_page, f"{base}{path}") for path in pages}

    assert found == {path: [] for path in pages}


def test_an_injected_inline_style_is_reported(live_server, csp_page, market_graph):
    """Control: the collector does see a violation, so the empty lists above mean something."""
    csp_page.goto(f"{live_server.url}/accounts/sign-in/")
    csp_page.evaluate(
        "document.head.insertAdjacentHTML('beforeend', '<style>body { color: red }</style>')"
    )
    csp_page.wait_for_function("window.__cspViolations.length > 0")

    assert any("style-src" in v for v in csp_page.evaluate("window.__cspViolations"))
