"""A Twilio-compatible Messages and Calls API on loopback, for tests and benchmarks.

Speaks enough of POST /2010-04-01/Accounts/{sid}/Messages.json and …/Calls.json for the real
twilio SDK: Basic auth, form body, a Message or Call resource back. A placed call is then played
out from the test's side (`answer`, `busy`, `no_answer`, `machine`): the mock posts the signed
webhooks Twilio would (the answered call's URL with `AnsweredBy`, the Gather's action with the
`Digits`, the status callback) to our service and follows the TwiML it gets back. Twilio's
magic test numbers fail as Twilio's do; further faults can be programmed. The server is the
standard library's, in a thread, so worker subprocesses reach it too (httpx only plays calls).
`python -m tests.twilio_mock --port 0` runs it standalone.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs
from xml.etree import ElementTree

import httpx
from twilio.request_validator import RequestValidator

from notifications.segments import segment_count

API_VERSION = "2010-04-01"
TEST_ACCOUNT_SID = "AC" + "a1" * 16
TEST_AUTH_TOKEN = "mock-auth-token-" + "0" * 16
TEST_FROM = "+15005550006"  # Twilio's magic "valid sender" test number

# Twilio's magic To numbers for test credentials, and the errors they give.
MAGIC_ERRORS = {
    "+15005550001": (21211, "The 'To' number +15005550001 is not a valid phone number."),
    "+15005550002": (21612, "The 'To' phone number is not currently reachable via SMS."),
    "+15005550003": (21408, "Permission to send an SMS has not been enabled for the region."),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "'To' number is not a valid mobile number"),
}
_MESSAGES = re.compile(rf"^/{API_VERSION}/Accounts/(?P<sid>[^/]+)/Messages\.json$")
_CALLS = re.compile(rf"^/{API_VERSION}/Accounts/(?P<sid>[^/]+)/Calls\.json$")


@dataclass(frozen=True)
class _Kind:
    """Messages or Calls: what a request must carry, and what the mock keeps of it."""

    name: str
    sid_prefix: str
    fields: tuple[str, ...]  # kept from the form, beside To
    required: tuple[tuple[tuple[str, ...], int, str], ...]  # (one of these fields, code, message)


_MESSAGE = _Kind(
    "Messages",
    "SM",
    ("Body", "From", "MessagingServiceSid", "StatusCallback", "ValidityPeriod"),
    (
        (("To",), 21604, "A 'To' phone number is required."),
        (("Body",), 21602, "Message body is required."),
        (("From", "MessagingServiceSid"), 21603, "A 'From' phone number is required."),
    ),
)
_CALL = _Kind(
    "Calls",
    "CA",
    ("From", "Url", "StatusCallback", "MachineDetection"),
    (
        (("To",), 21201, "No 'To' number is specified"),
        (("From",), 21213, "No 'From' number is specified"),
        (("Url", "Twiml"), 21205, "Url or Twiml is required"),
    ),
)


def sign(url: str, params: dict, auth_token: str) -> str:
    """The X-Twilio-Signature Twilio would send for a webhook POST of `params` to `url`."""
    return RequestValidator(auth_token).compute_signature(url, params)


class TwilioMock:
    """The fake Messages API. Every attribute read by tests is guarded by one lock."""

    def __init__(
        self,
        account_sid: str = TEST_ACCOUNT_SID,
        auth_token: str = TEST_AUTH_TOKEN,
        port: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.host = host
        self.port = port
        self.delay_s = 0.0  # before every answer: a slow provider
        self.messages: list[dict] = []  # accepted messages, in arrival order
        self.voice_calls: list[dict] = []  # accepted calls, in arrival order
        self.webhooks: list[tuple[str, dict, str]] = []  # (url, form, signature) we posted
        self.calls: list[dict] = []  # every request: method, path, authorization, user_agent
        self._number_faults: dict[str, tuple[int, int]] = {}
        self._next_faults: list[tuple[int, float | None]] = []
        self._lock = threading.Lock()
        # notified whenever a message or call is accepted: a benchmark waits on it, not polling
        # (a poll would take the interpreter's lock from this server's threads)
        self.accepted = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- programming faults ----------------------------------------------------------------
    def fail_number(self, to: str, code: int, status: int = 400) -> None:
        """Every message to `to` fails with this Twilio error code."""
        with self._lock:
            self._number_faults[to] = (status, code)

    def fail_next(self, n: int, status: int = 500, retry_after: float | None = None) -> None:
        """The next `n` message requests fail with `status` (500, 503, 429, …)."""
        with self._lock:
            self._next_faults.extend([(status, retry_after)] * n)

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self.voice_calls.clear()
            self.webhooks.clear()
            self.calls.clear()
            self._number_faults.clear()
            self._next_faults.clear()
            self.delay_s = 0.0

    @property
    def requests(self) -> int:
        with self._lock:
            return len(self.calls)

    def sent_to(self, to: str) -> list[dict]:
        with self._lock:
            return [m for m in self.messages if m["To"] == to]

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> TwilioMock:
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), _handler_for(self))
        self._server.daemon_threads = True  # a request stuck in delay_s never blocks stop()
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="twilio-mock", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> TwilioMock:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the API ---------------------------------------------------------------------------
    def handle(
        self, method: str, path: str, headers: dict[str, str], raw: str
    ) -> tuple[int, dict, dict[str, str]]:
        """(status, JSON body, extra headers) for one request. Runs in a server thread."""
        authorization = headers.get("authorization", "")
        with self._lock:
            self.calls.append(
                {
                    "method": method,
                    "path": path,
                    "authorization": authorization,
                    "user_agent": headers.get("user-agent", ""),
                    "content_type": headers.get("content-type", ""),
                }
            )
            delay = self.delay_s
        if delay:
            time.sleep(delay)
        match = _MESSAGES.match(path.split("?", 1)[0]) or _CALLS.match(path.split("?", 1)[0])
        if not match:
            return _error(404, 20404, f"The requested resource {path} was not found")
        if method not in ("POST", "GET") or (method == "GET" and match.re is not _CALLS):
            return _error(405, 20004, "Method not allowed")
        expected = "Basic " + base64.b64encode(
            f"{self.account_sid}:{self.auth_token}".encode()
        ).decode("ascii")
        if match["sid"] != self.account_sid or not hmac.compare_digest(
            authorization.encode(), expected.encode()
        ):
            return _error(401, 20003, "Authenticate")
        if method == "GET":
            return self._list_calls(parse_qs(path.partition("?")[2]))
        with self._lock:
            fault = self._next_faults.pop(0) if self._next_faults else None
        if fault is not None:
            status, retry_after = fault
            code = 20429 if status == 429 else 20500
            extra = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
            return (*_error(status, code, "Injected fault")[:2], extra)
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        return self._create(_CALL if match.re is _CALLS else _MESSAGE, form)

    def _refused(
        self, kind: _Kind, form: dict[str, str]
    ) -> tuple[int, dict, dict[str, str]] | None:
        """The error a programmed fault, a magic test number or a missing field gives, if any."""
        to = form.get("To", "")
        with self._lock:
            number_fault = self._number_faults.get(to)
        if number_fault is not None:
            status, code = number_fault
            return _error(status, code, f"Injected error {code} for {to}")
        if to in MAGIC_ERRORS:
            return _error(400, *MAGIC_ERRORS[to])
        for names, code, message in kind.required:
            if not any(form.get(name) for name in names):
                return _error(400, code, message)
        return None

    def _create(self, kind: _Kind, form: dict[str, str]) -> tuple[int, dict, dict[str, str]]:
        """A message or a call: refused as Twilio would refuse it, or kept and returned."""
        refused = self._refused(kind, form)
        if refused is not None:
            return refused
        record = {
            "sid": kind.sid_prefix + uuid.uuid4().hex,
            "To": form["To"],
            **{name: form.get(name) for name in kind.fields},
            "received_at": time.time(),
            "accepted_at": time.perf_counter(),  # for benchmarks in this process: the instant
            "form": form,
        }
        with self._lock:
            (self.voice_calls if kind is _CALL else self.messages).append(record)
            self.accepted.notify_all()
        return 201, self._json(kind, record), {}

    def _json(self, kind: _Kind, record: dict) -> dict:
        """The resource Twilio returns for a kept message or call."""
        created = format_datetime(datetime.fromtimestamp(record["received_at"], UTC))
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/{kind.name}/{record['sid']}"
        resource = {
            "sid": record["sid"],
            "account_sid": self.account_sid,
            "to": record["To"],
            "from": record["From"],
            # like Twilio: a Messaging Service without From first picks a sender ("accepted")
            "status": "queued" if record["From"] else "accepted",
            "direction": "outbound-api",
            "date_created": created,
            "date_updated": created,
            "api_version": API_VERSION,
            "uri": f"{uri}.json",
        }
        if kind is _CALL:
            return resource
        return {
            **resource,
            "messaging_service_sid": record["MessagingServiceSid"],
            "body": record["Body"],
            "num_segments": str(segment_count(record["Body"])),
            "num_media": "0",
            "date_sent": None,
            "error_code": None,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "subresource_uris": {"media": f"{uri}/Media.json"},
        }

    # -- the Calls API and playing a call out ------------------------------------------------
    def _list_calls(self, query: dict[str, list[str]]) -> tuple[int, dict, dict[str, str]]:
        """GET Calls.json?To=…: the calls to that number, newest first (one page)."""
        to = query.get("To", [""])[0]
        with self._lock:
            found = [c for c in reversed(self.voice_calls) if not to or c["To"] == to]
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls.json"
        page = {
            "calls": [self._json(_CALL, c) for c in found[:50]],
            "first_page_uri": uri,
            "next_page_uri": None,
            "previous_page_uri": None,
            "page": 0,
            "page_size": 50,
            "start": 0,
            "end": max(0, len(found[:50]) - 1),
            "uri": uri,
        }
        return 200, page, {}

    def calls_to(self, to: str) -> list[dict]:
        with self._lock:
            return [c for c in self.voice_calls if c["To"] == to]

    async def _post(self, client: httpx.AsyncClient, url: str, params: dict) -> httpx.Response:
        """POST a webhook signed as Twilio signs it (the URL with its query, the form)."""
        signature = sign(url, params, self.auth_token)
        with self._lock:
            self.webhooks.append((url, dict(params), signature))
        return await client.post(url, data=params, headers={"X-Twilio-Signature": signature})

    def _params(self, call: dict, status: str, **extra: str) -> dict:
        return {
            "CallSid": call["sid"],
            "AccountSid": self.account_sid,
            "From": call["From"],
            "To": call["To"],
            "Direction": "outbound-api",
            "CallStatus": status,
            **extra,
        }

    async def answer(
        self,
        call: dict,
        client: httpx.AsyncClient,
        digits: str = "",
        *,
        answered_by: str = "human",
    ) -> list[str]:
        """The callee answers and presses `digits` one key per Gather (none left: silence);
        the TwiML is followed to its end, then the call completes. Returns what was said."""
        said: list[str] = []
        keys = list(digits)
        params = self._params(call, "in-progress", AnsweredBy=answered_by)
        response = await self._post(client, call["Url"], params)
        for _ in range(10):  # a Gather, a Redirect, …: never more than a few steps
            assert response.status_code == 200, response.text
            root = ElementTree.fromstring(response.text)
            said += [say.text or "" for say in root.iter("Say")]
            assert all(s.get("language") == "da-DK" for s in root.iter("Say")), response.text
            gather = root.find("Gather")
            redirect = root.find("Redirect")
            if gather is not None and keys:
                step = self._params(call, "in-progress", Digits=keys.pop(0))
                response = await self._post(client, gather.get("action", ""), step)
            elif redirect is not None and redirect.text:
                response = await self._post(
                    client, redirect.text, self._params(call, "in-progress")
                )
            else:
                break
        await self.end(call, client, "completed", answered_by=answered_by)
        return said

    async def machine(self, call: dict, client: httpx.AsyncClient) -> list[str]:
        """Voicemail answers (answering-machine detection says `machine_start`)."""
        return await self.answer(call, client, answered_by="machine_start")

    async def busy(self, call: dict, client: httpx.AsyncClient) -> httpx.Response:
        return await self.end(call, client, "busy")

    async def no_answer(self, call: dict, client: httpx.AsyncClient) -> httpx.Response:
        return await self.end(call, client, "no-answer")

    async def end(
        self, call: dict, client: httpx.AsyncClient, status: str, *, answered_by: str = ""
    ) -> httpx.Response:
        """The call's status callback: completed, busy, no-answer, failed, canceled."""
        extra = {"AnsweredBy": answered_by} if answered_by else {}
        response = await self._post(
            client, call["StatusCallback"], self._params(call, status, **extra)
        )
        assert response.status_code == 204, response.text
        return response


