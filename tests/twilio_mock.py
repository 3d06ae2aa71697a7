"""A Twilio-compatible Messages API on loopback, for tests and benchmarks.

Speaks enough of POST /2010-04-01/Accounts/{sid}/Messages.json for the real twilio SDK: Basic
auth, form body, a Message resource back. Twilio's magic test numbers fail as Twilio's do;
further faults can be programmed. Standard library only, in a thread, so worker subprocesses
reach it too. `python -m tests.twilio_mock --port 0` runs it standalone.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from twilio.request_validator import RequestValidator

MAGIC_ERRORS = {
    "+15005550001": 21211,
    "+15005550002": 21612,
    "+15005550003": 21408,
    "+15005550004": 21610,
    "+15005550009": 21614,
}
_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC\w+)/Messages\.json$")


def sign(url: str, params: dict, auth_token: str) -> str:
    """The X-Twilio-Signature Twilio would send for a webhook POST of `params` to `url`."""
    return RequestValidator(auth_token).compute_signature(url, params)


class TwilioMock:
    def __init__(
        self,
        account_sid: str = "AC" + "a1" * 16,
        auth_token: str = "mock-auth-token",
        port: int = 0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.port = port
        self.messages: list[dict] = []
        self.requests = 0
        self.delay_s = 0.0
        self._number_faults: dict[str, tuple[int, int]] = {}
        self._next_faults: list[int] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- programming faults ----------------------------------------------------------------
    def fail_number(self, to: str, code: int, status: int = 400) -> None:
        self._number_faults[to] = (status, code)

    def fail_next(self, n: int, status: int = 500) -> None:
        with self._lock:
            self._next_faults.extend([status] * n)

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> TwilioMock:
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                status, body = mock._handle(self.path, self.headers.get("Authorization", ""), raw)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> TwilioMock:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the API ---------------------------------------------------------------------------
    def _error(self, status: int, code: int, message: str) -> tuple[int, dict]:
        return status, {
            "code": code,
            "message": message,
            "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
        }

    def _handle(self, path: str, authorization: str, raw: str) -> tuple[int, dict]:
        with self._lock:
            self.requests += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        match = _PATH.match(path.split("?", 1)[0])
        if not match:
            return self._error(404, 20404, "The requested resource was not found")
        expected = (
            "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        )
        if match["sid"] != self.account_sid or authorization != expected:
            return self._error(401, 20003, "Authenticate")
        with self._lock:
            fault = self._next_faults.pop(0) if self._next_faults else None
        if fault is not None:
            code = 20429 if fault == 429 else 20500
            return self._error(fault, code, "Injected fault")
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        to = form.get("To", "")
        if to in self._number_faults:
            status, code = self._number_faults[to]
            return self._error(status, code, "Injected number fault")
        if to in MAGIC_ERRORS:
            return self._error(400, MAGIC_ERRORS[to], "Test number error")
        if (
            not to
            or not form.get("Body")
            or not (form.get("From") or form.get("MessagingServiceSid"))
        ):
            return self._error(400, 21604, "A 'To', 'Body' and 'From' are required")
        sid = "SM" + uuid.uuid4().hex
        now = datetime.now(UTC)
        record = {"sid": sid, "received_at": time.time(), **form}
        with self._lock:
            self.messages.append(record)
        return 201, {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form["Body"],
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "date_created": format_datetime(now),
            "date_updated": format_datetime(now),
            "date_sent": None,
            "error_code": None,
            "error_message": None,
            "price": None,
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }


def main() -> None:  # pragma: no cover - standalone use
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    mock = TwilioMock(port=args.port).start()
    print(
        f"twilio mock at {mock.base_url} account {mock.account_sid} token {mock.auth_token}",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        mock.stop()


if __name__ == "__main__":
    main()
