"""The municipalities' side of the SMS conversation in benchmarks: the code in a volunteer page,
a contact's reply as Twilio posts it, waiting on what the Twilio mock has accepted, and a
`Replier` that answers each page as soon as the mock has it."""

from __future__ import annotations

import itertools
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.common import sms_reply, twilio_signer
from tests.twilio_mock import TwilioMock

CODE = re.compile(r"Svar JA (\d{4})")


def wait_for(
    mock: TwilioMock, count: int, what: str, *, since: int = 0, timeout: float = 60
) -> list[dict]:
    """The first `count` pages ("Svar JA <kode>") the mock accepted after message `since`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in list(mock.messages)[since:] if CODE.search(m["Body"])]
        if len(found) >= count:
            return found[:count]
        time.sleep(0.01)
    raise RuntimeError(f"only {len(found)} of {count} {what} after {timeout:.0f} s")


def quiet(mock: TwilioMock, seconds: float = 1.5) -> int:
    """Wait until nothing has been sent for `seconds` (the token bucket is full again)."""
    seen = -1
    while seen != len(mock.messages):
        seen = len(mock.messages)
        time.sleep(seconds)
    return seen


def reply(page: dict, account_sid: str, agents: int = 1) -> dict:
    """The form Twilio posts when the page's recipient answers "JA <kode> <agents>"."""
    return sms_reply(page, account_sid, f"JA {CODE.search(page['Body']).group(1)} {agents}")


class Replier:
    """Answers every volunteer page the mock accepts "JA <kode> 1" at once, except those to the
    silent numbers: each reply is signed, posted to the next replica in turn (round robin, like a
    load balancer) and timed, then the same form to an empty app (`bench/empty_app.py`)."""

    def __init__(
        self, mock: TwilioMock, replicas: list[str], public: str, empty: str, silent: set[str]
    ):
        self.mock, self.silent = mock, silent
        self.sign = twilio_signer(f"{public}/webhooks/twilio/sms", mock.auth_token)
        self.clients = [httpx.Client(base_url=url, timeout=30) for url in replicas]
        self.empty = httpx.Client(base_url=empty, timeout=30)
        self.turn = itertools.count()
        self.pool = ThreadPoolExecutor(max_workers=16)
        self.futures: list = []
        self.latencies: list[tuple[int, float, float]] = []  # (replica, ms, sent at)
        self.slowest: list[tuple[float, float, str]] = []  # (ms, sent at, page's first words)
        self.baseline: list[float] = []
        self.failures: list[str] = []
        self.replied: list[tuple[str, str]] = []  # (phone, code)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self, since: int) -> None:
        self.seen = since
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            new = self.mock.messages[self.seen : len(self.mock.messages)]
            self.seen += len(new)
            for page in new:
                if CODE.search(page["Body"]) and page["To"] not in self.silent:
                    self.futures.append(self.pool.submit(self._answer, page))
            time.sleep(0.002)

    def _answer(self, page: dict) -> None:
        params = reply(page, self.mock.account_sid)
        self.replied.append((params["From"], CODE.search(page["Body"]).group(1)))
        headers = self.sign(params)
        replica = next(self.turn) % len(self.clients)
        started = time.perf_counter()
        r = self.clients[replica].post("/webhooks/twilio/sms", data=params, headers=headers)
        ms = (time.perf_counter() - started) * 1000
        self.latencies.append((replica, ms, time.time()))
        self.slowest.append((ms, time.time() - ms / 1000, page["Body"][:40]))
        if r.status_code != 200 or "<Message>" in r.text:
            self.failures.append(f"{r.status_code} {r.text[:100]}")
        started = time.perf_counter()
        self.empty.post("/echo-form", data=params).raise_for_status()
        self.baseline.append((time.perf_counter() - started) * 1000)

    def idle(self) -> bool:
        return all(f.done() for f in list(self.futures))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.pool.shutdown(wait=True)
        for client in [*self.clients, self.empty]:
            client.close()


async def reply_waits(conn) -> list[float]:  # noqa: ANN001 - an AsyncConnection
    """ms from each stored reply's arrival until it was done (`processed_at`: on PostgreSQL when
    the drain took it from the line, flows.in_line); replies not done are left out."""
    from sqlalchemy import select

    from beredskab.activations.models import InboundSms

    rows = await conn.execute(select(InboundSms.received_at, InboundSms.processed_at))
    return [(done - came).total_seconds() * 1000 for came, done in rows.all() if done]
