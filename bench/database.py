"""The bench database: created when missing, kept between runs, rebuilt on request."""

from __future__ import annotations

import os
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/marketflow_bench"


def bench_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def check_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in {"127.0.0.1", "localhost", "::1", ""}:
        raise SystemExit(f"The bench only runs against a local PostgreSQL, not {host!r}.")


def _maintenance_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        raise SystemExit("BENCH_DATABASE_URL must name a database.")
    return urlunsplit(parts._replace(path="/postgres")), name


def ensure_database(url: str, *, rebuild: bool, log=print) -> bool:
    """Create the database if it is missing (dropping it first with ``rebuild``).
    Returns True when the database is new, hence empty."""
    maintenance, name = _maintenance_url(url)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and not rebuild:
            return False
        if exists:
            log(f"Dropping the bench database {name} (--rebuild).")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def migrate(log=print) -> float:
    from django.core.management import call_command

    began = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    seconds = time.perf_counter() - began
    log(f"Migrated the bench database with Django's migrate in {seconds:.1f} s.")
    return seconds
