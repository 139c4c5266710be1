"""Request ids, JSON-lines logs, /healthz and /readyz, /metrics and Sentry's scrubber.

Real components throughout: the Django stack, PostgreSQL, the database task queue and its
worker, Redis (a closed port for "unreachable"), prometheus-client, and sentry-sdk sending to
a stub of Sentry's ingest API on loopback (the one thing outside the machine).
"""

import gzip
import http.server
import io
import json
import logging
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import zlib

import pytest
import sentry_sdk
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from pythonjsonlogger.json import JsonFormatter

from applications.tests.factories import ApplicationFactory
from conftest import token_client
from marketflow.telemetry import FILTERED, RequestIdFilter, scrub_event, sentry_init

pytestmark = pytest.mark.django_db

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


# -- request ids and JSON lines ----------------------------------------------------------------


@pytest.fixture
def json_log():
    """The log lines the process writes, through the formatter and filter of settings."""
    config = dict(django_settings.LOGGING["formatters"]["json"])
    config.pop("()")
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter(**config))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    root.removeHandler(handler)


def test_a_request_gets_an_id_in_the_response_header(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_sane_incoming_id_is_kept_and_any_other_replaced(client):
    kept = "lb-7f3a9c2e-0001"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=kept)["X-Request-ID"] == kept
    for insane in [
        "short",
        "x" * 129,
        "has space in it",
        "a\rb-c-d-e-f-g",
        "<script>alert</script>",
    ]:
        answered = client.get("/healthz", HTTP_X_REQUEST_ID=insane)["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", answered), insane


def test_error_answers_carry_the_id_too(client):
    response = client.get("/api/no-such-thing/", HTTP_X_REQUEST_ID="req-404-abcdef")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-404-abcdef"


def test_log_lines_are_json_with_the_request_id(client, json_log):
    client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-logged-123456")

    (line,) = [line for line in json_log() if line["logger"] == "django.request"]
    assert line["request_id"] == "req-logged-123456"
    assert line["level"] == "WARNING"
    assert line["message"] == "Not Found: /no-such-page/"
    assert {"time", "level", "logger", "message", "request_id"} <= set(line)


@pytest.mark.django_db(transaction=True)
def test_the_task_a_request_enqueued_logs_under_its_id(settings, organizer, json_log):
    """On the database queue the worker, another process in production, runs the e-mail
    task with the id of the request that enqueued it."""
    settings.TASKS = DATABASE_QUEUE
    application = ApplicationFactory(market__organizer=organizer)
    url = reverse(
        "api:application-accept",
        kwargs={"market_id": application.market_id, "application_id": application.pk},
    )
    response = token_client(organizer).post(url, HTTP_X_REQUEST_ID="req-accept-777777")
    assert response.status_code == 200

    (task,) = DBTaskResult.objects.all()
    assert task.args_kwargs["kwargs"]["request_id"] == "req-accept-777777"
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)

    sent = [line for line in json_log() if line["logger"] == "marketflow.email_tasks"]
    assert [line["request_id"] for line in sent] == ["req-accept-777777"]
    assert "sent 1 message(s)" in sent[0]["message"]


# -- health --------------------------------------------------------------------------------------


def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_reports_every_part_ready(client, settings):
    settings.TASKS = DATABASE_QUEUE
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "storage": "ok", "task_queue": "ok"},
    }


def test_readyz_names_an_unreachable_cache(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"] == {
        "database": "ok",
        "cache": "unavailable",
        "storage": "ok",
        "task_queue": "ok",
    }


