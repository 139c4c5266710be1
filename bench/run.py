"""`make bench` — what every hot path costs at platform scale, and the budgets it must hold.

    python -m bench.run [--scale 1] [--rebuild] [--iterations 200] [--http-seconds 20]
                        [--server gunicorn|granian|both]

1. The bench database (BENCH_DATABASE_URL, default
   postgres://postgres@127.0.0.1:5432/marketflow_bench) is created if missing, migrated with
   Django's migrate, and seeded through COPY unless it already holds a seed of this scale
   (kept between runs; ``--rebuild`` starts over).
2. In process: each endpoint is called through the WSGI handler; median, p95 and queries per
   request, beside its data floor (its own SQL through psycopg, rows encoded with orjson) and
   the framework floor (a constant view behind the same middleware and authentication).
3. Scale: each endpoint on the small market and on a market inside the large set.
4. Plans: EXPLAIN of every statement the endpoints ran; a sequential scan of a table of more
   than 10,000 rows is flagged.
5. Over HTTP: gunicorn or Granian (``--server``; ``both`` runs them side by side, taking
   turns per endpoint), one worker per core, wrk with 8 connections for N seconds per read
   endpoint (and the public apply POSTs): rps, p50, p99, errors, peak worker memory.
6. Settings as production gets them: persistent connections or a pool, compression once,
   cursor pagination.

Prints a table and writes bench/results.json. Budgets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DATA = BENCH_DIR / "data"

LIST_FLOOR_BUDGET = 2.5
SCALE_BUDGET = 1.2
P99_BUDGET_MS = 100.0
RUNTIME_BUDGET_S = 15 * 60
SCALE_PAGE_SIZE = 20


def log(message: str = "") -> None:
    print(message, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the full data set")
    parser.add_argument("--rebuild", action="store_true", help="drop and reseed the database")
    parser.add_argument("--iterations", type=int, default=200, help="requests per endpoint")
    parser.add_argument("--scale-iterations", type=int, default=0, help="default: iterations")
    parser.add_argument("--http-seconds", type=int, default=20)
    parser.add_argument(
        "--http-rounds",
        type=int,
        default=1,
        help="measure every endpoint over HTTP this many times, in rounds; the median counts",
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument(
        "--server",
        choices=("gunicorn", "granian", "both"),
        default="gunicorn",
        help="the HTTP server; both: each endpoint on each, in turns, with their ratio",
    )
    parser.add_argument(
        "--granian-blocking-threads",
        type=int,
        default=1,
        help="requests a Granian worker runs at once (1: as a sync gunicorn worker)",
    )
    parser.add_argument("--only", default="", help="comma-separated endpoint keys")
    parser.add_argument("--output", default=str(BENCH_DIR / "results.json"))
    return parser.parse_args(argv)


# --- setup --------------------------------------------------------------------------------


def prepare_database(args, url: str) -> tuple[object, bool]:
    import django
    import psycopg

    from bench import database, seed

    created = database.ensure_database(url, rebuild=args.rebuild, log=log)
    django.setup()
    database.migrate(log=log)
    with psycopg.connect(url) as conn:
        info = seed.load_info(conn)
    if info is not None and info.scale == args.scale and info.version == seed.SEED_VERSION:
        log(
            f"Reusing the seed of {info.seeded_at[:19]} (scale {info.scale}, took "
            f"{info.seconds:.1f} s); --rebuild seeds again."
        )
        return info, False
    if not created:
        from django.db import connections

        reason = (
            "holds no bench seed"
            if info is None
            else f"holds a seed of scale {info.scale}, version {info.version}"
        )
        log(f"The bench database {reason}: rebuilding it.")
        connections.close_all()
        database.ensure_database(url, rebuild=True, log=log)
        database.migrate(log=log)
    log(f"Seeding at scale {args.scale} through COPY:")
    with psycopg.connect(url) as conn:
        info = seed.seed(conn, scale=args.scale, log=log)
        seed.save_info(conn, info)
    log(f"Seeded in {info.seconds:.1f} s.")
    return info, True


def collect_static() -> float:
    from django.core.management import call_command

    began = time.perf_counter()
    call_command("collectstatic", interactive=False, verbosity=0)
    return time.perf_counter() - began


KEEP_SESSIONS: set[str] = set()  # the bench users' own sessions (admin and portal)


def remove_bench_writes(keep_sessions=()) -> None:
    """Delete what the bench's own writes created, so every run sees the seeded data."""
    from django.apps import apps
    from django.db import connection

    from bench.endpoints import BENCH_EMAIL_PREFIX

    with connection.cursor() as cursor:
        pattern = BENCH_EMAIL_PREFIX + "%"
        bench_applications = (
            "SELECT id FROM applications_application WHERE email LIKE %s OR vendor_id IN "
            "(SELECT id FROM vendors_vendor WHERE email LIKE %s)"
        )
        cursor.execute(
            "DELETE FROM applications_application_documents WHERE application_id IN "
            f"({bench_applications})",
            [pattern, pattern],
        )
        cursor.execute(
            f"DELETE FROM applications_application WHERE id IN ({bench_applications})",
            [pattern, pattern],
        )
        cursor.execute("DELETE FROM vendors_vendor WHERE email LIKE %s", [pattern])
        # The bench's booking pairs: a cancelled booking is kept; the seed cancels none.
        cursor.execute("DELETE FROM stalls_booking WHERE cancelled_at IS NOT NULL")
        cursor.execute(
            "DELETE FROM django_session WHERE NOT (session_key = ANY(%s))",
            [sorted(KEEP_SESSIONS | set(keep_sessions))],
        )
    for model in apps.get_models():
        if model._meta.app_label.startswith("django_tasks"):
            model.objects.all().delete()  # e-mails the applications queued


