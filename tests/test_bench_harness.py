"""`make bench` at a tiny scale: the seeder keeps every rule, the measurements and the plan
checks run. Timings are never asserted here; the harness reports them."""

import gc
import runpy
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from bench import seed
from bench.endpoints import Side, build_catalog
from bench.http_load import SERVERS, Granian, Gunicorn
from bench.measure import DataFloor, WsgiClient, capture, explain, seq_scans, table_rows
from bench.run import compare_servers, measure_endpoint, median_outcome, parse_args

TINY = 0.001  # 2 markets of the large set, 200 vendors, 1,000 bookings, plus the small market


def database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def seeded(transactional_db):
    """The tiny data set, committed, so that the floors' own connections see it."""
    connection.ensure_connection()
    info = seed.seed(connection.connection, scale=TINY, log=lambda *args: None)
    return info


def count(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def test_seed_loads_the_counts_of_its_scale(seeded):
    expected = seed.Counts.for_scale(TINY)
    assert seeded.counts == {
        "markets": expected.markets,
        "stalls": expected.stalls,
        "vendors": expected.vendors,
        "applications": expected.applications,
        "market_days": expected.market_days,
        "bookings": expected.bookings,
    }
    small = sum(number for _status, number in seed.SMALL_STATUS_LAYOUT)
    assert count("SELECT count(*) FROM marketflow_market") == expected.markets + 1
    assert count("SELECT count(*) FROM vendors_vendor") == expected.vendors + small
    assert count("SELECT count(*) FROM applications_application") == (expected.applications + small)
    small_bookings = (seed.SMALL_DAYS_PAST + seed.SMALL_DAYS_TO_COME) * (
        seed.SMALL_BOOKINGS_PER_DAY
    )
    assert count("SELECT count(*) FROM stalls_booking") == expected.bookings + small_bookings


def test_seed_keeps_the_domain_rules(seeded):
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT status FROM applications_application")
        statuses = {row[0] for row in cursor.fetchall()}
    assert statuses == {"pending", "accepted", "rejected", "waitlisted", "withdrawn"}
    for rule, sql in seed.VERIFY_QUERIES.items():
        assert count(sql) == 0, rule
    assert (
        count(
            "SELECT count(*) FROM (SELECT vendor_id, market_id FROM applications_application "
            "WHERE status IN ('pending', 'waitlisted', 'accepted') "
            "GROUP BY 1, 2 HAVING count(*) > 1) AS doubles"
        )
        == 0
    )
    # Ids are UUIDv7: version nibble 7.
    assert count("SELECT count(*) FROM stalls_booking WHERE substr(id::text, 15, 1) <> '7'") == 0


def test_seed_reports_sales_of_past_bookings_only(seeded):
    reports = count("SELECT count(*) FROM sales_salesreport")
    past = count(
        "SELECT count(*) FROM stalls_booking b JOIN marketflow_marketday d "
        "ON d.id = b.market_day_id WHERE d.date < CURRENT_DATE"
    )
    assert past * 0.7 < reports < past  # about four in five, by each booking's hash
    assert (
        count(
            "SELECT count(*) FROM sales_salesreport r JOIN stalls_booking b ON b.id = r.booking_id "
            "JOIN marketflow_marketday d ON d.id = b.market_day_id "
            "WHERE d.date >= CURRENT_DATE OR r.market_id <> d.market_id "
            "OR r.vendor_id <> b.vendor_id OR r.market_day_id <> b.market_day_id"
        )
        == 0
    )
    # Every currency occurs, and the ids are UUIDv7 like the rest.
    for column in ("cash", "card", "snap", "wic", "market_tokens", "incentive"):
        assert count(f"SELECT count(*) FROM sales_salesreport WHERE {column}_cents > 0") > 0
    assert count("SELECT count(*) FROM sales_salesreport WHERE substr(id::text, 15, 1) <> '7'") == 0
    assert count("SELECT count(DISTINCT id) FROM sales_salesreport") == reports


def test_verify_refuses_a_booking_of_a_vendor_not_accepted(seeded):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE applications_application SET status = 'rejected' WHERE id = ("
            "SELECT a.id FROM applications_application a JOIN stalls_booking b "
            "ON b.vendor_id = a.vendor_id JOIN marketflow_marketday d ON d.id = b.market_day_id "
            "AND d.market_id = a.market_id WHERE a.status = 'accepted' LIMIT 1)"
        )
    with pytest.raises(AssertionError, match="not accepted"):
        seed.verify(connection.connection)


def test_an_endpoint_is_measured_beside_its_data_floor(seeded):
    stall_list = next(e for e in build_catalog().endpoints if e.key == "stall_list")
    side = Side(
        "large", seeded.market_id, seeded.market_slug, seeded.organizer_token,
        seeded.organizer_email, seeded.vendor_token, seeded.vendor_email,
    )  # fmt: skip
    floor = DataFloor(database_url())
    try:
        result = measure_endpoint(stall_list, side, WsgiClient(), floor, 4, "test")
    finally:
        floor.close()
    assert "error" not in result, result.get("error")
    assert result["status"] == 200
    assert result["queries"] == result["queries_one_row"] == 2  # the token, then the page
    assert result["endpoint"]["n"] == result["floor"]["n"] == 4
    assert result["ratio"] > 0


@pytest.mark.parametrize("key", ["sales_summary_api", "sales_summary_csv"])
def test_the_sales_summary_is_measured_beside_its_floor(seeded, key):
    """Its SQL sums integers, which PostgreSQL answers as numeric: the floor encodes them."""
    endpoint = next(e for e in build_catalog().endpoints if e.key == key)
    side = Side(
        "large", seeded.market_id, seeded.market_slug, seeded.organizer_token,
        seeded.organizer_email, seeded.vendor_token, seeded.vendor_email,
    )  # fmt: skip
    floor = DataFloor(database_url())
    try:
        result = measure_endpoint(endpoint, side, WsgiClient(), floor, 2, "test")
    finally:
        floor.close()
    assert "error" not in result, result.get("error")
    assert result["status"] == 200
    # The token, the market; the days, seasons and categories; a day of 1 or 2
    # vendors (the tiny seed has some) adds who reported on it.
    assert result["queries"] in (5, 6)
    assert result["floor"]["n"] == 2


def test_the_sales_endpoints_are_in_the_catalog():
    keys = {e.key: e for e in build_catalog().endpoints}
    for key in ("sales_summary_api", "sales_summary_csv", "sales_reports_api", "admin_sales"):
        assert not keys[key].skipped, key
    assert not keys["public_directory_api"].skipped and not keys["public_directory_page"].skipped


def test_plans_flag_a_sequential_scan_of_a_big_table(seeded):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE stalls_booking")
    conn = connection.connection
    rows = table_rows(conn)
    assert rows["stalls_booking"] > 1_000
    scan = explain(conn, "SELECT * FROM stalls_booking WHERE fee_cents = 1", rows, limit=1_000)
    assert scan["seq_scans"] == [{"table": "stalls_booking", "rows": rows["stalls_booking"]}]
    assert explain(conn, "SELECT 1", rows, limit=1_000)["seq_scans"] == []


def test_seq_scans_ignore_small_tables_and_index_scans():
    plan = {
        "Node Type": "Nested Loop",
        "Plans": [
            {"Node Type": "Seq Scan", "Relation Name": "marketflow_market"},
            {"Node Type": "Index Scan", "Relation Name": "stalls_booking", "Index Name": "x"},
        ],
    }
    rows = {"marketflow_market": 2_000, "stalls_booking": 1_000_000}
    assert seq_scans(plan, rows) == []
    rows["marketflow_market"] = 20_000
    assert seq_scans(plan, rows) == [{"table": "marketflow_market", "rows": 20_000}]


def test_captured_sql_replays_through_psycopg(seeded):
    side_market = seeded.market_id
    request = next(e for e in build_catalog().endpoints if e.key == "public_market_api").build(
        Side("large", side_market, "", "", "", "", ""), ""
    )
    captured = capture(WsgiClient(), request)
    assert captured.response.status == 200
    floor = DataFloor(database_url())
    try:
        assert floor.read(captured.sql) > 0
    finally:
        floor.close()


def test_the_server_is_gunicorn_unless_asked():
    assert parse_args([]).server == "gunicorn"
    assert parse_args(["--server", "both"]).server == "both"
    assert parse_args(["--server", "granian"]).granian_blocking_threads == 1
    with pytest.raises(SystemExit):
        parse_args(["--server", "uvicorn"])


def test_granian_is_started_like_gunicorn():
    granian = Granian(workers=2, env={})
    assert Path(granian.command()[0]).name == "granian"
    assert granian.command()[1:] == [
        "--interface", "wsgi", "bench.granian_wsgi:application",
        "--host", "127.0.0.1", "--port", str(granian.port),
        "--workers", "2",
        "--blocking-threads", "1",
        "--backlog", "2048",
        "--http", "1",
        "--no-ws",
        "--log-level", "warning",
    ]  # fmt: skip
    threaded = Granian(workers=2, env={}, blocking_threads=8).command()
    assert threaded[threaded.index("--blocking-threads") + 1] == "8"
    assert {"gunicorn": Gunicorn, "granian": Granian} == SERVERS


def test_granians_target_freezes_what_it_loaded():
    try:
        gc.unfreeze()
        target = runpy.run_module("bench.granian_wsgi")
        assert callable(target["application"])
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_two_servers_are_compared_endpoint_by_endpoint():
    def run(rps, p99):
        return {"rps": rps, "p99_ms": p99}

    gunicorn = {"per_endpoint": {"a": run(100, 10), "b": run(200, 20), "c": {"error": "500"}}}
    granian = {"per_endpoint": {"a": run(200, 5), "b": run(400, 40), "c": run(1, 1)}}
    assert compare_servers(gunicorn, granian) == {
        "per_endpoint": {"a": {"rps": 2.0, "p99": 0.5}, "b": {"rps": 2.0, "p99": 2.0}},
        "rps_geomean": 2.0,
        "p99_geomean": 1.0,
    }


def test_rounds_keep_the_median_round_and_the_median_p99():
    def run(rps, p99, errors=0):
        return {"rps": rps, "p50_ms": 1, "p99_ms": p99, "errors": errors, "load_average": 1}

    result = median_outcome([run(300, 9), run(100, 40, errors=1), run(200, 12)])
    assert result["rps"] == 200 and result["p99_ms"] == 12 and result["errors"] == 1
    assert [r["rps"] for r in result["rounds"]] == [300, 100, 200]
    assert median_outcome([run(5, 5)]) == run(5, 5)
    assert parse_args(["--http-rounds", "3"]).http_rounds == 3