def test_readyz_is_ready_with_a_reachable_redis(client, settings):
    """The control of the test above: the same backend, at Redis's address, is ready."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/7",
        }
    }
    assert client.get("/readyz").json()["checks"]["cache"] == "ok"


def test_readyz_names_storage_that_cannot_be_written(client, settings, tmp_path):
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(not_a_directory / "media")},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "unavailable"
    assert response.json()["checks"]["database"] == "ok"


def test_probes_are_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/api/schema/").status_code == 301  # the control
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


# -- metrics -------------------------------------------------------------------------------------


def allow(settings, *entries):
    import ipaddress

    settings.MARKETFLOW_METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(entry, strict=False) for entry in entries
    ]


def test_metrics_answer_an_allowed_address(client, settings):
    allow(settings, "10.1.0.0/16")
    client.get("/healthz")
    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert 'marketflow_http_request_duration_seconds_count{method="GET",status="200"}' in body


def test_metrics_are_a_404_to_everybody_else(client, settings):
    allow(settings, "10.1.2.3")
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.4").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    allow(settings)  # the default: nobody
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 404


def test_metrics_find_the_client_behind_trusted_proxies_only(client, settings):
    allow(settings, "203.0.113.9")
    # No trusted proxy: X-Forwarded-For is the client's own writing, and ignored.
    forged = {"REMOTE_ADDR": "198.51.100.7", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert client.get("/metrics", **forged).status_code == 404

    settings.MARKETFLOW_TRUSTED_PROXY_COUNT = 1
    through_proxy = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"}
    assert client.get("/metrics", **through_proxy).status_code == 200
    spoofed = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.9, 1.2.3.4"}
    assert client.get("/metrics", **spoofed).status_code == 404


# -- Sentry --------------------------------------------------------------------------------------


def test_the_scrubber_removes_personal_data_and_credentials():
    event = {
        "event_id": "a" * 32,
        "timestamp": "2026-12-07T10:00:00Z",
        "user": {"id": "1", "email": "ana@hillside.example", "ip_address": "203.0.113.9"},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": "No vendor Ana@Hillside.example, phone +1 (555) 123-4567",
                    "stacktrace": {
                        "frames": [
                            {"vars": {"phone": "555 123 4567", "note": "call 0207 946 0958"}}
                        ]
                    },
                }
            ]
        },
        "request": {
            "url": "https://markets.example/api/markets/",
            "headers": {
                "Authorization": "Token 3f1c0ffee",
                "Cookie": "sessionid=abc; csrftoken=def",
                "X-CSRFToken": "def",
                "Accept": "application/json",
            },
            "cookies": {"sessionid": "abc"},
            "data": {"email": "ana@hillside.example", "password": "hunter22", "name": "Honey"},
        },
        "breadcrumbs": {"values": [{"message": "mail to bob@example.org failed"}]},
    }
    scrubbed = scrub_event(event)
    text = json.dumps(scrubbed)

    for secret in [
        "hillside",
        "Hillside",
        "bob@example.org",
        "555",
        "946",
        "3f1c0ffee",
        "sessionid=abc",
        "hunter22",
        "203.0.113.9",
    ]:
        assert secret not in text, secret
    assert "user" not in scrubbed
    assert scrubbed["request"]["headers"]["Accept"] == "application/json"
    assert scrubbed["request"]["headers"]["Authorization"] == FILTERED
    assert scrubbed["request"]["data"]["name"] == "Honey"
    assert scrubbed["timestamp"] == "2026-12-07T10:00:00Z"  # the event stays valid
    assert scrubbed["event_id"] == "a" * 32


class SentryStub(http.server.ThreadingHTTPServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), SentryStubHandler)
        self.envelopes: list[bytes] = []
        self.received = threading.Event()


class SentryStubHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        self.server.envelopes.append(body)
        self.server.received.set()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_stub():
    stub = SentryStub()
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    yield stub
    sentry_sdk.init()  # no DSN: reporting off again for the rest of the session
    stub.shutdown()
    stub.server_close()


def test_sentry_receives_errors_without_personal_data(sentry_stub):
    sentry_init(f"http://publickey@127.0.0.1:{sentry_stub.server_address[1]}/1")
    with sentry_sdk.new_scope() as scope:
        scope.set_user({"email": "ana@hillside.example", "id": "7"})
        scope.set_extra("note", "vendor phone +44 20 7946 0958")
        try:
            raise ValueError("No vendor ana@hillside.example")
        except ValueError as error:
            sentry_sdk.capture_exception(error)
    sentry_sdk.flush(timeout=10)

    assert sentry_stub.received.wait(timeout=10)
    payload = b"".join(sentry_stub.envelopes).decode()
    assert "No vendor [Filtered]" in payload  # the event arrived, scrubbed
    assert "hillside" not in payload
    assert "7946" not in payload


def test_metrics_add_up_every_gunicorn_worker(tmp_path):
    """prometheus-client's multi-process mode under gunicorn with two workers: /metrics,
    answered by either, counts the requests both served."""
    from tests.test_db_faults import ROOT, STARTUP_ATTEMPTS, free_port

    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketflow.test_settings",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "MARKETFLOW_METRICS_ALLOWED_IPS": "127.0.0.1",
    }
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "marketflow.wsgi:application",
         f"--bind=127.0.0.1:{port}", "--workers=2"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:

        def get(path: str) -> tuple[int, str]:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}", headers={"Host": "localhost"}
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status, response.read().decode()
            except urllib.error.HTTPError as error:
                return error.code, error.read().decode()

        for _attempt in range(STARTUP_ATTEMPTS):
            try:
                get("/healthz")
                break
            except OSError:
                threading.Event().wait(0.1)
        # Requests until both workers have served some (each writes its own sample files).
        served = 1
        while len({path.stem.rsplit("_", 1)[1] for path in metrics_dir.glob("*.db")}) < 2:
            assert served < 500, "one worker served every request"
            assert get("/healthz")[0] == 200
            served += 1

        status, text = get("/metrics")
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()

    assert status == 200, (tmp_path / "gunicorn.log").read_text()
    counted = re.search(
        r'marketflow_http_request_duration_seconds_count\{method="GET",status="200"\} (\S+)', text
    )
    assert counted and float(counted.group(1)) == served
