"""Voice escalation latency: from the instant a page's call falls due (its `page_call` deadline's
`due_at`) until the mock Twilio has accepted the call, through the server's own scheduler tick
(SCHEDULER_TICK_SECONDS, default 1 s), deadline handler, outbox and dispatcher.

Each round POSTs an activation (steering token: the four roles are paged at once), then moves
the four pages' call deadlines to one instant 1.5–2.5 s ahead: more than a tick, so the server
learns of it in time as it does of a real page's call (due minutes after the page), and the due
instant falls anywhere within a tick. Baseline, same run and server: the SMS
page path, POST /activations until the mock has accepted the four pages' SMS.

Target (issue 15): p99 <= 1 s, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from bench.common import cli, databases, free_port, percentile, server, token, twilio_env
from beredskab.db import make_engine
from tests.twilio_mock import TwilioMock

N = int(os.environ.get("BENCH_VOICE_ROUNDS", "40"))
TARGET_P99_MS = 1000.0
BODY = {"title": "Bench", "contact_name": "A", "contact_phone": "20123456", "authority_id": "odder"}


async def _make_due(db_url: str, activation_id: str, due: datetime) -> int:
    engine = make_engine(db_url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(
                text(
                    "UPDATE deadline SET due_at = :due WHERE kind = 'page_call' "
                    "AND activation_id = :aid AND status = 'pending'"
                ),
                {"due": due, "aid": activation_id},
            )
            return result.rowcount or 0
    finally:
        await engine.dispose()


def _wait(mock: TwilioMock, rows: str, start: int, n: int, t0: float, what: str) -> list[dict]:
    while True:
        with mock._lock:  # noqa: SLF001 - the bench reads the mock's records as tests do
            got = list(getattr(mock, rows)[start:])
        if len(got) >= n:
            return got[:n]
        if time.perf_counter() - t0 > 15:
            raise RuntimeError(f"only {len(got)} {what} after 15 s")
        time.sleep(0.0005)


def _rounds(db_url: str, mock: TwilioMock, n: int) -> tuple[list[float], list[float]]:
    cli(db_url, "migrate")
    cli(db_url, "directory", "import", "data/ddh_directory.yaml")
    steering = token(db_url, "steering", "--person", "p012")
    port = free_port()
    env = twilio_env(db_url, mock)
    rng = random.Random(15)
    sms_ms: list[float] = []
    call_ms: list[float] = []
    with (
        server(["-m", "beredskab", "serve", "--port", str(port)], env, port),
        httpx.Client(headers={"Authorization": f"Bearer {steering}"}) as client,
    ):
        for _ in range(n):
            before = len(mock.messages)
            t0 = time.perf_counter()
            r = client.post(f"http://127.0.0.1:{port}/activations", json=BODY)
            r.raise_for_status()
            _wait(mock, "messages", before, 4, t0, "page SMS")
            sms_ms.append((time.perf_counter() - t0) * 1000)
            calls_before = len(mock.voice_calls)
            # ahead by more than a tick: the server sees it coming, as it sees a page's call
            due = datetime.now(UTC) + timedelta(seconds=1.5 + rng.random())
            moved = asyncio.run(_make_due(db_url, r.json()["id"], due))
            assert moved == 4, f"{moved} call deadlines, not 4"
            for call in _wait(mock, "voice_calls", calls_before, 4, time.perf_counter(), "calls"):
                call_ms.append((call["received_at"] - due.timestamp()) * 1000)
    return sms_ms, call_ms


def main() -> None:
    print(f"voice escalation: {N} activations, each role's call from due to accepted by the mock")
    with TwilioMock() as mock:
        for name, url in databases():
            sms, calls = _rounds(url, mock, N)
            s99, c50, c99 = percentile(sms, 99), percentile(calls, 50), percentile(calls, 99)
            verdict = "meets" if c99 <= TARGET_P99_MS else "MISSES"
            print(
                f"  {name:<10} call p50 {c50:6.0f} ms  p99 {c99:6.0f} ms "
                f"({c99 / s99:4.1f}x the SMS page path's p99 {s99:.0f} ms)  "
                f"{verdict} p99 <= {TARGET_P99_MS:.0f} ms"
            )


if __name__ == "__main__":
    main()
