"""The organizer's sales API: the summary (privacy rule applied), its CSV for funders, and
the reports one by one."""

import csv
import datetime
import io

import pytest

from conftest import token_client
from marketflow.tests.factories import MarketFactory
from sales.selectors import sales_period, sales_summary, shared_summary
from sales.tests.factories import past_day, vendor_report
from seasons.models import SeasonDay
from seasons.tests.factories import SeasonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(market):
    """Three past days: three vendors, four (three produce, one bakery), and two."""
    small, crowded, quiet = past_day(market, 21), past_day(market, 14), past_day(market, 7)
    for _ in range(3):
        vendor_report(small, cash_cents=100)
    for cents in (1000, 2000, 3000):
        vendor_report(crowded, cash_cents=cents, snap_cents=100)
    vendor_report(crowded, "baked_goods", card_cents=4000)
    vendor_report(quiet, cash_cents=500)
    vendor_report(quiet, cash_cents=600)
    return {"small": small, "crowded": crowded, "quiet": quiet}


def summary_url(market, suffix="summary/"):
    return f"/api/markets/{market.id}/sales/{suffix}"


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_summary_is_the_shared_summary(organizer_client, market, sales):
    response = organizer_client.get(summary_url(market))

    assert response.status_code == 200
    body = response.json()
    shared = shared_summary(sales_summary(market=market, period=sales_period(market=market)))
    assert body["min_vendors"] == 3
    assert body["currency"] == market.currency
    assert [(d["date"], d["booked"], d["vendors"], d["gross_cents"]) for d in body["days"]] == [
        (str(d["date"]), d["booked"], d["vendors"], d["gross_cents"]) for d in shared["days"]
    ]
    # The day of two vendors shows no amounts; its counts stay. The total less the others
    # would give it back: the smallest day shown goes too.
    small, crowded, quiet = body["days"]
    assert quiet["suppressed"] is True and quiet["vendors"] == 2
    assert quiet["amounts"] is quiet["gross_cents"] is quiet["tokens_cents"] is None
    assert quiet["suppressed_reason"] == "fewer_vendors"
    assert small["suppressed_reason"] == "complement" and crowded["suppressed"] is False
    # Neither does the bakery alone, nor produce (the total would give the bakery back).
    assert [c["suppressed"] for c in body["categories"]] == [True, True]
    assert body["total"]["gross_cents"] == 300 + 1000 + 2000 + 3000 + 300 + 4000 + 500 + 600
    assert body["total"]["vendors"] == 9


def test_the_summary_never_names_a_vendor(organizer_client, market, sales):
    body = organizer_client.get(summary_url(market)).content.decode()

    assert "Green Acres" not in body and "vendor_id" not in body


def test_a_season_and_dates_narrow_the_summary(organizer_client, market, sales):
    season = SeasonFactory(market=market, name="Autumn")
    SeasonDay.objects.create(season=season, market_day=sales["crowded"])

    body = organizer_client.get(summary_url(market), {"season": season.pk}).json()
    assert [d["date"] for d in body["days"]] == [str(sales["crowded"].date)]
    assert body["season"] == str(season.pk)

    day = str(sales["quiet"].date)
    body = organizer_client.get(summary_url(market), {"from": day, "to": day}).json()
    assert [d["date"] for d in body["days"]] == [day]
    assert body["date_from"] == body["date_to"] == day


@pytest.mark.parametrize("suffix", ["summary/", "summary.csv"])
@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"season": "not-a-uuid"}, "invalid"),
        ({"from": "2026-02-30"}, "invalid"),
        ({"season": "0190f0e4-0000-7000-8000-000000000000"}, "sales_season_unknown"),
        ({"from": "2026-06-02", "to": "2026-06-01"}, "sales_period_invalid"),
    ],
)
def test_a_bad_season_or_period_is_a_400_with_a_code(
    organizer_client, market, suffix, params, code
):
    response = organizer_client.get(summary_url(market, suffix), params)

    assert response.status_code == 400
    assert response.json()["code"] == code


