"""The database goes away while the app runs, and comes back.

The app runs as in production, a gunicorn process with persistent connections and health
checks, but reaches PostgreSQL through a TCP forwarder that the test owns (the shared
PostgreSQL itself is never stopped). Cutting the forwarder drops every open connection and
refuses new ones, as a stopped or unreachable database does. The tests show:

- the API answers 503 ``service_unavailable`` with ``Retry-After``, also when the failure
  happens while authenticating, before any view runs;
- pages show the friendly 503 page (with the Content-Security-Policy nonce on its style);
- a write interrupted midway leaves nothing behind (the forwarder cuts the connection when the
  app sends a given statement of the transaction);
- once the forwarder is restored, the same server process answers normally again.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test import Client

from applications.models import Application
from applications.tests.factories import ApplicationFactory
from marketflow.services import user_token_create
from marketflow.tests.factories import MarketFactory, OrganizerFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[1]
# Bounds on waiting for the server or a request, so a broken run fails instead of hanging.
STARTUP_ATTEMPTS = 300  # x 0.1 s
REQUEST_TIMEOUT = 30


class CuttableProxy:
    """A TCP forwarder from 127.0.0.1:<port> to PostgreSQL that can be cut and restored.

    ``cut()`` closes the listening socket (new connections are refused) and every forwarded
    connection (their next read fails). ``cut_when_sent(pattern)`` cuts the moment the app
    sends bytes containing ``pattern``, before they reach the database.
    """

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = self._free_port()
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.listener: socket.socket | None = None
        self.pattern: bytes | None = None
        self.sent = bytearray()  # what the app sent since the last cut_when_sent()
        self.stopped = False
        self.restore()

    @staticmethod
    def _free_port() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        with self.lock:
            self.listener = listener
            self.pattern = None
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut_when_sent(self, pattern: bytes) -> None:
        with self.lock:
            self.pattern = pattern
            self.sent = bytearray()

    def cut(self) -> None:
        with self.lock:
            listener, self.listener = self.listener, None
            sockets, self.sockets = self.sockets, set()
        if listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would leave the
            # socket listening until the next connection arrived.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def stop(self) -> None:
        self.stopped = True
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _address = listener.accept()
            except OSError:  # the listener was closed by cut()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets |= {client, upstream}
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, from_app: bool) -> None:
        tail = b""
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            pattern = self.pattern if from_app else None
            if pattern is not None:
                self.sent += data
                if pattern in tail + data:  # a statement split across two reads counts too
                    self.cut()
                    return
                tail = (tail + data)[-len(pattern) :]
            try:
                sink.sendall(data)
            except OSError:
                break
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture(scope="module")
def proxy():
    forwarder = CuttableProxy(("127.0.0.1", 5432))
    yield forwarder
    forwarder.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(proxy, django_db_setup, django_db_blocker):
    """gunicorn serving the app on the test database, through the proxy."""
    with django_db_blocker.unblock():
        settings_dict = connection.settings_dict
    database_url = (
        f"postgres://{settings_dict['USER']}@127.0.0.1:{proxy.port}/{settings_dict['NAME']}"
    )
    port = free_port()
    log_fd, log_name = tempfile.mkstemp(prefix="marketflow-db-faults-", suffix=".log")
    log_path = Path(log_name)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketflow.test_settings",
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "60",  # persistent connections, as in production
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "marketflow.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--workers=1",
            "--timeout=60",
            "--graceful-timeout=2",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_fd,
        stderr=subprocess.STDOUT,
    )
    os.close(log_fd)  # the server has its own copy
    base_url = f"http://127.0.0.1:{port}"
    for _ in range(STARTUP_ATTEMPTS):
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    if process.poll() is not None:
        pytest.fail(f"gunicorn did not start:\n{log_path.read_text()}")
    yield {"url": base_url, "process": process, "log": log_path}
    process.terminate()
    process.wait(timeout=30)
    log_path.unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def restored(request, proxy):
    yield
    if proxy.listener is None:
        proxy.restore()


def call(server, method: str, path: str, *, body=None, headers=None):
    """(status, headers, text) of one request to the server."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{server['url']}{path}",
        data=data,
        method=method,
        headers={
            "Host": "localhost",
            **({"Content-Type": "application/json"} if data is not None else {}),
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def assert_api_unavailable(result) -> None:
    status, headers, text = result
    assert status == 503, text
    assert json.loads(text) == {
        "code": "service_unavailable",
        "detail": "The service is temporarily unavailable. Please try again shortly.",
        "extra": {},
    }
    assert headers["Retry-After"] == "5"


def assert_page_unavailable(result) -> None:
    status, headers, text = result
    assert status == 503, text
    assert headers["Content-Type"].startswith("text/html")
    assert "back in a moment" in text
    nonce = headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'<style nonce="{nonce}">' in text


@pytest.fixture
def organizer_graph():
    organizer = OrganizerFactory()
    market = MarketFactory(organizer=organizer, slug="fault-market")
    _token, secret = user_token_create(user=organizer)
    session = Client()
    session.force_login(organizer)
    return {
        "organizer": organizer,
        "market": market,
        "auth": {"Authorization": f"Token {secret}"},
        "cookie": {"Cookie": f"sessionid={session.cookies['sessionid'].value}"},
    }


def test_the_api_answers_503_while_the_database_is_away_and_recovers(
    server, proxy, organizer_graph
):
    auth = organizer_graph["auth"]
    market_id = organizer_graph["market"].pk
    assert call(server, "GET", "/api/markets/", headers=auth)[0] == 200  # a warm connection

    proxy.cut()

    # Token authentication queries the database before the view: still a 503.
    assert_api_unavailable(call(server, "GET", "/api/markets/", headers=auth))
    assert_api_unavailable(call(server, "GET", f"/api/public/markets/{market_id}/"))
    assert_api_unavailable(
        call(server, "POST", "/api/auth/token/", body={"email": "a@b.example", "password": "x"})
    )
    assert_api_unavailable(call(server, "GET", "/api/me/vendor/", headers=auth))

    proxy.restore()

    status, _headers, text = call(server, "GET", "/api/markets/", headers=auth)
    assert status == 200, text
    assert json.loads(text)["results"][0]["id"] == str(market_id)
    assert server["process"].poll() is None  # the same process: recovered, not restarted


def test_pages_show_the_friendly_503_page_and_recover(server, proxy, organizer_graph):
    cookie = organizer_graph["cookie"]
    assert call(server, "GET", "/m/fault-market/")[0] == 200
    assert call(server, "GET", "/admin/", headers=cookie)[0] == 200

    proxy.cut()

    # The market page was just read: it is served from the cache while the database is away.
    assert call(server, "GET", "/m/fault-market/")[0] == 200
    assert_page_unavailable(call(server, "GET", "/m/fault-market/apply/"))
    # Loading the signed-in session is the first query: it fails before any view.
    assert_page_unavailable(call(server, "GET", "/admin/", headers=cookie))
    assert_page_unavailable(call(server, "GET", "/vendor/", headers=cookie))

    proxy.restore()

    assert call(server, "GET", "/m/fault-market/")[0] == 200
    status, _headers, text = call(server, "GET", "/admin/", headers=cookie)
    assert status == 200 and "Dashboard" in text


APPLICANT = {
    "email": "cut.off@example.com",
    "business_name": "Halfway Honey",
    "contact_name": "Ada Hill",
    "product_categories": ["produce"],
}


def test_an_application_cut_off_midway_leaves_nothing_behind(server, proxy, organizer_graph):
    """The connection drops as the application is being inserted, inside its transaction: the
    transaction rolls back with the connection, and the next try works."""
    url = f"/api/public/markets/{organizer_graph['market'].pk}/apply/"
    proxy.cut_when_sent(b'INSERT INTO "applications_application"')

    assert_api_unavailable(call(server, "POST", url, body=APPLICANT))

    assert not Application.unconfirmed.filter(business_name=APPLICANT["business_name"]).exists()
    proxy.restore()
    status, _headers, text = call(server, "POST", url, body=APPLICANT)
    assert status == 201, text
    assert Application.unconfirmed.filter(email=APPLICANT["email"]).count() == 1


def test_a_decision_cut_off_before_its_audit_record_is_not_half_made(
    server, proxy, organizer_graph
):
    """The status update is sent, then the connection drops as the audit record is being
    written: the application is still pending and no record claims otherwise."""
    application = ApplicationFactory(market=organizer_graph["market"])
    url = f"/api/markets/{application.market_id}/applications/{application.pk}/accept/"
    proxy.cut_when_sent(b'INSERT INTO "django_admin_log"')

    assert_api_unavailable(call(server, "POST", url, body={}, headers=organizer_graph["auth"]))

    assert b'UPDATE "applications_application"' in proxy.sent  # the first half was written
    application.refresh_from_db()
    assert application.status == Application.Status.PENDING
    assert application.reviewed_by_id is None
    assert not LogEntry.objects.filter(object_id=str(application.pk)).exists()
    proxy.restore()
    status, _headers, text = call(server, "POST", url, body={}, headers=organizer_graph["auth"])
    assert status == 200, text
    application.refresh_from_db()
    assert application.status == Application.Status.ACCEPTED
    assert LogEntry.objects.filter(object_id=str(application.pk)).count() == 1


def test_control_the_proxy_really_carries_the_app_s_connection(server, proxy, organizer_graph):
    """Control: with the pattern of a statement that the request sends, the request fails;
    so the passing writes above did go through the proxy, not around it."""
    proxy.cut_when_sent(b"marketflow_apitoken")

    assert_api_unavailable(call(server, "GET", "/api/markets/", headers=organizer_graph["auth"]))


def test_readyz_names_the_database_while_it_is_away_and_healthz_stays_up(server, proxy):
    status, _headers, text = call(server, "GET", "/readyz")
    assert status == 200, text

    proxy.cut()

    status, _headers, text = call(server, "GET", "/readyz")
    assert status == 503, text
    assert json.loads(text) == {
        "status": "unavailable",
        "checks": {
            "database": "unavailable",
            "cache": "ok",
            "storage": "ok",
            "task_queue": "ok",  # the immediate backend: no queue to reach
        },
    }
    status, _headers, text = call(server, "GET", "/healthz")
    assert (status, json.loads(text)) == (200, {"status": "ok"})

    proxy.restore()

    status, _headers, text = call(server, "GET", "/readyz")
    assert status == 200, text