# --- in process ---------------------------------------------------------------------------


def measure_endpoint(endpoint, side, client, floor, iterations: int, marker: str) -> dict:
    """Median and p95 of the endpoint and of its data floor, interleaved so that both see
    the same machine; queries per request from one captured call."""
    from bench.measure import capture, is_transaction_control, summary

    warmup = max(3, iterations // 20)
    if endpoint.key in {"booking_create", "booking_cancel"}:
        raise ValueError("bookings are measured in pairs")
    unique = iter(range(10**9))

    def request():
        return endpoint.build(side, f"{marker}-{side.name}-{next(unique)}")

    for _ in range(warmup):
        client(request())
    captured = capture(client, request())
    result = {
        "status": captured.response.status,
        "queries": len(captured.sql),
        "sql": captured.sql,
        "bytes": len(captured.response.content),
    }
    if captured.response.status != endpoint.expect:
        result["error"] = (
            f"answered {captured.response.status}, expected {endpoint.expect}: "
            f"{captured.response.content[:300]!r}"
        )
        return result
    if endpoint.one_row is not None:
        result["queries_one_row"] = len(capture(client, endpoint.one_row(side)).sql)
    # Django records BEGIN and COMMIT too: a read replays its statements in autocommit, a
    # write keeps its savepoints and runs in one transaction that is rolled back.
    statements = [sql for sql in captured.sql if not is_transaction_control(sql)]
    if endpoint.kind == "write":
        statements = replayable_write(captured.sql)
        remove_bench_writes()
    request_times, floor_times, statuses = [], [], set()
    for index in range(iterations):
        order = (0, 1) if index % 2 else (1, 0)
        for step in order:
            if step == 0:
                response, elapsed = client.timed(request())
                statuses.add(response.status)
                request_times.append(elapsed)
            elif endpoint.kind == "write":
                floor_times.append(floor.write(statements))
            else:
                floor_times.append(floor.read(statements))
    result.update(endpoint=summary(request_times), floor=summary(floor_times))
    result["statuses"] = sorted(statuses)
    result["ratio"] = round(result["endpoint"]["median_ms"] / result["floor"]["median_ms"], 2)
    return result


def replayable_write(statements: list[str]) -> list[str]:
    """A write's statements for replay inside one transaction: savepoints kept, Django's
    recorded BEGIN / COMMIT dropped (the replay is rolled back instead)."""
    return [sql for sql in statements if sql.strip().upper() not in {"BEGIN", "COMMIT"}]


def measure_booking_pair(create, cancel, side, client, floor, iterations: int) -> dict:
    """Create a booking and cancel it, again and again; each timed on its own, each beside
    its data floor (the floor of cancel replays the create first, untimed)."""
    import orjson

    from bench.measure import capture, summary

    for _ in range(max(3, iterations // 20)):
        booking_pair(create, cancel, side, client)
    create_capture = capture(client, create.build(side, ""))
    booking_id = orjson.loads(create_capture.response.content)["id"]
    cancel_capture = capture(client, cancel.build(side, booking_id))
    remove_bench_writes()  # the floors replay the captured booking's INSERT
    created_times, cancelled_times, create_floor, cancel_floor = [], [], [], []
    for _ in range(iterations):
        created, cancelled = booking_pair(create, cancel, side, client)
        created_times.append(created)
        cancelled_times.append(cancelled)
        create_floor.append(floor.write(replayable_write(create_capture.sql)))
        cancel_floor.append(
            floor.write(
                replayable_write(cancel_capture.sql), setup=replayable_write(create_capture.sql)
            )
        )
    results = {}
    for endpoint, captured, times, floors in (
        (create, create_capture, created_times, create_floor),
        (cancel, cancel_capture, cancelled_times, cancel_floor),
    ):
        results[endpoint.key] = {
            "status": captured.response.status,
            "statuses": [captured.response.status],
            "queries": len(captured.sql),
            "sql": captured.sql,
            "bytes": len(captured.response.content),
            "endpoint": summary(times),
            "floor": summary(floors),
        }
        results[endpoint.key]["ratio"] = round(
            results[endpoint.key]["endpoint"]["median_ms"]
            / results[endpoint.key]["floor"]["median_ms"],
            2,
        )
    return results


def booking_pair(create, cancel, side, client) -> tuple[float, float]:
    """Book the side's free stall, then cancel that booking: the two timings."""
    import orjson

    response, created = client.timed(create.build(side, ""))
    if response.status != create.expect:
        raise RuntimeError(f"booking create answered {response.status}: {response.content!r}")
    booking_id = orjson.loads(response.content)["id"]
    response, cancelled = client.timed(cancel.build(side, booking_id))
    if response.status != cancel.expect:
        raise RuntimeError(f"booking cancel answered {response.status}: {response.content!r}")
    return created, cancelled


def scale_booking_pairs(create, cancel, sides, client, iterations: int) -> dict:
    """Create and cancel pairs on both markets, alternating, so both see the same machine."""
    import orjson

    from bench.measure import capture, summary

    times = {side.name: ([], []) for side in sides}
    queries = {}
    for side in sides:
        for _ in range(max(3, iterations // 20)):
            booking_pair(create, cancel, side, client)
        created = capture(client, create.build(side, ""))
        booking_id = orjson.loads(created.response.content)["id"]
        cancelled = capture(client, cancel.build(side, booking_id))
        queries[side.name] = (len(created.sql), len(cancelled.sql))
    for index in range(iterations):
        for side in sides if index % 2 else reversed(sides):
            created, cancelled = booking_pair(create, cancel, side, client)
            times[side.name][0].append(created)
            times[side.name][1].append(cancelled)
    results = {}
    for position, endpoint in enumerate((create, cancel)):
        small_ms = summary(times["small"][position])["median_ms"]
        large_ms = summary(times["large"][position])["median_ms"]
        results[endpoint.key] = {
            "small_ms": small_ms,
            "large_ms": large_ms,
            "ratio": round(large_ms / small_ms, 2),
            "queries_small": queries["small"][position],
            "queries_large": queries["large"][position],
        }
    return results


def measure_in_process(catalog, large, client, floor, iterations: int, marker: str) -> dict:
    by_key = {e.key: e for e in catalog.endpoints}
    results: dict[str, dict] = {}
    for endpoint in catalog.endpoints:
        if endpoint.skipped or endpoint.key == "booking_cancel":
            continue
        log(f"  in process: {endpoint.label}")
        if endpoint.key == "booking_create":
            results.update(
                measure_booking_pair(
                    endpoint, by_key["booking_cancel"], large, client, floor, iterations
                )
            )
        else:
            results[endpoint.key] = measure_endpoint(
                endpoint, large, client, floor, iterations, marker
            )
        if endpoint.kind == "write":
            remove_bench_writes()
    return results


def measure_scale(catalog, large, small, client, floor, iterations: int, marker: str) -> dict:
    """Each endpoint on both markets, interleaved; both answer pages of the same size."""
    from bench.measure import capture, summary

    by_key = {e.key: e for e in catalog.endpoints}
    sides = [replace(side, page_size=SCALE_PAGE_SIZE) for side in (small, large)]
    results: dict[str, dict] = {}
    for endpoint in catalog.endpoints:
        if endpoint.skipped or endpoint.kind == "floor" or endpoint.key == "booking_cancel":
            continue
        log(f"  scale: {endpoint.label}")
        if endpoint.key == "booking_create":
            results.update(
                scale_booking_pairs(endpoint, by_key["booking_cancel"], sides, client, iterations)
            )
            continue
        unique = iter(range(10**9))
        counts, times, failed = {}, {"small": [], "large": []}, ""
        for side in sides:
            for _ in range(max(3, iterations // 20)):
                client(endpoint.build(side, f"{marker}-s{side.name}-{next(unique)}"))
            captured = capture(
                client, endpoint.build(side, f"{marker}-s{side.name}-{next(unique)}")
            )
            counts[side.name] = (len(captured.sql), captured.response.status)
            if captured.response.status != endpoint.expect:
                failed = (
                    f"the {side.name} market answered {captured.response.status}, expected "
                    f"{endpoint.expect}: {captured.response.content[:200]!r}"
                )
        if failed:
            results[endpoint.key] = {"error": failed}
            continue
        for index in range(iterations):
            for side in sides if index % 2 else reversed(sides):
                request = endpoint.build(side, f"{marker}-s{side.name}-{next(unique)}")
                times[side.name].append(client.timed(request)[1])
        small_ms = summary(times["small"])["median_ms"]
        large_ms = summary(times["large"])["median_ms"]
        results[endpoint.key] = {
            "small_ms": small_ms,
            "large_ms": large_ms,
            "ratio": round(large_ms / small_ms, 2),
            "queries_small": counts["small"][0],
            "queries_large": counts["large"][0],
            "status_small": counts["small"][1],
            "status_large": counts["large"][1],
        }
        if endpoint.kind == "write":
            remove_bench_writes()
    return results


# --- plans --------------------------------------------------------------------------------


def explain_all(url: str, in_process: dict, catalog) -> dict:
    import psycopg

    from bench.measure import explain, explainable, table_rows

    labels = {e.key: e for e in catalog.endpoints}
    plans, flagged = [], []
    with psycopg.connect(url, autocommit=True) as conn:
        rows = table_rows(conn)
        seen = set()
        for key, result in in_process.items():
            for sql in result.get("sql", []):
                if not explainable(sql) or (key, sql) in seen:
                    continue
                seen.add((key, sql))
                plan = explain(conn, sql, rows)
                plan["endpoint"] = key
                plan["list_endpoint"] = labels[key].is_list
                plans.append(plan)
                if plan["seq_scans"]:
                    flagged.append(plan)
    big_tables = {name: count for name, count in rows.items() if count > 10_000}
    return {"statements": plans, "flagged": flagged, "big_tables": big_tables}


# --- over HTTP ----------------------------------------------------------------------------


def measure_http(catalog, large, args, marker: str) -> dict:
    from bench import http_load

    if not http_load.wrk_available():
        return {"skipped": "wrk is not installed (apt-get install -y wrk)"}
    workers = os.cpu_count() or 1
    names = ["gunicorn", "granian"] if args.server == "both" else [args.server]
    results: dict[str, object] = {"workers": workers, "connections": args.connections}
    endpoints = [e for e in catalog.measured() if e.http and (e.kind != "write" or e.http_unique)]
    endpoints.sort(key=lambda e: e.kind == "write")  # writes last: they add rows
    env = http_load.server_env()
    options = {"granian": {"blocking_threads": args.granian_blocking_threads}}
    with contextlib.ExitStack() as stack:
        servers = {
            name: stack.enter_context(
                http_load.SERVERS[name](workers=workers, env=env, **options.get(name, {}))
            )
            for name in names
        }
        results["servers"] = {
            name: {"command": server.command(), "per_endpoint": {}}
            for name, server in servers.items()
        }
        rounds: dict = {name: {endpoint.key: [] for endpoint in endpoints} for name in names}
        # Rounds (every endpoint once, then again): a burst of load from elsewhere on the
        # machine spoils one round of an endpoint, not all of them, and the median drops it.
        for round_ in range(args.http_rounds):
            for index, endpoint in enumerate(endpoints):
                # With both servers, they take turns going first: neither always follows.
                for name in names if (index + round_) % 2 == 0 else names[::-1]:
                    rounds[name][endpoint.key].append(
                        http_endpoint(
                            servers[name], endpoint, large, args, f"{marker}-{name}-r{round_}"
                        )
                    )
        for name in names:
            for key, outcomes in rounds[name].items():
                results["servers"][name]["per_endpoint"][key] = median_outcome(outcomes)
        # The stall list probes compression even when --only left it out of the run.
        from bench.endpoints import build_catalog

        probe = next(e for e in build_catalog().endpoints if e.key == "stall_list")
        api = probe.build(large, "")
        for name, server in servers.items():
            results["servers"][name]["compression"] = http_load.compression_check(
                server, api, static_probe()
            )
            results["servers"][name]["worker_peak_rss_mib"] = round(server.peak_rss_kib() / 1024, 1)
    if len(names) == 2:
        results["comparison"] = compare_servers(*(results["servers"][n] for n in names))
    return results


def median_outcome(outcomes: list[dict]) -> dict:
    """One endpoint's rounds as one result: the round of median throughput, with the median
    p99 of all rounds and every round's figures under ``rounds``."""
    if len(outcomes) == 1 or any("error" in outcome for outcome in outcomes):
        return outcomes[0] if len(outcomes) == 1 else {**outcomes[0], "rounds": outcomes}
    result = dict(sorted(outcomes, key=lambda outcome: outcome["rps"])[len(outcomes) // 2])
    result["p99_ms"] = statistics.median(outcome["p99_ms"] for outcome in outcomes)
    result["errors"] = sum(outcome["errors"] for outcome in outcomes)
    result["rounds"] = [
        {key: outcome[key] for key in ("rps", "p50_ms", "p99_ms", "errors", "load_average")}
        for outcome in outcomes
    ]
    return result


def http_endpoint(server, endpoint, large, args, marker: str) -> dict:
    """wrk against one endpoint on one server (`marker` keeps each run's e-mails unique)."""
    from bench import http_load

    probe = endpoint.build(large, f"{marker}-{endpoint.key}-probe")
    status, _headers, body = server.fetch(probe)
    if status != endpoint.expect:
        return {"error": f"answered {status}, expected {endpoint.expect}: {body[:200]!r}"}
    log(f"  http ({server.name}): {endpoint.label} ({args.http_seconds} s)")
    run_id = f"{marker}-{endpoint.key}"
    outcome = http_load.run_wrk(
        server,
        endpoint.build(large, "__N__"),
        unique=endpoint.http_unique,
        seconds=args.http_seconds,
        connections=args.connections,
        threads=min(2, args.connections),
        run_id=run_id,
        name=endpoint.key,
    )
    outcome["load_average"] = load_average()
    if endpoint.http_unique:
        # A form answering 200 with an error is no error to wrk: count what was stored.
        stored = applications_stored(run_id)
        outcome["stored"] = stored
        outcome["not_stored"] = max(0, outcome["requests"] - stored)
        outcome["errors"] += outcome["not_stored"]
    return outcome


def compare_servers(base: dict, other: dict) -> dict:
    """The second server's rps and p99 over the first's, per endpoint both answered, and
    their geometric means."""
    per_endpoint = {}
    for key, first in base["per_endpoint"].items():
        second = other["per_endpoint"].get(key, {})
        if "error" in first or "error" in second or not second or not first["rps"]:
            continue
        per_endpoint[key] = {
            "rps": round(second["rps"] / first["rps"], 2),
            "p99": round(second["p99_ms"] / first["p99_ms"], 2),
        }
    means = {
        f"{name}_geomean": round(
            statistics.geometric_mean(r[name] for r in per_endpoint.values()), 2
        )
        for name in ("rps", "p99")
        if per_endpoint
    }
    return {"per_endpoint": per_endpoint, **means}


def applications_stored(run_id: str) -> int:
    from django.db import connection

    from bench.endpoints import BENCH_EMAIL_PREFIX

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM applications_application WHERE email LIKE %s",
            [f"{BENCH_EMAIL_PREFIX}{run_id}-%"],
        )
        return cursor.fetchone()[0]


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def static_probe() -> str | None:
    from django.conf import settings

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return None
    paths = json.loads(manifest.read_text()).get("paths", {})
    for name in paths:
        if name.endswith(".css"):
            return "/" + settings.STATIC_URL.strip("/") + "/" + paths[name]
    return None


# --- settings -----------------------------------------------------------------------------

SETTINGS_PROBE = """
import json, marketflow.settings as s
db = s.DATABASES["default"]
print(json.dumps({
    "conn_max_age": db.get("CONN_MAX_AGE"),
    "conn_health_checks": db.get("CONN_HEALTH_CHECKS"),
    "pool": bool(db.get("OPTIONS", {}).get("pool")),
    "middleware": s.MIDDLEWARE,
    "staticfiles_storage": s.STORAGES["staticfiles"]["BACKEND"],
    "pagination": s.REST_FRAMEWORK.get("DEFAULT_PAGINATION_CLASS"),
    "debug": s.DEBUG,
}))
"""


def check_settings(url: str) -> dict:
    """Production settings as a deployment gets them: only the required variables set."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SECRET_KEY": "settings-probe",
        "DATABASE_URL": url,
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE], env=env, cwd=REPO, capture_output=True, text=True
    )
    if done.returncode:
        return {"error": done.stderr[-500:]}
    found = json.loads(done.stdout)
    from django.utils.module_loading import import_string
    from rest_framework.pagination import CursorPagination

    pagination = found["pagination"]
    found["keeps_connections"] = (
        bool(found["pool"])
        or found["conn_max_age"] in (None,)
        or (isinstance(found["conn_max_age"], int) and found["conn_max_age"] > 0)
    )
    gzip_layers = [m for m in found["middleware"] if m.endswith("GZipMiddleware")]
    found["gzip_middleware_layers"] = len(gzip_layers)
    found["cursor_pagination"] = bool(pagination) and issubclass(
        import_string(pagination), CursorPagination
    )
    return found


# --- budgets and report -------------------------------------------------------------------


def evaluate_budgets(report: dict, catalog) -> list[dict]:
    budgets = []
    labels = {e.key: e for e in catalog.endpoints}

    def add(name: str, subject: str, holds: bool | None, detail: str) -> None:
        budgets.append({"budget": name, "subject": subject, "holds": holds, "detail": detail})

    for key, result in report["in_process"].items():
        endpoint = labels[key]
        if "error" in result:
            add("endpoint answers", key, False, result["error"])
            continue
        if endpoint.is_list:
            add(f"list within {LIST_FLOOR_BUDGET}x its data floor", key,
                result["ratio"] <= LIST_FLOOR_BUDGET, f"{result['ratio']}x")  # fmt: skip
            if "queries_one_row" in result:
                detail = f"{result['queries_one_row']} at 1 row, {result['queries']} at a page"
                same = result["queries_one_row"] == result["queries"]
                add("queries independent of rows", key, same, detail)
    for key, result in report["scale"].items():
        if "error" in result:
            add(f"large within {SCALE_BUDGET}x small", key, False, result["error"])
            continue
        add(f"large within {SCALE_BUDGET}x small", key, result["ratio"] <= SCALE_BUDGET,
            f"{result['ratio']}x ({result['small_ms']} -> {result['large_ms']} ms)")  # fmt: skip
        if result["queries_small"] != result["queries_large"]:
            add("same queries on small and large", key, False,
                f"{result['queries_small']} vs {result['queries_large']}")  # fmt: skip
    http = report.get("http", {})
    servers = http.get("servers", {})
    for name, server in servers.items():
        for key, result in server["per_endpoint"].items():
            subject = key if len(servers) == 1 else f"{key} ({name})"
            if labels[key].kind == "write":
                continue
            if "error" in result:
                add(f"p99 < {P99_BUDGET_MS:g} ms, no errors", subject, False, result["error"])
                continue
            holds = result["p99_ms"] < P99_BUDGET_MS and result["errors"] == 0
            add(f"p99 < {P99_BUDGET_MS:g} ms, no errors", subject, holds,
                f"p99 {result['p99_ms']} ms, {result['errors']} errors")  # fmt: skip
    flagged = report["plans"]["flagged"]
    add("no seq scan of a table > 10,000 rows", "plans", not flagged,
        f"{len(flagged)} statements flagged of {len(report['plans']['statements'])}")  # fmt: skip
    settings = report["settings"]
    if "error" not in settings:
        add("production keeps DB connections", "settings", settings["keeps_connections"],
            f"CONN_MAX_AGE={settings['conn_max_age']}, pool={settings['pool']}")  # fmt: skip
        compression = {
            (f"{k} ({name})" if len(servers) > 1 else k): v
            for name, server in servers.items()
            for k, v in server["compression"].items()
        }
        twice = any(c["compressed_twice"] for c in compression.values())
        add("compress nothing twice", "settings",
            settings["gzip_middleware_layers"] <= 1 and not twice,
            f"GZipMiddleware x{settings['gzip_middleware_layers']}, "
            + ", ".join(f"{k}: {v['content_encoding'] or 'identity'}"
                        for k, v in compression.items()))  # fmt: skip
        add("unbounded lists use cursor pagination", "settings", settings["cursor_pagination"],
            settings["pagination"] or "none")  # fmt: skip
    runtime = report["meta"]["total_seconds"]
    fresh = (
        report["meta"]["seeded_this_run"]
        and report["meta"]["scale"] == 1.0
        and any(server["per_endpoint"] for server in servers.values())
    )
    add("make bench < 15 min on a fresh database", "runtime",
        runtime < RUNTIME_BUDGET_S if fresh else None,
        f"{runtime:.0f} s" + ("" if fresh else " (not a fresh full-scale run)"))  # fmt: skip
    return budgets


def render(report: dict, catalog) -> str:
    lines = []
    out = lines.append
    meta = report["meta"]
    out("")
    out(f"Marketflow bench — scale {meta['scale']}, {meta['counts']}")
    seeded = "this run" if meta["seeded_this_run"] else "reused"
    out(f"seed {meta['seed_seconds']:.1f} s ({seeded}); total {meta['total_seconds']:.0f} s; "
        f"commit {meta['commit']}; load average {meta['load_average_start']} -> "
        f"{meta['load_average_end']} on {meta['cpus']} CPUs")  # fmt: skip
    out("")
    out("In process (WSGI handler called directly), large-set market:")
    header = (f"{'endpoint':<48} {'q/req':>5} {'q@1':>4} {'median':>8} {'p95':>8} "
              f"{'floor':>7} {'ratio':>6} {'bound':>6}")  # fmt: skip
    out(header)
    out("-" * len(header))
    for endpoint in catalog.endpoints:
        result = report["in_process"].get(endpoint.key)
        if endpoint.skipped:
            out(f"{endpoint.label:<48} skipped: {endpoint.skipped}")
            continue
        if result is None:
            continue
        if "error" in result:
            out(f"{endpoint.label:<48} ERROR {result['error'][:80]}")
            continue
        one = result.get("queries_one_row", "")
        mark = ""
        if endpoint.is_list:
            mark = " ok" if result["ratio"] <= LIST_FLOOR_BUDGET else " OVER"
        ratio = f"{result['ratio']:>5.1f}x" if result["queries"] else "     -"
        bound = result.get("framework_bound_ratio")
        bound = f"{bound:>5.1f}x" if bound else "     -"
        out(f"{endpoint.label:<48} {result['queries']:>5} {one!s:>4} "
            f"{result['endpoint']['median_ms']:>6.2f}ms {result['endpoint']['p95_ms']:>6.2f}ms "
            f"{result['floor']['median_ms']:>5.2f}ms {ratio} {bound}{mark}")  # fmt: skip
    out("(floor = the endpoint's own SQL through psycopg + orjson; a write's floor excludes "
        "its commit;")  # fmt: skip
    out(" bound = the best ratio the framework allows: the API floor's overhead + the SQL)")
    out("")
    out(f"Scale: small market vs a market inside the large set (page_size={SCALE_PAGE_SIZE}):")
    header = f"{'endpoint':<48} {'small':>8} {'large':>8} {'ratio':>6} {'queries':>9}"
    out(header)
    out("-" * len(header))
    for endpoint in catalog.endpoints:
        result = report["scale"].get(endpoint.key)
        if not result:
            continue
        if "error" in result:
            out(f"{endpoint.label:<48} ERROR {result['error'][:80]}")
            continue
        mark = " ok" if result["ratio"] <= SCALE_BUDGET else " OVER"
        out(f"{endpoint.label:<48} {result['small_ms']:>6.2f}ms {result['large_ms']:>6.2f}ms "
            f"{result['ratio']:>5.2f}x {result['queries_small']:>4}/{result['queries_large']:<4}"
            f"{mark}")  # fmt: skip
    out("")
    http = report.get("http", {})
    if "skipped" in http:
        out(f"HTTP: skipped ({http['skipped']})")
    elif http:
        names = list(http["servers"])
        out(f"HTTP: {' and '.join(names)}, x{http['workers']} workers, wrk "
            f"{http['connections']} connections, {report['meta']['http_seconds']} s each, "
            f"median of {report['meta'].get('http_rounds', 1)} round(s), loopback:")  # fmt: skip
        header = (f"{'endpoint':<48} {'server':<8} {'rps':>7} {'p50':>8} {'p99':>8} "
                  f"{'errors':>6} {'peak RSS':>9}")  # fmt: skip
        if len(names) == 2:
            header += f"    {names[1]}/{names[0]}"
        out(header)
        out("-" * len(header))
        comparison = http.get("comparison", {})
        for endpoint in catalog.endpoints:
            for position, name in enumerate(names):
                result = http["servers"][name]["per_endpoint"].get(endpoint.key)
                if not result:
                    continue
                label = endpoint.label if position == 0 else ""
                if "error" in result:
                    out(f"{label:<48} {name:<8} ERROR {result['error'][:80]}")
                    continue
                mark = ""
                if endpoint.kind != "write":
                    ok = result["p99_ms"] < P99_BUDGET_MS and result["errors"] == 0
                    mark = " ok  " if ok else " OVER"
                ratio = comparison.get("per_endpoint", {}).get(endpoint.key)
                if position == 1 and ratio:
                    mark = f"{mark:<5} rps {ratio['rps']:.2f}x, p99 {ratio['p99']:.2f}x"
                out(f"{label:<48} {name:<8} {result['rps']:>7.0f} {result['p50_ms']:>6.1f}ms "
                    f"{result['p99_ms']:>6.1f}ms {result['errors']:>6} "
                    f"{result['worker_peak_rss_mib']:>6.1f}MiB{mark}".rstrip())  # fmt: skip
        if comparison.get("per_endpoint"):
            out(f"{names[1]}/{names[0]}, geometric mean over "
                f"{len(comparison['per_endpoint'])} endpoints: rps {comparison['rps_geomean']}x, "
                f"p99 {comparison['p99_geomean']}x")  # fmt: skip
    out("")
    plans = report["plans"]
    out(f"Plans: {len(plans['statements'])} statements explained; tables over 10,000 rows: "
        + ", ".join(f"{k} ({v:,})" for k, v in sorted(plans["big_tables"].items())))  # fmt: skip
    for plan in plans["flagged"]:
        scans = ", ".join(f"{s['table']} ({s['rows']:,} rows)" for s in plan["seq_scans"])
        out(f"  SEQ SCAN in {plan['endpoint']}: {scans}: {plan['sql'][:120]}")
    out("")
    out("Budgets:")
    for budget in report["budgets"]:
        verdict = {True: "holds", False: "FAILS", None: "n/a"}[budget["holds"]]
        out(f"  {verdict:<6} {budget['budget']:<42} {budget['subject']:<22} {budget['detail']}")
    return "\n".join(lines)


def add_framework_bounds(in_process: dict) -> None:
    """The best ratio the framework allows: a constant DRF view with token auth (the API
    floor) costs more than its one query; an endpoint pays that plus its own SQL at least."""
    floor = in_process.get("floor_api")
    if not floor or "error" in floor:
        return
    overhead = floor["endpoint"]["median_ms"] - floor["floor"]["median_ms"]
    for result in in_process.values():
        if "error" in result or not result.get("queries"):
            continue
        data_ms = result["floor"]["median_ms"]
        result["framework_bound_ratio"] = round((overhead + data_ms) / data_ms, 2)


def secrets_of(info, *sides) -> list[tuple[str, str]]:
    found = [(info.organizer_token, "<organizer-token>"), (info.vendor_token, "<vendor-token>"),
             (info.small_organizer_token, "<organizer-token>"),
             (info.small_vendor_token, "<vendor-token>")]  # fmt: skip
    for side in sides:
        found += [(side.organizer_session, "<session>"), (side.vendor_session, "<session>"),
                  (side.csrf_cookie, "<csrf>"), (side.csrf_token, "<csrf>")]  # fmt: skip
    return [(secret, name) for secret, name in found if secret]


def git_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO,
                               capture_output=True, text=True).stdout.strip()  # fmt: skip
        return head + ("+dirty" if dirty else "")
    except OSError:
        return "unknown"


def main(argv=None) -> int:
    began = time.perf_counter()
    load_at_start = round(os.getloadavg()[0], 2)
    args = parse_args(argv)
    sys.path.insert(0, str(REPO))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    from bench.database import bench_url, check_loopback

    url = bench_url()
    os.environ["BENCH_DATABASE_URL"] = url
    check_loopback(url)
    DATA.mkdir(exist_ok=True)
    info, seeded = prepare_database(args, url)

    from bench.endpoints import build_catalog, prepare_sides, unique_marker
    from bench.measure import DataFloor, WsgiClient

    static_seconds = collect_static()
    log(f"collectstatic: {static_seconds:.1f} s")
    client = WsgiClient()
    catalog = build_catalog()
    if args.only:
        wanted = set(args.only.split(","))
        if "booking_create" in wanted or "booking_cancel" in wanted:
            wanted |= {"booking_create", "booking_cancel"}
        catalog.endpoints = [e for e in catalog.endpoints if e.key in wanted]
    for endpoint in catalog.endpoints:
        if endpoint.skipped:
            log(f"  skipped: {endpoint.label}: {endpoint.skipped}")
    large, small = prepare_sides(info, client)
    KEEP_SESSIONS.update(
        (large.organizer_session, large.vendor_session, small.organizer_session,
         small.vendor_session)
    )  # fmt: skip
    remove_bench_writes()
    marker = unique_marker()
    floor = DataFloor(url)
    try:
        log("Measuring in process:")
        in_process = measure_in_process(catalog, large, client, floor, args.iterations, marker)
        log("Measuring scale:")
        scale = measure_scale(
            catalog, large, small, client, floor, args.scale_iterations or args.iterations, marker
        )
    finally:
        floor.close()
        remove_bench_writes()
    log("Explaining plans.")
    plans = explain_all(url, in_process, catalog)
    from django.db import connections

    connections.close_all()
    http = {}
    if not args.skip_http:
        log("Measuring over HTTP:")
        try:
            http = measure_http(catalog, large, args, marker)
        finally:
            remove_bench_writes()
    settings = check_settings(url)
    report = {
        "meta": {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": git_commit(),
            "scale": info.scale,
            "counts": info.counts,
            "seed_seconds": info.seconds,
            "seed_steps": info.steps,
            "seeded_this_run": seeded,
            "iterations": args.iterations,
            "http_seconds": args.http_seconds,
            "http_rounds": args.http_rounds,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            # Other work on the machine moves every timing: the 1-minute load average.
            "load_average_start": load_at_start,
            "load_average_end": load_average(),
            "total_seconds": 0.0,
        },
        "in_process": in_process,
        "scale": scale,
        "plans": plans,
        "http": http,
        "settings": settings,
        "skipped": {e.key: e.skipped for e in catalog.endpoints if e.skipped},
    }
    add_framework_bounds(in_process)
    report["meta"]["total_seconds"] = round(time.perf_counter() - began, 1)
    report["budgets"] = evaluate_budgets(report, catalog)
    log(render(report, catalog))
    text = json.dumps(report, indent=2, default=str) + "\n"
    for secret, name in secrets_of(info, large, small):
        text = text.replace(secret, name)  # the bench's own tokens and sessions, not committed
    Path(args.output).write_text(text)
    log(f"\nWrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
