"""The proof on one machine that Marketflow runs on more than one: two web servers (gunicorn,
two workers each) on two ports with two media directories, one `db_worker`, the shared
PostgreSQL (this session's test database) and Redis, and the S3-compatible server
(conftest.s3_endpoint), all on loopback. Whatever one server learns, the other knows: a
document, a session, a throttle count, a lockout, a queued e-mail. Stopping one loses nothing.

Each test speaks to the servers the way a browser or an API client does, over HTTP, and
reads the shared database and the bucket to see where things went.
"""

import itertools
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.db import connection

from applications.models import Application
from conftest import free_port, s3_client, s3_keys
from marketflow.tests.factories import MarketFactory, OrganizerFactory, UserFactory
from vendors.models import VendorDocument
from vendors.tests.factories import VendorFactory
from vendors.tests.uploads import PDF

pytestmark = [pytest.mark.multi_server, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[1]
DEADLINE_SECONDS = 60  # how long a server may take to start, or the worker to send
PASSWORD = "correct-horse-battery"
# Its own Redis database, away from a developer's 0; every test's client addresses and
# e-mail addresses are new, so counts left from an earlier run never meet this one's.
REDIS_URL = os.environ.get("MARKETFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
TOKEN_RATE_PER_MINUTE = 5
LOGIN_FAILURE_LIMIT = 3


def wait_until(condition, what: str):
    """Poll ``condition`` until it returns something truthy; fail after the deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"{what} within {DEADLINE_SECONDS} s")


class Process:
    """A subprocess with its output in a log file, stopped with SIGTERM (as systemd does)."""

    def __init__(self, name: str, command: list[str], env: dict, logs: Path):
        self.name = name
        self.log = logs / f"{name}.log"
        with self.log.open("wb") as log:
            self.popen = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class WebServer(Process):
    def __init__(self, name: str, env: dict, logs: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "2"]
        super().__init__(
            name, [*command, "-b", f"127.0.0.1:{self.port}", "marketflow.wsgi"], env, logs
        )

    def wait_ready(self) -> None:
        def answers():
            if self.popen.poll() is not None:
                pytest.fail(f"{self.name} exited:\n{self.output()}")
            try:
                return requests.get(f"{self.url}/accounts/sign-in/", timeout=10).ok
            except requests.RequestException:  # not listening yet, or still loading
                return False

        wait_until(answers, f"{self.name} answering")


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker, s3_endpoint, tmp_path_factory):
    """Two web servers, one worker, on this session's test database; stopped at the end."""
    base = tmp_path_factory.mktemp("cluster")
    bucket = f"cluster-{uuid.uuid4().hex}"
    s3_client(s3_endpoint).create_bucket(Bucket=bucket)
    database = django_settings.DATABASES["default"]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "MARKETFLOW_", "REDIS_", "AWS_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="marketflow.settings",  # production settings, DEBUG off
        DJANGO_SECRET_KEY="cluster-test-secret-key",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DATABASE_URL=(
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/"
            f"{database['NAME']}"
        ),
        REDIS_URL=REDIS_URL,
        AWS_STORAGE_BUCKET_NAME=bucket,
        AWS_S3_ENDPOINT_URL=s3_endpoint,
        AWS_S3_REGION_NAME="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        MARKETFLOW_TASKS_BACKEND="database",
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        DJANGO_EMAIL_FILE_PATH=str(base / "mail"),
        MARKETFLOW_TRUSTED_PROXY_COUNT="1",
        MARKETFLOW_TOKEN_RATE=f"{TOKEN_RATE_PER_MINUTE}/minute",
        MARKETFLOW_LOGIN_FAILURE_LIMIT=str(LOGIN_FAILURE_LIMIT),
        PYTHONUNBUFFERED="1",
        DJANGO_STATIC_ROOT=str(base / "static"),
    )
    # As a deployment does before starting its servers: their pages name hashed static files.
    collect = [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"]
    subprocess.run(collect, cwd=ROOT, env=env, check=True)
    processes = []
    try:
        for number in (1, 2):
            media = base / f"media{number}"
            media.mkdir()
            server_env = {**env, "DJANGO_MEDIA_ROOT": str(media)}
            processes.append(WebServer(f"web{number}", server_env, base))
        worker_command = [sys.executable, "manage.py", "db_worker", "--no-startup-delay"]
        processes.append(Process("worker", worker_command, env, base))
        for server in processes[:2]:
            server.wait_ready()
        yield {
            "web1": processes[0],
            "web2": processes[1],
            "worker": processes[2],
            "bucket": bucket,
            "s3_endpoint": s3_endpoint,
            "mail": base / "mail",
            "media": [base / "media1", base / "media2"],
        }
    finally:
        for process in processes:
            process.stop()
        # Their connections to the test database are closed, so it can be dropped.
        with django_db_blocker.unblock():
            connection.close()


class Browser:
    """A browser's cookies over plain HTTP: the servers mark cookies Secure (DEBUG off), which
    a client only returns over HTTPS; the load balancer in front would terminate TLS."""

    def __init__(self, client_ip: str):
        self.cookies: dict[str, str] = {}
        self.headers = {"X-Forwarded-For": client_ip}

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        response = requests.request(
            method,
            url,
            cookies=self.cookies,
            headers={**self.headers, **kwargs.pop("headers", {})},
            allow_redirects=False,
            timeout=30,
            **kwargs,
        )
        self.cookies.update({cookie.name: cookie.value for cookie in response.cookies})
        return response

    def csrf_token(self, url: str) -> str:
        page = self.request("GET", url)
        assert page.status_code == 200, page.text
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    def sign_in(self, server: WebServer, email: str, password: str) -> requests.Response:
        url = f"{server.url}/accounts/sign-in/"
        token = self.csrf_token(url)
        return self.request(
            "POST",
            url,
            data={"csrfmiddlewaretoken": token, "username": email, "password": password},
        )


def new_client_ip() -> str:
    return "10.{}.{}.{}".format(*uuid.uuid4().bytes[:3])


def vendor_with_account(settings):
    """A vendor who can sign in: hashed with Argon2, which the servers' settings verify."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    vendor = VendorFactory(email=f"v-{uuid.uuid4().hex[:12]}@example.com")
    vendor.user = UserFactory(email=vendor.email, password=PASSWORD)
    vendor.save(update_fields=["user", "updated_at"])
    return vendor


def token_request(server: WebServer, client_ip: str, email: str, password: str):
    return requests.post(
        f"{server.url}/api/auth/token/",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": client_ip},
        timeout=30,
    )


def upload_document(browser: Browser, server: WebServer) -> requests.Response:
    url = f"{server.url}/vendor/documents/new/"
    token = browser.csrf_token(url)
    return browser.request(
        "POST",
        url,
        data={"csrfmiddlewaretoken": token, "document_type": "insurance"},
        files={"file": ("cover.pdf", PDF, "application/pdf")},
    )


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_a_document_uploaded_through_one_server_downloads_through_the_other(cluster, settings):
    vendor = vendor_with_account(settings)
    browser = Browser(new_client_ip())
    assert browser.sign_in(cluster["web1"], vendor.email, PASSWORD).status_code == 302

    uploaded = upload_document(browser, cluster["web1"])

    assert uploaded.status_code == 302, uploaded.text
    document = VendorDocument.objects.get(vendor=vendor)
    assert document.file.name in s3_keys(cluster["s3_endpoint"], cluster["bucket"])
    assert all(not files_under(media) for media in cluster["media"])  # no server's disk
    # The session made on server 1 is known to server 2 (Redis and the database).
    download = browser.request("GET", f"{cluster['web2'].url}/documents/{document.pk}/")
    assert download.status_code == 302
    served = requests.get(download.headers["Location"], timeout=30)
    assert served.content == PDF
    assert served.headers["Content-Disposition"] == 'attachment; filename="cover.pdf"'


def test_the_token_throttle_counts_the_requests_of_both_servers(cluster):
    client_ip = new_client_ip()
    servers = [cluster["web1"], cluster["web2"]]
    answers = [
        token_request(servers[n % 2], client_ip, f"nobody{n}@example.com", "wrong").status_code
        for n in range(TOKEN_RATE_PER_MINUTE)
    ]
    # Each server has seen at most 3 of the 5 requests: only a shared count refuses the next.
    assert 429 not in answers
    assert token_request(servers[1], client_ip, "x@example.com", "wrong").status_code == 429
    assert token_request(servers[0], client_ip, "y@example.com", "wrong").status_code == 429
    # Another client is counted on its own.
    other = token_request(servers[0], new_client_ip(), "z@example.com", "wrong")
    assert other.status_code != 429


def test_an_account_locked_out_through_one_server_is_locked_out_on_the_other(cluster, settings):
    vendor = vendor_with_account(settings)
    client_ip = new_client_ip()
    web1, web2 = cluster["web1"], cluster["web2"]
    failures = [
        token_request(server, client_ip, vendor.email, "wrong").status_code
        for server in [web1] * (LOGIN_FAILURE_LIMIT - 1)
    ]
    assert 429 not in failures
    assert token_request(web2, client_ip, vendor.email, "wrong").status_code == 429  # the limit

    # Now even the right password is refused, on the server that never saw a failure too.
    assert token_request(web1, client_ip, vendor.email, PASSWORD).status_code == 429
    assert token_request(web2, client_ip, vendor.email, PASSWORD).status_code == 429
    # The lockout is of that client and account: the owner elsewhere still signs in.
    assert token_request(web1, new_client_ip(), vendor.email, PASSWORD).status_code == 200


def apply(server: WebServer, market, email: str) -> requests.Response:
    return requests.post(
        f"{server.url}/api/public/markets/{market.pk}/apply/",
        json={
            "email": email,
            "business_name": "Hillside Honey",
            "contact_name": "Ana",
            "product_categories": ["produce"],
        },
        headers={"X-Forwarded-For": new_client_ip()},
        timeout=30,
    )


def sent_to(cluster, email: str) -> list[str]:
    """The messages the worker wrote for ``email`` (Django's file-based e-mail backend)."""
    return [
        text
        for path in files_under(cluster["mail"])
        if f"To: {email}" in (text := path.read_text(errors="replace"))
    ]


def test_an_email_enqueued_on_server_1_is_sent_by_the_worker(cluster):
    market = MarketFactory(organizer=OrganizerFactory())
    email = f"a-{uuid.uuid4().hex[:12]}@example.com"

    response = apply(cluster["web1"], market, email)

    assert response.status_code == 201, response.text
    (message,) = wait_until(lambda: sent_to(cluster, email), "the confirmation e-mail sent")
    assert f"Subject: Confirm your application to {market.name}" in message


def test_stopping_one_server_loses_nothing_and_the_other_keeps_serving(cluster, settings):
    vendor = vendor_with_account(settings)
    market = MarketFactory(organizer=OrganizerFactory())
    web1, web2 = cluster["web1"], cluster["web2"]
    browser = Browser(new_client_ip())
    assert browser.sign_in(web1, vendor.email, PASSWORD).status_code == 302
    assert upload_document(browser, web1).status_code == 302
    accepted: list[str] = []  # the applications server 1 answered 201 to

    def keep_applying():  # a client sending to server 1 until it is gone
        for number in itertools.count():
            email = f"b{number}-{uuid.uuid4().hex[:12]}@example.com"
            try:
                response = apply(web1, market, email)
            except requests.ConnectionError:
                return
            if response.status_code == 201:
                accepted.append(email)

    applicant = threading.Thread(target=keep_applying)
    applicant.start()
    wait_until(lambda: accepted, "server 1 taking an application")
    web1.stop()  # SIGTERM while requests are arriving: gunicorn finishes those it took
    applicant.join()

    with pytest.raises(requests.ConnectionError):
        requests.get(f"{web1.url}/accounts/sign-in/", timeout=5)
    # Every application server 1 took is stored, and its e-mail goes out.
    stored = set(Application.unconfirmed.filter(market=market).values_list("email", flat=True))
    assert stored == set(accepted)
    for email in accepted:
        wait_until(lambda email=email: sent_to(cluster, email), f"the e-mail to {email} sent")
    # Server 2 serves the session, the document and new applications.
    document = VendorDocument.objects.get(vendor=vendor)
    download = browser.request("GET", f"{web2.url}/documents/{document.pk}/")
    assert requests.get(download.headers["Location"], timeout=30).content == PDF
    portal = browser.request("GET", f"{web2.url}/vendor/")
    assert portal.status_code == 200 and "cover.pdf" in portal.text
    assert apply(web2, market, f"c-{uuid.uuid4().hex[:12]}@example.com").status_code == 201
