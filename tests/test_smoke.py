"""Boot the application the way `make run` does: SQLite, DJANGO_DEBUG=1, demo data, runserver.

Everything runs in subprocesses against a throw-away SQLite file, so this test touches neither
the test database nor the developer's db.sqlite3.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.smoke

ROOT = Path(__file__).resolve().parents[1]
STARTUP_DEADLINE_SECONDS = 60


@pytest.fixture(scope="module")
def run_env(tmp_path_factory) -> dict[str, str]:
    """The environment of `make run`, on a migrated SQLite file of this module's own.

    The test run's own Django settings must not leak into the subprocesses.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "MARKETFLOW_", "REDIS_", "AWS_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="marketflow.settings",
        DJANGO_DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path_factory.mktemp('smoke') / 'db.sqlite3'}",
        PYTHONUNBUFFERED="1",
    )
    manage(env, "migrate", "--noinput")
    return env


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(url, *, method="GET", body=None, token=None, accept="*/*") -> tuple[int, bytes]:
    headers = {"Accept": accept}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Token {token}"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def server(run_env, tmp_path):
    """`runserver` on a free port, answering; always stopped afterwards."""
    port = free_port()
    log_path = tmp_path / "runserver.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=run_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
        while True:
            assert process.poll() is None, "runserver exited:\n" + log_path.read_text()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "runserver never answered:\n" + (
                    log_path.read_text()
                )
                time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def demo_market_id(run_env) -> str:
    first = manage(run_env, "seed_demo").stdout
    second = manage(run_env, "seed_demo").stdout  # `make run` loads it on every start
    assert "organizer@example.com / marketflow-demo" in first
    market_ids = [re.search(r"\(id ([0-9a-f-]{36})\)", out).group(1) for out in (first, second)]
    assert market_ids[0] == market_ids[1]
    return market_ids[0]


def test_the_app_boots_on_sqlite_with_the_demo_data(demo_market_id, server):
    status, body = request(f"{server}/api/public/markets/{demo_market_id}/")
    assert status == 200, body
    assert json.loads(body)["name"] == "Riverside Farmers Market"

    status, body = request(
        f"{server}/api/public/markets/{demo_market_id}/apply/",
        method="POST",
        body={
            "business_name": "Smoke Signals Coffee",
            "contact_name": "Sam Smoke",
            "email": "smoke@example.com",
            "product_categories": ["beverages"],
            "message": "Hello from the smoke test.",
        },
    )
    assert status == 201, body
    application = json.loads(body)
    assert application["status"] == "unconfirmed"

    status, body = request(f"{server}/api/schema/")
    assert status == 200
    assert b"openapi" in body
    status, body = request(f"{server}/api/docs/", accept="text/html")
    assert status == 200
    # The docs page loads its assets from this server, never from a CDN.
    asset = re.search(rb'src="(/static/drf_spectacular_sidecar/[^"]+\.js)"', body)
    assert asset, body
    assert request(server + asset.group(1).decode())[0] == 200
    assert request(f"{server}/admin/login/", accept="text/html")[0] == 200

    status, body = request(
        f"{server}/api/auth/token/",
        method="POST",
        body={"email": "organizer@example.com", "password": "marketflow-demo"},
    )
    assert status == 200, body
    token = json.loads(body)["token"]
    status, body = request(f"{server}/api/markets/{demo_market_id}/applications/", token=token)
    assert status == 200, body
    applications = json.loads(body)["results"]
    assert application["id"] not in {a["id"] for a in applications}  # until it is confirmed
    assert len(applications) == 30


def test_createorganizer_exits_non_zero_on_refusal(run_env):
    args = ("createorganizer", "ops@example.com", "--password", "plum-tractor-harbour")

    assert "Created organizer ops@example.com" in manage(run_env, *args, "--plan", "paid").stdout
    duplicate = manage(run_env, *args, check=False)
    assert duplicate.returncode != 0
    assert "already exists" in duplicate.stderr
    weak = manage(run_env, "createorganizer", "ops2@example.com", "--password", "123", check=False)
    assert weak.returncode != 0
    assert "too short" in weak.stderr
