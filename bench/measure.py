"""In-process measurement: the WSGI application called directly, its SQL replayed as floors.

- ``WsgiClient`` builds a WSGI environ and calls Django's handler: no network, no test client,
  the real middleware, authentication and renderers.
- ``capture`` runs one request under ``CaptureQueriesContext`` and keeps its SQL.
- ``DataFloor`` replays that SQL straight through psycopg (rows as dicts, encoded with
  orjson): what the endpoint would cost if Python added nothing but the bytes.
- ``explain`` asks PostgreSQL for each captured statement's plan and flags sequential scans
  of big tables.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from dataclasses import dataclass, field

import orjson
import psycopg
from psycopg.rows import dict_row

SEQ_SCAN_ROW_LIMIT = 10_000


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    content: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def cookies(self) -> dict[str, str]:
        jar = {}
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                name, _, cookie = pair.partition("=")
                jar[name.strip()] = cookie.strip()
        return jar


@dataclass
class Request:
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # WSGI keys: HTTP_AUTHORIZATION
    body: bytes = b""
    content_type: str = ""


class WsgiClient:
    """Calls the WSGI application the way gunicorn does, minus the socket."""

    def __init__(self, application=None):
        if application is None:
            from django.core.handlers.wsgi import WSGIHandler

            application = WSGIHandler()
        self.application = application

    def environ(self, request: Request) -> dict:
        environ = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": request.path,
            "QUERY_STRING": request.query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_ACCEPT": "application/json, text/html",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(request.body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if request.body or request.method in {"POST", "PUT", "PATCH"}:
            environ["CONTENT_LENGTH"] = str(len(request.body))
            environ["CONTENT_TYPE"] = request.content_type
        environ.update(request.headers)
        return environ

    def __call__(self, request: Request) -> Response:
        started: list = []

        def start_response(status, headers, exc_info=None):
            started.append((status, headers))

        result = self.application(self.environ(request), start_response)
        try:
            content = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()  # request_finished: connection housekeeping, as under gunicorn
        status, headers = started[0]
        return Response(int(status[:3]), list(headers), content)

    def timed(self, request: Request) -> tuple[Response, float]:
        began = time.perf_counter()
        response = self(request)
        return response, time.perf_counter() - began


@dataclass
class Captured:
    response: Response
    sql: list[str]


def capture(client: WsgiClient, request: Request) -> Captured:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        response = client(request)
    return Captured(response, [query["sql"] for query in context.captured_queries])


def is_transaction_control(sql: str) -> bool:
    head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    return head in {"SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"}


class DataFloor:
    """The endpoint's own SQL, straight through psycopg, rows encoded with orjson."""

    def __init__(self, url: str):
        self.reads = psycopg.connect(url, autocommit=True, row_factory=dict_row)
        self.writes = psycopg.connect(url, autocommit=False, row_factory=dict_row)

    def close(self) -> None:
        self.reads.close()
        self.writes.close()

    @staticmethod
    def _run(conn, statements: list[str]) -> bytes:
        results = []
        with conn.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                if cursor.description is not None:
                    results.append(cursor.fetchall())
        # SUM of integers is numeric in PostgreSQL: psycopg reads it as a Decimal.
        return orjson.dumps(results, default=str)

    def read(self, statements: list[str]) -> float:
        began = time.perf_counter()
        self._run(self.reads, statements)
        return time.perf_counter() - began

    def write(self, statements: list[str], setup: list[str] | None = None) -> float:
        """Replay a write inside a transaction that is rolled back afterwards (untimed), so
        the floor of a write excludes its commit; ``setup`` runs first, untimed."""
        try:
            if setup:
                self._run(self.writes, setup)
            began = time.perf_counter()
            self._run(self.writes, statements)
            return time.perf_counter() - began
        finally:
            self.writes.rollback()


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(p95 * 1000, 3),
    }


# --- plans -----------------------------------------------------------------------------


def explainable(sql: str) -> bool:
    head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    return head in {"SELECT", "WITH", "UPDATE", "DELETE"}


def table_rows(conn: psycopg.Connection) -> dict[str, int]:
    """Planner row estimates of the public tables (``conn`` returns tuples)."""
    rows = conn.execute(
        "SELECT c.relname, c.reltuples::bigint FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' AND n.nspname = 'public'"
    ).fetchall()
    return {name: max(0, estimate) for name, estimate in rows}


def plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from plan_nodes(child)


def seq_scans(plan: dict, rows_by_table: dict[str, int], limit: int = SEQ_SCAN_ROW_LIMIT):
    """Sequential scans of tables with more than ``limit`` rows in a JSON plan."""
    found = []
    for node in plan_nodes(plan):
        if node.get("Node Type") == "Seq Scan":
            table = node.get("Relation Name", "")
            if rows_by_table.get(table, 0) > limit:
                found.append({"table": table, "rows": rows_by_table[table]})
    return found


def plan_outline(plan: dict) -> str:
    parts = []
    for node in plan_nodes(plan):
        kind = node.get("Node Type", "")
        if "Relation Name" in node:
            using = f" using {node['Index Name']}" if node.get("Index Name") else ""
            parts.append(f"{kind} on {node['Relation Name']}{using}")
    return "; ".join(parts) or plan.get("Node Type", "")


def explain(conn: psycopg.Connection, sql: str, rows_by_table: dict[str, int], limit=None):
    """The plan of one statement (not executed) and its sequential scans of big tables."""
    ((document,),) = conn.execute("EXPLAIN (FORMAT JSON) " + sql).fetchall()
    plan = document[0]["Plan"]
    return {
        "sql": sql,
        "outline": plan_outline(plan),
        "total_cost": plan.get("Total Cost"),
        "seq_scans": seq_scans(plan, rows_by_table, limit or SEQ_SCAN_ROW_LIMIT),
    }
