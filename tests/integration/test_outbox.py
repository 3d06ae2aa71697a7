"""Outbox claims: leased, never handed to two claimers, returned after a crash."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from beredskab.metadata import utcnow
from beredskab.outbox import Channel, claim, enqueue_sms


async def test_claims_are_disjoint_and_expired_leases_come_back(db):
    async with db.sessionmaker() as s:
        for n in range(30):
            enqueue_sms(s, f"+45604{n:05d}", "x")
        await s.commit()
    now = utcnow()

    async def one() -> list[int]:
        async with db.sessionmaker() as s:
            rows = await claim(
                s, channel=Channel.sms, now=now, lease=timedelta(seconds=30), limit=10
            )
            await s.commit()
            return [r.id for r in rows]

    batches = await asyncio.gather(*(one() for _ in range(4)))
    ids = [i for b in batches for i in b]
    assert len(ids) == len(set(ids)) == 30
    async with db.sessionmaker() as s:
        assert (
            await claim(s, channel=Channel.sms, now=now, lease=timedelta(seconds=30), limit=50)
            == []
        )
        back = await claim(
            s,
            channel=Channel.sms,
            now=now + timedelta(seconds=31),
            lease=timedelta(seconds=30),
            limit=50,
        )
        await s.commit()
    assert len(back) == 30 and all(r.attempts == 2 for r in back)


async def test_callbacks_are_not_claimed_as_sms(db):
    from beredskab.outbox import enqueue_callback

    async with db.sessionmaker() as s:
        enqueue_callback(s, "https://example.org/hook", "{}", None)
        await s.commit()
        assert (
            await claim(s, channel=Channel.sms, now=utcnow(), lease=timedelta(seconds=5), limit=5)
            == []
        )