def test_another_markets_season_is_unknown(organizer_client, market):
    theirs = SeasonFactory(market=MarketFactory())

    response = organizer_client.get(summary_url(market), {"season": theirs.pk})

    assert response.json()["code"] == "sales_season_unknown"


@pytest.mark.parametrize("suffix", ["summary/", "summary.csv", "reports/"])
def test_another_organizers_market_is_404_and_a_vendor_403(
    other_organizer, vendor_client, market, sales, suffix
):
    assert token_client(other_organizer).get(summary_url(market, suffix)).status_code == 404
    assert vendor_client.get(summary_url(market, suffix)).status_code == 403


def test_the_csv_has_a_row_per_day_season_category_and_the_total(organizer_client, market, sales):
    response = organizer_client.get(summary_url(market, "summary.csv"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert [row["row"] for row in rows] == [
        *("day", "day", "day", "season", "category", "category", "total")
    ]
    crowded, quiet = rows[1], rows[2]
    assert crowded["date"] == str(sales["crowded"].date)
    assert crowded["vendors_booked"] == crowded["vendors_reporting"] == "4"
    assert crowded["cash"] == "60.00" and crowded["snap"] == "3.00" and crowded["card"] == "40.00"
    assert crowded["gross"] == "103.00" and crowded["tokens"] == "3.00"
    assert crowded["suppressed"] == ""
    # Suppressed: every amount empty, the counts kept.
    assert quiet["suppressed"] == "fewer than 3 vendors" and quiet["vendors_reporting"] == "2"
    assert {quiet[column] for column in ("cash", "card", "snap", "gross", "tokens")} == {""}
    assert rows[-1]["gross"] == "117.00" and rows[-1]["currency"] == market.currency


def test_the_csv_writes_no_formula(organizer_client, market, sales):
    season = SeasonFactory(market=market, name='=HYPERLINK("http://evil.example","x")')
    SeasonDay.objects.create(season=season, market_day=sales["crowded"])

    rows = csv_rows(organizer_client.get(summary_url(market, "summary.csv")))

    assert rows[3]["season"] == "'" + season.name


def test_reports_list_each_vendors_report_for_the_organizer(organizer_client, market, sales):
    body = organizer_client.get(summary_url(market, "reports/")).json()

    assert len(body["results"]) == 9
    first = body["results"][0]  # newest first
    assert first["date"] == str(sales["quiet"].date)
    assert first["amounts"]["cash"] == 600 and first["gross_cents"] == 600
    assert set(first) >= {"vendor_id", "business_name", "market_day_id", "late", "revised_at"}


def test_reports_filter_by_market_day_and_vendor(organizer_client, market, sales):
    url = summary_url(market, "reports/")
    quiet = organizer_client.get(url, {"market_day": sales["quiet"].pk}).json()["results"]
    assert {row["date"] for row in quiet} == {str(sales["quiet"].date)} and len(quiet) == 2

    vendor_id = quiet[0]["vendor_id"]
    mine = organizer_client.get(url, {"vendor": vendor_id}).json()["results"]
    assert [row["vendor_id"] for row in mine] == [vendor_id]

    assert organizer_client.get(url, {"vendor": "nope"}).json()["code"] == "invalid"


def test_reports_page_with_a_cursor(organizer_client, market, sales):
    url = summary_url(market, "reports/")
    page = organizer_client.get(url, {"page_size": 5}).json()
    rest = organizer_client.get(page["next"]).json()

    ids = [row["id"] for row in page["results"] + rest["results"]]
    assert len(ids) == len(set(ids)) == 9


def test_an_empty_period_answers_zeros_and_nothing_suppressed(organizer_client, market):
    today = market.today()
    body = organizer_client.get(
        summary_url(market), {"from": today - datetime.timedelta(days=3), "to": today}
    ).json()

    assert body["days"] == [] and body["categories"] == []
    assert body["total"]["vendors"] == 0 and body["total"]["gross_cents"] == 0
    assert body["total"]["suppressed"] is False