def _error(status: int, code: int, message: str) -> tuple[int, dict, dict[str, str]]:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return status, body, {}


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # a client that gave up (a time-out test) closes its socket mid-answer: not an error
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


def _handler_for(mock: TwilioMock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as aiohttp's pool expects
        server_version = "TwilioMock/1.0"

        def setup(self) -> None:
            super().setup()
            # headers and body leave in two writes: without TCP_NODELAY, Nagle's algorithm and
            # the client's delayed ACK add 40 ms to every response (real Twilio has no such lag)
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body, extra = mock.handle(self.command, self.path, headers, raw)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_POST = do_GET = do_DELETE = _serve

    return Handler


@contextmanager
def twilio_mock(**kwargs: object) -> Iterator[TwilioMock]:
    """`with twilio_mock() as mock:` — a started mock, stopped afterwards."""
    with TwilioMock(**kwargs) as mock:  # type: ignore[arg-type]
        yield mock


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - standalone use
    parser = argparse.ArgumentParser(description="Twilio-compatible Messages API on loopback")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--account-sid", default=TEST_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=TEST_AUTH_TOKEN)
    args = parser.parse_args(argv)
    mock = TwilioMock(args.account_sid, args.auth_token, port=args.port, host=args.host).start()
    # first line: the base URL alone, for scripts; then the settings to point the app at it
    print(mock.base_url, flush=True)
    print(
        f"TWILIO_API_BASE_URL={mock.base_url} TWILIO_ACCOUNT_SID={mock.account_sid} "
        f"TWILIO_AUTH_TOKEN={mock.auth_token} TWILIO_FROM={TEST_FROM}",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        mock.stop()


if __name__ == "__main__":
    main()
