"""Durability: a worker killed with SIGKILL mid-send loses nothing and doubles at most the
messages the provider accepted in the instant before the kill."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from beredskab.outbox import OutboxMessage, OutboxStatus, enqueue_sms
from tests.twilio_mock import TwilioMock

ROOT = Path(__file__).resolve().parents[2]
CONCURRENCY = 4  # the dispatcher's parallel sends: the most that can be in flight at a kill


def _worker_env(db_url: str, mock: TwilioMock) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SMS_"))}
    env.update(
        DATABASE_URL=db_url,
        SMS_GATEWAY="twilio",
        TWILIO_ACCOUNT_SID=mock.account_sid,
        TWILIO_AUTH_TOKEN=mock.auth_token,
        TWILIO_FROM="+4570000000",
        TWILIO_API_BASE_URL=mock.base_url,
        SMS_RATE_PER_SECOND="1000",
        OUTBOX_LEASE_SECONDS="1",
        SCHEDULER_TICK_SECONDS="0.2",
        LOG_LEVEL="WARNING",
    )
    return env


async def _start_worker(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "beredskab",
        "worker",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def _sent_rows(db) -> int:
    async with db.sessionmaker() as s:
        return (
            await s.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.sent)
            )
        ).one()


@pytest.mark.slow
async def test_sigkill_mid_send_loses_nothing_and_doubles_only_in_flight(db):
    with TwilioMock() as mock:
        mock.delay_s = 0.05  # ~80 sends/s with 4 in flight: the kill lands mid-run
        async with db.sessionmaker() as s:
            for n in range(100):
                enqueue_sms(s, f"+45603{n:05d}", f"Side {n}: svar OK {1000 + n}")
            await s.commit()
        env = _worker_env(db.url, mock)
        worker = await _start_worker(env)
        try:
            for _ in range(600):
                if len(mock.messages) >= 30:
                    break
                await asyncio.sleep(0.02)
            assert len(mock.messages) >= 30, "worker did not start sending"
        finally:
            worker.send_signal(signal.SIGKILL)
            await worker.wait()
        # requests that reached the mock before the kill are still in its handlers (delay_s):
        # Twilio would accept them, so let them finish before counting what was accepted
        await asyncio.sleep(10 * mock.delay_s)
        accepted_at_kill = len(mock.messages)
        marked_at_kill = await _sent_rows(db)
        assert accepted_at_kill < 100, "kill came too late to test anything"
        in_flight = accepted_at_kill - marked_at_kill
        assert 0 <= in_flight <= CONCURRENCY

        worker = await _start_worker(env)
        try:
            for _ in range(1500):
                if await _sent_rows(db) == 100:
                    break
                await asyncio.sleep(0.02)
        finally:
            worker.send_signal(signal.SIGTERM)
            _, err = await worker.communicate()
        assert await _sent_rows(db) == 100, err.decode()[-2000:]
        recipients = [m["To"] for m in mock.messages]
        assert set(recipients) == {f"+45603{n:05d}" for n in range(100)}
        duplicates = len(recipients) - 100
        assert duplicates <= in_flight
