"""Durability under repeated crashes (#13): a worker SIGKILLed at random points while sending,
restarted, killed again, five times, then left to finish. Nothing is lost, and a message goes
out twice only if the provider had accepted it in the instant before a kill (the worker never
learnt it was sent): at most the sends in flight, per kill."""

from __future__ import annotations

import asyncio
import random
import signal
from collections import Counter

import pytest
from sqlmodel import select

from beredskab.outbox import OutboxMessage, OutboxStatus, enqueue_sms
from tests.integration.test_worker_crash import CONCURRENCY, _start_worker, _worker_env
from tests.twilio_mock import TwilioMock

N = 150
KILLS = 5


async def _rows(db) -> list[OutboxMessage]:
    async with db.sessionmaker() as s:
        return list((await s.exec(select(OutboxMessage))).all())


@pytest.mark.slow
async def test_repeated_sigkills_lose_nothing_and_double_only_what_was_in_flight(db):
    rng = random.Random(1313)  # fixed: the same kill points on every run
    with TwilioMock() as mock:
        mock.delay_s = 0.03
        async with db.sessionmaker() as s:
            for n in range(N):
                enqueue_sms(s, f"+45604{n:05d}", f"Besked {n}")
            await s.commit()
        env = _worker_env(db.url, mock)
        orphans_per_kill: list[int] = []
        for _ in range(KILLS):
            before = len(mock.messages)
            worker = await _start_worker(env)
            try:
                target = before + rng.randint(5, 20)  # kill after a random number of sends
                for _ in range(1000):
                    if len(mock.messages) >= target:
                        break
                    await asyncio.sleep(rng.uniform(0.001, 0.02))
            finally:
                worker.send_signal(signal.SIGKILL)
                await worker.wait()
            await asyncio.sleep(10 * mock.delay_s)  # requests already at the mock finish
            accepted = Counter(m["To"] for m in mock.messages)
            unmarked = {r.recipient for r in await _rows(db) if r.status != OutboxStatus.sent}
            orphans = sum(1 for to in unmarked if accepted[to] > 0)
            assert orphans <= CONCURRENCY, "more accepted-but-unmarked sends than can be in flight"
            orphans_per_kill.append(orphans)
        worker = await _start_worker(env)
        try:
            for _ in range(1500):
                rows = await _rows(db)
                if all(r.status == OutboxStatus.sent for r in rows):
                    break
                await asyncio.sleep(0.02)
        finally:
            worker.send_signal(signal.SIGTERM)
            _, err = await worker.communicate()
    rows = await _rows(db)
    assert all(r.status == OutboxStatus.sent for r in rows), err.decode()[-2000:]
    copies = Counter(m["To"] for m in mock.messages)
    assert set(copies) == {f"+45604{n:05d}" for n in range(N)}, "a message was lost"
    duplicates = sum(copies.values()) - N
    # the README's reliability figures come from this line (pytest -s)
    print(f"kills {KILLS}, sent {N}, lost 0, duplicates {duplicates}, in flight {orphans_per_kill}")
    assert duplicates <= sum(orphans_per_kill), (duplicates, orphans_per_kill)
