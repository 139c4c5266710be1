"""The market's Sales page in the admin: the period form, the charts with tables of the
same figures (the shared summary's), the organizer's own per-vendor table, the CSV, and
the links that lead there."""

import csv
import io
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from marketflow.currencies import format_money
from sales.selectors import sales_period, sales_summary, shared_summary
from sales.tests.factories import past_day, vendor_report
from seasons.models import SeasonDay
from seasons.tests.factories import SeasonFactory

pytestmark = pytest.mark.django_db


class Tables(HTMLParser):
    """The text of each cell of each table with an id: ``{id: [[cell, ...], ...]}``."""

    def __init__(self):
        super().__init__()
        self.tables, self.current, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self.current = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self.current is not None:
            self.row = []
            self.current.append(self.row)
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
            self.row.append(self.cell)

    def handle_endtag(self, tag):
        if tag == "table":
            self.current = None
        elif tag in ("td", "th") and self.cell is not None:
            self.row[-1] = " ".join("".join(self.cell).split())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def tables_of(response) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(response.content.decode())
    return parser.tables


def sales_url(market):
    return reverse("admin:marketflow_market_sales", args=[market.pk])


@pytest.fixture
def sales(market):
    """Four days: 3 vendors, 4, 3 and 2 (hidden beyond the organizer, with the smallest day
    shown); one vendor named so that the per-vendor table can be checked."""
    days = [past_day(market, ago) for ago in (28, 21, 14, 7)]
    for index in range(3):
        vendor_report(days[0], cash_cents=1000 * (index + 1), snap_cents=250)
    for _ in range(4):
        vendor_report(days[1], "baked_goods", card_cents=3000, market_tokens_cents=500)
    for _ in range(3):
        vendor_report(days[2], "crafts", cash_cents=5000, incentive_cents=20)
    vendor_report(days[3], cash_cents=100, name="Lonely Larder")
    vendor_report(days[3], "crafts", cash_cents=100)
    return days


def expected_row(group, currencies, currency) -> list[str]:
    if group["suppressed_reason"] == "complement":
        return ["not shown: it would give away a smaller group"]
    if group["suppressed"]:
        return ["fewer than 3 vendors"]
    return [
        *(format_money(group["amounts"][code], currency) for code in currencies),
        format_money(group["gross_cents"], currency),
        format_money(group["tokens_cents"], currency),
    ]


def test_the_tables_hold_the_shared_summarys_figures(organizer_admin, market, sales):
    response = organizer_admin.get(sales_url(market))

    assert response.status_code == 200
    shared = shared_summary(sales_summary(market=market, period=sales_period(market=market)))
    currencies, currency = shared["currencies"], market.currency
    tables = tables_of(response)
    days = tables["sales-days"][1:]
    assert len(days) == len(shared["days"]) == 4
    for row, day in zip(days, shared["days"], strict=True):
        assert row[1:3] == [str(day["booked"]), str(day["vendors"])]
        assert row[3:] == expected_row(day, currencies, currency)
    assert [len(row) for row in days] == [4, 11, 11, 4]  # the first and last days hidden
    categories = tables["sales-categories"][1:]
    for row, category in zip(categories, [*shared["categories"], shared["total"]], strict=True):
        assert row[1] == str(category["vendors"])
        assert row[2:] == expected_row(category, currencies, currency)
    assert categories[-1][0] == "Total"
    (season,) = tables["sales-seasons"][1:]
    assert season[-1] == format_money(shared["seasons"][0]["average_cents"], currency)


def test_the_charts_sit_beside_their_tables(organizer_admin, market, sales):
    content = organizer_admin.get(sales_url(market)).content.decode()

    assert content.count('role="img"') == 2
    assert content.index('id="sales-days-chart"') < content.index('id="sales-days"')
    assert content.index('id="sales-categories-chart"') < content.index('id="sales-categories"')
    assert "first product category" in content
    assert ' style="' not in content.split('<div id="content-main">')[1]


def test_the_organizer_alone_sees_each_vendor(organizer_admin, market, sales):
    response = organizer_admin.get(sales_url(market))

    vendors = {row[0]: row for row in tables_of(response)["sales-vendors"][1:]}
    assert vendors["Lonely Larder"][1:3] == ["1", "0"]  # days reported, late
    assert format_money(100, market.currency) in vendors["Lonely Larder"]
    assert "Only you see this" in response.content.decode()


def test_a_season_and_dates_narrow_the_page(organizer_admin, market, sales):
    season = SeasonFactory(market=market, name="Early")
    SeasonDay.objects.create(season=season, market_day=sales[0])

    days = tables_of(organizer_admin.get(sales_url(market), {"season": season.pk}))["sales-days"]
    assert len(days[1:]) == 1

    date = sales[1].date.isoformat()
    response = organizer_admin.get(sales_url(market), {"date_from": date, "date_to": date})
    assert len(tables_of(response)["sales-days"][1:]) == 1


def test_a_reversed_range_is_a_form_error_and_shows_every_day(organizer_admin, market, sales):
    response = organizer_admin.get(
        sales_url(market),
        {"date_from": sales[1].date.isoformat(), "date_to": sales[0].date.isoformat()},
    )

    assert response.status_code == 200
    assert "start is after its end" in response.content.decode()
    assert len(tables_of(response)["sales-days"][1:]) == 4


def test_the_csv_follows_the_period_and_the_privacy_rule(organizer_admin, market, sales):
    date = sales[3].date.isoformat()
    page = organizer_admin.get(sales_url(market), {"date_from": date})
    csv_url = reverse("admin:marketflow_market_sales_csv", args=[market.pk])
    assert f"{csv_url}?date_from={date}" in page.content.decode()

    response = organizer_admin.get(csv_url, {"date_from": date})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["row"] for row in rows][0] == "day"
    assert len([row for row in rows if row["row"] == "day"]) == 1
    assert all(row["suppressed"] == "fewer than 3 vendors" and row["gross"] == "" for row in rows)
    assert "Lonely Larder" not in text


def test_another_organizers_market_is_404(other_organizer_admin, market, sales):
    assert other_organizer_admin.get(sales_url(market)).status_code == 404
    csv_url = reverse("admin:marketflow_market_sales_csv", args=[market.pk])
    assert other_organizer_admin.get(csv_url).status_code == 404


def test_the_market_page_and_the_dashboard_link_to_sales(organizer_admin, market):
    url = sales_url(market)

    market_page = organizer_admin.get(reverse("admin:marketflow_market_change", args=[market.pk]))
    assert url in market_page.content.decode()
    assert url in organizer_admin.get(reverse("admin:index")).content.decode()


def test_a_market_without_reports_says_so(organizer_admin, market):
    content = organizer_admin.get(sales_url(market)).content.decode()

    assert "No sales reported in this period." in content
