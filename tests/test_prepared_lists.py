"""List endpoints on prepared statements (marketflow/prepared.py ``PreparedList``) page
exactly as the ORM path does: every page forward and back, filters, offsets, forged cursors.

Each walk runs twice, once prepared and once with preparation switched off (the ORM builds
every query), and the two must give the same bytes at every step.
"""

from base64 import b64encode
from urllib.parse import urlencode

import pytest

from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow import prepared
from stalls.tests.factories import BookingFactory, StallFactory

pytestmark = pytest.mark.django_db


def walk(client, url):
    """Every page forward from ``url``, then back from the last: (status, body) of each."""
    seen, forward = [], url
    last = None
    while forward:
        response = client.get(forward)
        seen.append((response.status_code, response.content))
        last = response.json()
        forward = last.get("next")
    backward = last.get("previous") if last else None
    while backward:
        response = client.get(backward)
        seen.append((response.status_code, response.content))
        backward = response.json().get("previous")
    return seen


def both_ways(client, url, monkeypatch):
    prepared_walk = walk(client, url)
    with monkeypatch.context() as patch:
        patch.setattr(prepared, "_preparable", lambda types, values: False)
        orm_walk = walk(client, url)
    assert prepared_walk == orm_walk
    return prepared_walk


def test_stall_pages_are_the_orm_pages(organizer_client, market, monkeypatch):
    for label in ["B2", "A1", "C1", "A2", "B1", "D1", "C2"]:
        StallFactory(market=market, label=label)
    pages = both_ways(
        organizer_client, f"/api/markets/{market.id}/stalls/?page_size=2", monkeypatch
    )
    assert len(pages) == 4 + 3  # four pages forward, three back
    assert all(status == 200 for status, _body in pages)


@pytest.mark.parametrize("query", ["", "status=pending", "status=accepted&category=crafts",
                                   "category=produce", "status="])  # fmt: skip
def test_application_pages_are_the_orm_pages(organizer_client, market, monkeypatch, query):
    for index in range(5):
        ApplicationFactory(market=market, product_categories=["produce"] if index % 2 else [])
        AcceptedApplicationFactory(market=market, product_categories=["crafts"])
    url = f"/api/markets/{market.id}/applications/?page_size=2&{query}"
    pages = both_ways(organizer_client, url, monkeypatch)
    assert pages and all(status == 200 for status, _body in pages)


def test_vendor_booking_pages_are_the_orm_pages(vendor_client, vendor, market, monkeypatch):
    AcceptedApplicationFactory(market=market, vendor=vendor)
    for _ in range(5):
        BookingFactory(vendor=vendor, stall__market=market, market_day__market=market)
    pages = both_ways(vendor_client, "/api/me/bookings/?page_size=2", monkeypatch)
    assert len(pages) == 3 + 2


@pytest.mark.parametrize(
    "tokens",
    [{"p": "not-a-uuid"}, {"p": "0" * 32}, {"o": "3", "p": "A1"}, {"r": "1", "p": "ffff"}],
    ids=["garbage", "hex", "offset", "reverse"],
)
def test_forged_cursors_answer_as_the_orm_does(organizer_client, market, monkeypatch, tokens):
    StallFactory(market=market, label="A1")
    ApplicationFactory(market=market)
    cursor = b64encode(urlencode(tokens).encode()).decode()
    for url in (f"/api/markets/{market.id}/stalls/?cursor={cursor}",
                f"/api/markets/{market.id}/applications/?cursor={cursor}"):  # fmt: skip
        response = organizer_client.get(url)
        with monkeypatch.context() as patch:
            patch.setattr(prepared, "_preparable", lambda types, values: False)
            orm = organizer_client.get(url)
        assert (response.status_code, response.content) == (orm.status_code, orm.content)
        assert response.status_code < 500


def test_a_shape_is_compiled_once(organizer_client, market, monkeypatch):
    StallFactory(market=market)
    compiled = []
    original = prepared._Compiled.__init__

    def counting(self, *args, **kwargs):
        compiled.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(prepared._Compiled, "__init__", counting)
    url = f"/api/markets/{market.id}/stalls/?page_size=7"
    for _ in range(3):
        assert organizer_client.get(url).status_code == 200
    assert len(compiled) == 1


def test_filters_that_bind_as_parameters_are_prepared(organizer_client, market):
    """Status binds as a parameter; category (JSON containment) stays with the ORM."""
    from applications.views import ApplicationListView

    ApplicationFactory(market=market, product_categories=["crafts"])
    shapes = ApplicationListView.rows._shapes
    shapes.clear()
    base = f"/api/markets/{market.id}/applications/?page_size=3"
    assert organizer_client.get(base + "&status=pending").json()["results"]
    assert organizer_client.get(base + "&category=crafts").json()["results"]
    by_absent = {shape[-1]: compiled for shape, compiled in shapes.items()}
    assert by_absent[("category",)] is not None  # status given, prepared
    assert by_absent[("status",)] is None  # category given: the ORM
