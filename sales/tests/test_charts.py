"""The sales charts against their data: each bar's height is proportional to its value and
its title names it; suppressed groups are absent and marked; the markup is accessible and
has no style attributes (CSP)."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.utils.formats import date_format

from marketflow.currencies import format_money
from sales import charts
from sales.selectors import sales_period, sales_summary, shared_summary
from sales.tests.factories import past_day, vendor_report

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))


def bars(root) -> list[ET.Element]:
    return root.findall(f".//{SVG}rect[@class='bar']")


def assert_proportional(root, expected: dict[tuple[str, str], int], currency: str) -> None:
    """Every bar is one expected (group, series) value, its height that value times one
    scale, and its title names the group and the value."""
    found = {(bar.get("data-group"), bar.get("data-series")): bar for bar in bars(root)}
    assert set(found) == {key for key, value in expected.items() if value}
    scales = set()
    for key, bar in found.items():
        value = expected[key]
        scales.add(round(float(bar.get("height")) / value, 6))
        title = bar.find(f"{SVG}title").text
        assert key[0] in title and format_money(value, currency) in title
    assert len(scales) == 1, scales
    # Stacked segments sit on one another: each bar's segments reach down to the axis.
    by_group = {}
    for (group, _series), bar in found.items():
        by_group.setdefault(group, []).append(bar)
    bottoms = set()
    for segments in by_group.values():
        segments.sort(key=lambda bar: float(bar.get("y")))
        for upper, lower in zip(segments, segments[1:], strict=False):
            assert float(upper.get("y")) + float(upper.get("height")) == pytest.approx(
                float(lower.get("y")), abs=0.02
            )
        bottoms.add(round(float(segments[-1].get("y")) + float(segments[-1].get("height")), 1))
    assert len(bottoms) == 1


@pytest.fixture
def summary(market):
    """Four days: 3 vendors, 4, 3 and 2 (the last hidden, and the smallest shown with it)."""
    days = [past_day(market, ago) for ago in (28, 21, 14, 7)]
    for index in range(3):
        vendor_report(days[0], cash_cents=1000 * (index + 1), snap_cents=250)
    for _ in range(4):
        vendor_report(days[1], "baked_goods", card_cents=3000, market_tokens_cents=500)
    for _ in range(3):
        vendor_report(days[2], "crafts", cash_cents=5000, incentive_cents=20)
    vendor_report(days[3], cash_cents=100)
    vendor_report(days[3], "crafts", cash_cents=100)
    return shared_summary(sales_summary(market=market, period=sales_period(market=market)))


def test_the_days_chart_stacks_each_days_currencies_to_scale(market, summary):
    root = parse(charts.days_chart(summary))

    expected = {
        (date_format(day["date"]), code): day["amounts"][code]
        for day in summary["days"]
        if not day["suppressed"]
        for code in summary["currencies"]
    }
    assert len({group for group, _code in expected}) == 2
    assert_proportional(root, expected, market.currency)


def test_the_categories_chart_draws_gross_per_category_to_scale(market, summary):
    root = parse(charts.categories_chart(summary))

    expected = {
        (category["label"], "gross"): category["gross_cents"]
        for category in summary["categories"]
        if not category["suppressed"]
    }
    assert len(expected) == 3
    assert_proportional(root, expected, market.currency)


def test_suppressed_groups_are_absent_and_marked(summary):
    root = parse(charts.days_chart(summary))
    suppressed = [day for day in summary["days"] if day["suppressed"]]

    assert len(suppressed) == 2
    drawn = {bar.get("data-group") for bar in bars(root)}
    marks = root.findall(f".//{SVG}text[@class='suppressed']")
    assert len(marks) == len(suppressed)
    for day, mark in zip(suppressed, marks, strict=True):
        assert date_format(day["date"]) not in drawn
        assert date_format(day["date"]) in mark.find(f"{SVG}title").text
    # The day of 2 vendors, then the smallest day shown, hidden with it.
    assert [day["suppressed_reason"] for day in suppressed] == ["complement", "fewer_vendors"]
    assert [mark.find(f"{SVG}title").tail for mark in marks] == ["*", "<3"]
    assert "fewer than 3 vendors" in marks[1].find(f"{SVG}title").text
    assert "give away a smaller group" in marks[0].find(f"{SVG}title").text


@pytest.mark.parametrize("chart", [charts.days_chart, charts.categories_chart])
def test_a_chart_is_a_named_image_with_a_legend_and_no_style(summary, chart):
    svg = str(chart(summary))
    root = parse(svg)

    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}desc").get("id") == desc_id
    legend = root.find(f"{SVG}g[@class='legend']")
    assert legend.findall(f"{SVG}text")
    assert "style" not in svg and "<script" not in svg


def test_the_axis_labels_are_money_up_to_a_round_top(market, summary):
    root = parse(charts.days_chart(summary))
    labels = [text.text for text in root.findall(f"{SVG}text[@class='tick']")]

    largest = max(day["gross_cents"] for day in summary["days"] if not day["suppressed"])
    top = charts.nice_top(largest, market.currency)
    assert labels == [
        format_money(top * tick // charts.TICKS, market.currency) for tick in range(5)
    ]


@pytest.mark.parametrize(
    ("largest", "currency", "top"),
    [(0, "USD", 400), (150, "USD", 400), (12_345, "USD", 20_000), (400_000, "USD", 400_000),
     (401, "JPY", 800), (7, "JPY", 8)],
)  # fmt: skip
def test_the_axis_top_is_round_and_above_the_largest_bar(largest, currency, top):
    assert charts.nice_top(largest, currency) == top


def test_a_label_cannot_break_the_svg(market):
    summary = {
        "market": market,
        "currencies": ["cash"],
        "days": [
            {
                "date": datetime.date(2026, 1, 1),
                "suppressed": False,
                "amounts": {"cash": 100},
            }
        ],
        "categories": [
            {"label": "\"><script>x</script>&'", "suppressed": False, "gross_cents": 5},
            {"label": "<b>", "suppressed": True, "suppressed_reason": "fewer_vendors"},
        ],
    }
    root = parse(charts.categories_chart(summary))
    assert bars(root)[0].get("data-group") == "\"><script>x</script>&'"
    assert root.findall(f".//{SVG}script") == []
    assert "<b>:" in root.find(f".//{SVG}text[@class='suppressed']/{SVG}title").text
