"""Pages of issue 14's "things that got in the way", in a real browser: the home page, the
unverified organizer's way back in, the admin's password-reset link and its colours, and a
vendor replacing and deleting documents."""

import re
from pathlib import Path

import pytest
from django.core import mail

from applications.tests.factories import ApplicationFactory
from marketflow.tests.factories import MarketFactory, OrganizerFactory, UserFactory
from vendors.models import VendorDocument
from vendors.tests.factories import VendorFactory
from vendors.tests.uploads import PDF

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"  # the factories' password


def no_sideways_scrolling(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_home_page_says_what_marketflow_is_and_leads_in(live_server, phone_page, screenshot):
    page = phone_page
    response = page.goto(f"{live_server.url}/")

    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Marketflow"
    assert "market's own link" in page.locator("main").inner_text()
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(f"{live_server.url}{icon}").status == 200
    assert no_sideways_scrolling(page)
    screenshot(page, "home-phone")

    page.get_by_role("link", name="Create an organizer account").click()
    page.wait_for_url(f"{live_server.url}/signup/")
    page.goto(f"{live_server.url}/")
    page.locator("main").get_by_role("link", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/accounts/sign-in/")


def test_an_unverified_organizer_gets_a_new_link_and_gets_in(live_server, desktop_page):
    page = desktop_page
    base = live_server.url
    page.goto(f"{base}/signup/")
    page.get_by_label("E-mail").fill("lena@market.example")
    page.get_by_label("Password", exact=True).fill("plum-orchard-42-lantern")
    page.get_by_label("Password again").fill("plum-orchard-42-lantern")
    page.get_by_role("button", name=re.compile("Create|Sign up")).click()
    page.wait_for_url(f"{base}/signup/done/")
    mail.outbox.clear()  # the first link went astray

    page.goto(f"{base}/signup/verify/bm90LWEtdXNlcg/expired-token/")
    page.get_by_role("link", name="Send me a new confirmation link").click()
    page.get_by_label("E-mail").fill("lena@market.example")
    page.get_by_role("button", name="Send a new link").click()
    assert "on its way" in page.locator("main").inner_text()

    (message,) = mail.outbox
    link = re.search(r"http://testserver(/signup/verify/\S+)", message.body).group(1)
    page.goto(f"{base}{link}")
    assert page.get_by_role("heading", level=1).inner_text() == "Your account is confirmed"


def test_the_admin_is_green_and_its_sign_in_leads_to_password_reset(
    live_server, desktop_page, screenshot
):
    organizer = OrganizerFactory(email="green@example.com")
    page = desktop_page
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_role("link", name="Forgotten your login credentials?").click()
    page.wait_for_url(f"{live_server.url}/admin/password_reset/")
    assert page.get_by_role("heading", level=1).inner_text() == "Reset your password"

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", organizer.email)
    page.fill("#id_password", PASSWORD)
    page.click("[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    header = page.evaluate("getComputedStyle(document.getElementById('header')).backgroundColor")
    link = page.evaluate("getComputedStyle(document.querySelector('#content a')).color")
    assert header == "rgb(33, 77, 41)"  # --secondary: Marketflow's dark green
    assert link == "rgb(47, 107, 58)"  # --link-fg: Marketflow green, not Django's blue
    screenshot(page, "admin-dashboard-green")


def test_a_vendor_replaces_and_deletes_documents(
    live_server, phone_page, screenshot, tmp_path: Path
):
    user = UserFactory(email="ana@hillside.example")
    vendor = VendorFactory(email=user.email, user=user)
    market = MarketFactory(name="Riverside Farmers Market")
    pdf = tmp_path / "insurance.pdf"
    pdf.write_bytes(PDF)
    page = phone_page
    base = live_server.url
    page.goto(f"{base}/accounts/sign-in/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/vendor/")

    # An expired certificate uploads, with a warning.
    page.get_by_role("link", name="Upload a document").click()
    page.get_by_label("Kind of document").select_option("insurance")
    page.get_by_label("File").set_input_files(str(pdf))
    page.get_by_label("Expires on").fill("2020-01-31")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(f"{base}/vendor/")
    assert "expired on Fri 31 Jan 2020" in page.locator(".message-warning").inner_text()
    screenshot(page, "vendor-document-expired-warning-phone")

    # Sent with a pending application, it cannot be deleted, only replaced.
    document = VendorDocument.objects.get(vendor=vendor)
    ApplicationFactory(market=market, vendor=vendor).documents.add(document)
    page.get_by_role("link", name="Delete insurance.pdf").click()
    page.get_by_role("button", name="Delete document").click()
    page.wait_for_url(f"{base}/vendor/")
    assert "Riverside Farmers Market" in page.locator(".message-error").inner_text()

    page.get_by_role("link", name="Replace insurance.pdf").click()
    page.get_by_label("File").set_input_files(str(pdf))
    page.get_by_label("Expires on").fill("2040-01-31")
    page.get_by_role("button", name="Replace").click()
    page.wait_for_url(f"{base}/vendor/")
    assert page.locator(".message-success").inner_text() == "Insurance certificate replaced."
    assert "Valid until Tue 31 Jan 2040" in page.locator("main").inner_text()
    assert no_sideways_scrolling(page)
    screenshot(page, "vendor-documents-phone")
