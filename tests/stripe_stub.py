"""A small stand-in for Stripe's API on loopback, and webhook payloads signed as Stripe signs
them. The real ``stripe`` library talks to the stub (``stripe.api_base`` points at it), so
what the code sends is what Stripe would receive; nothing leaves the machine.

The stub answers the calls Marketflow makes (Checkout sessions, the customer portal, Connect
accounts and links, refunds, reading a subscription), records each request, and replays an
earlier answer for a repeated ``Idempotency-Key``, as Stripe does.
"""

import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


@dataclass
class StubRequest:
    method: str
    path: str
    params: dict
    account: str  # the Stripe-Account header: a call on a connected account
    idempotency_key: str


@dataclass
class StripeStub:
    url: str = ""
    requests: list[StubRequest] = field(default_factory=list)
    subscriptions: dict[str, dict] = field(default_factory=dict)
    fail_with: int | None = None  # answer every call with this HTTP status (an outage)
    answered: dict[str, dict] = field(default_factory=dict)  # by idempotency key
    lock: threading.Lock = field(default_factory=threading.Lock)
    numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.subscriptions.clear()
            self.answered.clear()
            self.fail_with = None

    def calls(self, path: str) -> list[StubRequest]:
        return [request for request in self.requests if request.path == path]

    def refunds(self) -> list[StubRequest]:
        """Refunds Stripe actually made: a replayed idempotency key makes none."""
        seen, made = set(), []
        for request in self.calls("/v1/refunds"):
            if request.idempotency_key not in seen:
                seen.add(request.idempotency_key)
                made.append(request)
        return made

    def refund_id(self, request: StubRequest) -> str:
        """The id of the refund the stub answered ``request`` with."""
        return self.answered[f"{request.path}:{request.idempotency_key}"]["id"]

    def answer(self, request: StubRequest) -> tuple[int, dict]:
        if self.fail_with is not None:
            return self.fail_with, {
                "error": {"type": "api_error", "message": "The stub is down.", "code": "stub_down"}
            }
        number = next(self.numbers)
        path, params = request.path, request.params
        if request.method == "GET" and path.startswith("/v1/subscriptions/"):
            subscription = self.subscriptions.get(path.rsplit("/", 1)[1])
            if subscription is None:
                return 404, {"error": {"type": "invalid_request_error", "message": "No such"}}
            return 200, subscription
        if path == "/v1/checkout/sessions":
            return 200, {
                "id": f"cs_test_{number}",
                "object": "checkout.session",
                "mode": params.get("mode"),
                "url": f"https://checkout.stripe.com/c/pay/cs_test_{number}",
            }
        if path == "/v1/billing_portal/sessions":
            return 200, {
                "id": f"bps_{number}",
                "object": "billing_portal.session",
                "url": f"https://billing.stripe.com/p/session/{number}",
            }
        if path == "/v1/accounts":
            return 200, {"id": f"acct_{number}", "object": "account", "charges_enabled": False}
        if path == "/v1/account_links":
            return 200, {
                "object": "account_link",
                "url": f"https://connect.stripe.com/setup/e/{params.get('account')}/{number}",
            }
        if path == "/v1/refunds":
            return 200, {
                "id": f"re_{number}",
                "object": "refund",
                "amount": int(params["amount"]),
                "payment_intent": params["payment_intent"],
                "status": "succeeded",
            }
        return 404, {"error": {"type": "invalid_request_error", "message": f"No route {path}"}}

    def handle(self, request: StubRequest) -> tuple[int, dict]:
        with self.lock:
            self.requests.append(request)
            key = request.idempotency_key and f"{request.path}:{request.idempotency_key}"
            if key and key in self.answered:
                return 200, self.answered[key]
            status, body = self.answer(request)
            if key and status == 200:
                self.answered[key] = body
            return status, body


def start_stub() -> tuple[StripeStub, ThreadingHTTPServer]:
    stub = StripeStub()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            path, _, query = self.path.partition("?")
            request = StubRequest(
                method=self.command,
                path=path,
                params=dict(parse_qsl(body or query)),
                account=self.headers.get("Stripe-Account", ""),
                idempotency_key=self.headers.get("Idempotency-Key", ""),
            )
            status, answer = stub.handle(request)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_stub_{time.monotonic_ns()}")
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, format, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return stub, server


# -- webhook payloads, signed as Stripe signs them -------------------------------------------

WEBHOOK_SECRET = "whsec_test_marketflow"
_event_numbers = itertools.count(1)


def stripe_event(
    type: str,
    obj: dict,
    *,
    event_id: str | None = None,
    created: int | None = None,
    account: str | None = None,
) -> dict:
    event = {
        "id": event_id or f"evt_test_{next(_event_numbers)}_{time.time_ns()}",
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": created if created is not None else int(time.time()),
        "livemode": False,
        "type": type,
        "data": {"object": obj},
    }
    if account:
        event["account"] = account
    return event


def signature_header(body: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    """``t=...,v1=...``: HMAC-SHA256 of ``t.payload`` with the endpoint secret."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def post_event(client, event: dict, **signing):
    """POST ``event`` to the webhook through the real view, signed like Stripe."""
    body = json.dumps(event)
    return client.post(
        "/webhooks/stripe/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(body, **signing),
    )
