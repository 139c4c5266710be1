"""The organizer's sales figures (per day, season, category, in total), the period they
cover, and the privacy rule that decides what may be shown beyond the organizer."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.tests.factories import AcceptedApplicationFactory
from marketflow.errors import DomainError
from marketflow.models import MarketDay
from marketflow.tests.factories import MarketFactory
from sales.selectors import (
    MIN_VENDORS,
    NO_SEASON,
    sales_by_vendor,
    sales_period,
    sales_report_list,
    sales_summary,
    shareable,
    shared_summary,
)
from sales.tests.factories import SalesReportFactory, past_day
from seasons.models import SeasonDay
from seasons.tests.factories import SeasonFactory
from stalls.tests.factories import BookingFactory

pytestmark = pytest.mark.django_db


def report(market_day, category="produce", name=None, **amounts):
    """A report of a new vendor accepted at the day's market, whose first category is
    ``category`` (and second ``crafts``, which must never count)."""
    application = AcceptedApplicationFactory(
        market=market_day.market,
        vendor__product_categories=[category, "crafts"] if category != "crafts" else [category],
        **({"vendor__business_name": name} if name else {}),
    )
    booking = BookingFactory(market_day=market_day, vendor=application.vendor)
    amounts = {"cash_cents": 0, **amounts}
    return SalesReportFactory(booking=booking, **amounts)


def summary_of(market, **period):
    return sales_summary(market=market, period=sales_period(market=market, **period))


def test_a_day_has_its_vendors_booked_and_reporting_and_its_totals_by_currency(market):
    day = past_day(market, 7)
    report(day, cash_cents=1000, snap_cents=250)
    report(day, card_cents=2000, market_tokens_cents=100)
    report(day, cash_cents=500, incentive_cents=50, wic_cents=70)
    BookingFactory(market_day=day)  # booked, not reported
    BookingFactory(market_day=day, cancelled_at=timezone.now())  # cancelled: not booked

    (row,) = summary_of(market)["days"]

    assert row["date"] == day.date
    assert row["booked"] == 4
    assert row["vendors"] == row["reports"] == 3
    assert row["amounts"] == {
        "cash": 1500,
        "card": 2000,
        "snap": 250,
        "wic": 70,
        "market_tokens": 100,
        "incentive": 50,
    }
    assert row["gross_cents"] == 3970
    assert row["tokens_cents"] == 250 + 100 + 50  # SNAP, market tokens, incentives
    assert row["suppressed"] is False


def test_days_are_those_that_took_place_and_not_cancelled(market):
    past_day(market, 14)
    past_day(market, 7, status=MarketDay.Status.CANCELLED)
    past_day(market, -7)  # to come

    days = summary_of(market)["days"]

    assert [day["date"] for day in days] == [market.today() - datetime.timedelta(days=14)]
    assert days[0]["vendors"] == 0 and days[0]["gross_cents"] == 0
    assert days[0]["average_cents"] is None


def test_a_season_limits_the_days_and_sums_them_with_the_average_per_vendor_day(market):
    season = SeasonFactory(market=market, name="Summer")
    in_season, outside = past_day(market, 14), past_day(market, 7)
    SeasonDay.objects.create(season=season, market_day=in_season)
    report(in_season, cash_cents=1000)
    report(in_season, cash_cents=3000)
    report(outside, cash_cents=500)

    whole = summary_of(market)
    assert [(row["name"], row["reports"], row["gross_cents"]) for row in whole["seasons"]] == [
        ("Summer", 2, 4000),
        (NO_SEASON, 1, 500),
    ]
    assert whole["seasons"][0]["average_cents"] == 2000
    assert whole["total"]["gross_cents"] == 4500

    summer = summary_of(market, season_id=season.pk)
    assert [day["date"] for day in summer["days"]] == [in_season.date]
    assert summer["total"]["gross_cents"] == 4000
    assert summer["total"]["average_cents"] == 2000


def test_a_date_range_includes_both_ends(market):
    days = [past_day(market, ago) for ago in (21, 14, 7)]
    for day in days:
        report(day, cash_cents=100)

    summary = summary_of(market, date_from=days[0].date, date_to=days[1].date)

    assert [day["date"] for day in summary["days"]] == [days[0].date, days[1].date]
    assert summary["total"]["gross_cents"] == 200


def test_a_season_of_another_market_or_a_reversed_range_is_refused(market):
    other_season = SeasonFactory(market=MarketFactory())
    with pytest.raises(DomainError) as error:
        sales_period(market=market, season_id=other_season.pk)
    assert error.value.code == "sales_season_unknown"

    today = market.today()
    with pytest.raises(DomainError) as error:
        sales_period(market=market, date_from=today, date_to=today - datetime.timedelta(days=1))
    assert error.value.code == "sales_period_invalid"


def test_each_vendor_counts_in_their_first_category_so_categories_add_up(market):
    day = past_day(market, 7)
    report(day, "produce", cash_cents=100)
    report(day, "produce", cash_cents=200)
    report(day, "baked_goods", cash_cents=400)
    report(day, "crafts", cash_cents=800)

    summary = summary_of(market)
    by_category = {row["category"]: row for row in summary["categories"]}

    assert {code: row["gross_cents"] for code, row in by_category.items()} == {
        "produce": 300,
        "baked_goods": 400,
        "crafts": 800,  # only the vendor whose first category it is
    }
    assert by_category["produce"]["label"] == "Produce"
    assert (
        sum(row["gross_cents"] for row in summary["categories"])
        == (summary["total"]["gross_cents"])
    )
    assert sum(row["vendors"] for row in summary["categories"]) == summary["total"]["vendors"]


def test_the_total_counts_each_vendor_once(market):
    first, second = past_day(market, 14), past_day(market, 7)
    vendor = AcceptedApplicationFactory(market=market).vendor
    for day in (first, second):
        SalesReportFactory(booking=BookingFactory(market_day=day, vendor=vendor))

    total = summary_of(market)["total"]

    assert total["vendors"] == 1 and total["reports"] == 2


def test_the_columns_are_the_markets_currencies_and_any_reported(market):
    market.sales_currencies = ["cash", "snap"]
    market.save(update_fields=["sales_currencies"])
    report(past_day(market, 7), cash_cents=100, wic_cents=50)  # WIC, since dropped

    assert summary_of(market)["currencies"] == ["cash", "snap", "wic"]


def test_a_summary_costs_the_same_queries_whatever_the_rows(market):
    season = SeasonFactory(market=market)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            shared_summary(summary_of(market, season_id=season.pk))
        return len(captured)

    day = past_day(market, 7)
    SeasonDay.objects.create(season=season, market_day=day)
    report(day)
    one = queries()
    for ago in (14, 21, 28):
        day = past_day(market, ago)
        SeasonDay.objects.create(season=season, market_day=day)
        for category in ("produce", "baked_goods", "crafts", "beverages"):
            report(day, category, cash_cents=100)
    assert queries() == one == 5  # the season, then the summary's four


def test_another_markets_reports_never_count(market):
    report(past_day(MarketFactory(), 7), cash_cents=999)
    report(past_day(market, 7), cash_cents=1)

    assert summary_of(market)["total"]["gross_cents"] == 1
    assert sales_report_list(market=market).count() == 1


def test_sales_by_vendor_gives_each_vendors_own_figures(market):
    day, later = past_day(market, 14), past_day(market, 7)
    alone = report(day, name="Alone Farm", cash_cents=700, snap_cents=300)
    late = SalesReportFactory(
        booking=BookingFactory(market_day=later, vendor=alone.vendor), cash_cents=100, late=True
    )

    (row,) = sales_by_vendor(market=market, period=sales_period(market=market))

    assert row["business_name"] == "Alone Farm"
    assert row["reports"] == 2 and row["late"] == 1
    assert row["gross_cents"] == 1000 + late.gross_cents
    assert row["tokens_cents"] == 300


# -- the privacy rule ---------------------------------------------------------------------


def group(vendors: int, gross: int, name: str) -> dict:
    return {
        "name": name,
        "vendors": vendors,
        "reports": vendors,
        "amounts": {"cash": gross},
        "gross_cents": gross,
        "tokens_cents": 0,
        "average_cents": gross // vendors if vendors else None,
        "suppressed": False,
    }


def shown(groups) -> list[str]:
    return [g["name"] for g in groups if not g["suppressed"]]


def test_a_group_of_fewer_than_three_vendors_shows_no_amounts():
    assert MIN_VENDORS == 3
    groups = [group(3, 300, "a"), group(2, 200, "b"), group(5, 500, "c"), group(4, 40, "d")]
    vendors = {"b": {"x", "y"}}

    result = shareable(groups, lambda g: vendors[g["name"]])

    hidden = result[1]
    assert hidden["suppressed"] is True
    assert hidden["amounts"] is hidden["gross_cents"] is hidden["tokens_cents"] is None
    assert hidden["vendors"] == 2  # the count stays
    # "b" alone could be worked out from the total: the smallest group shown goes too.
    assert shown(result) == ["a", "c"]


def test_hidden_groups_of_three_vendors_together_need_no_complement():
    groups = [group(3, 300, "a"), group(1, 100, "b"), group(2, 200, "c")]
    vendors = {"b": {"x"}, "c": {"y", "z"}}

    assert shown(shareable(groups, lambda g: vendors[g["name"]])) == ["a"]


def test_hidden_groups_of_the_same_vendors_still_need_a_complement():
    groups = [group(1, 100, "b"), group(1, 100, "c"), group(4, 400, "d"), group(3, 900, "e")]
    vendors = {"b": {"x"}, "c": {"x"}}  # one vendor on two days

    assert shown(shareable(groups, lambda g: vendors[g["name"]])) == ["e"]


def test_groups_with_nobody_reporting_and_large_groups_stay():
    groups = [group(0, 0, "empty"), group(3, 300, "a")]

    assert shown(shareable(groups, lambda g: set())) == ["empty", "a"]


def test_shared_summary_suppresses_small_days_categories_and_seasons(market):
    crowded, quiet = past_day(market, 14), past_day(market, 7)
    for category in ("produce", "produce", "produce", "baked_goods"):
        report(crowded, category, cash_cents=1000)
    report(quiet, "produce", cash_cents=50)
    report(quiet, "produce", cash_cents=60)
    report(quiet, "produce", cash_cents=70)

    summary = summary_of(market)
    shared = shared_summary(summary)

    assert [day["suppressed"] for day in shared["days"]] == [False, False]
    categories = {row["category"]: row for row in shared["categories"]}
    # One baked-goods vendor: hidden; then the total less produce would show it, so
    # produce (the only other category) goes too.
    assert categories["baked_goods"]["suppressed"] and categories["produce"]["suppressed"]
    assert shared["total"]["gross_cents"] == 4180
    # The organizer's own summary keeps everything.
    assert not any(row["suppressed"] for row in summary["categories"])


def test_a_day_of_two_vendors_is_hidden_with_its_complement(market):
    days = [past_day(market, ago) for ago in (21, 14, 7)]
    for _ in range(3):
        report(days[0], cash_cents=100)
    for _ in range(4):
        report(days[1], cash_cents=500)
    report(days[2], cash_cents=10)
    report(days[2], cash_cents=20)

    shared = shared_summary(summary_of(market))

    assert [day["suppressed"] for day in shared["days"]] == [True, False, True]
    assert shared["total"]["gross_cents"] == 2330


def test_a_period_of_fewer_than_three_vendors_shows_no_amount_at_all(market):
    day = past_day(market, 7)
    report(day, cash_cents=100)
    report(day, cash_cents=200)
    past_day(market, 14)  # nobody reported

    shared = shared_summary(summary_of(market))

    assert shared["total"]["suppressed"] and shared["total"]["gross_cents"] is None
    assert [day["suppressed"] for day in shared["days"]] == [False, True]
    assert all(row["suppressed"] for row in shared["seasons"] + shared["categories"])


def in_season(season, market_day):
    SeasonDay.objects.create(season=season, market_day=market_day)
    return market_day


def test_a_seasons_days_are_hidden_against_the_season_they_add_up_to(market):
    """Season one: a day of 3 vendors and a day of 1; season two: a day of 4 with the
    smallest gross. Hiding the lone vendor's day and the smallest day overall would leave
    season one less its big day: the lone vendor. The big day of season one goes instead."""
    one, two = SeasonFactory(market=market, name="A"), SeasonFactory(market=market, name="B")
    big, lone = in_season(one, past_day(market, 21)), in_season(one, past_day(market, 14))
    other = in_season(two, past_day(market, 7))
    for _ in range(3):
        report(big, cash_cents=5000)
    report(lone, cash_cents=700)
    for _ in range(4):
        report(other, cash_cents=10)

    shared = shared_summary(summary_of(market))

    assert [(day["suppressed"], day["suppressed_reason"]) for day in shared["days"]] == [
        (True, "complement"),
        (True, "fewer_vendors"),
        (False, None),
    ]
    assert not any(season["suppressed"] for season in shared["seasons"])


def test_a_hidden_seasons_days_are_all_hidden(market):
    """A season of one vendor is hidden, and the smallest other season with it: then that
    season's days too, or they would add up to it."""
    lonely, small, large = (SeasonFactory(market=market, name=name) for name in "ABC")
    report(in_season(lonely, past_day(market, 21)), cash_cents=100)
    small_day = in_season(small, past_day(market, 14))
    large_day = in_season(large, past_day(market, 7))
    for _ in range(3):
        report(small_day, cash_cents=200)
    for _ in range(5):
        report(large_day, cash_cents=900)

    shared = shared_summary(summary_of(market))

    assert [season["suppressed_reason"] for season in shared["seasons"]] == [
        "fewer_vendors",
        "complement",
        None,
    ]
    assert [day["suppressed_reason"] for day in shared["days"]] == [
        "fewer_vendors",
        "complement",
        None,
    ]
