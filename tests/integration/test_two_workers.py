"""Two workers on the same due rows: nobody is paged twice for the same step."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlmodel import select

from beredskab.activations.models import Page
from beredskab.metadata import utcnow
from beredskab.outbox import OutboxMessage
from beredskab.runtime import Runtime
from notifications.fake_gateway import FakeGateway
from tests.conftest import make_settings
from tests.scenario import open_world


async def test_two_workers_racing_on_due_rows_page_each_step_once(db):
    async with await open_world(db) as world:
        for n in range(8):
            await world.activate("steering", title=f"Hændelse {n}")
        await world.drain()
    later = utcnow().replace(microsecond=0)
    from datetime import timedelta

    runtimes = [Runtime(make_settings(db), gateway=FakeGateway()) for _ in range(2)]
    try:
        await asyncio.gather(*(rt.tick(now=later + timedelta(minutes=11)) for rt in runtimes))
        await asyncio.gather(*(rt.dispatcher.drain() for rt in runtimes))
        await asyncio.gather(*(rt.tick(now=later + timedelta(minutes=11)) for rt in runtimes))
    finally:
        for rt in runtimes:
            await rt.aclose()
    async with db.sessionmaker() as s:
        pages = (await s.exec(select(Page))).all()
        rows = (await s.exec(select(OutboxMessage).where(OutboxMessage.page_id.is_not(None)))).all()
    steps = Counter((p.activation_id, p.role, p.rank, p.pass_no) for p in pages)
    assert max(steps.values()) == 1
    assert sum(1 for p in pages if p.rank == 1) == 8 * 4
    per_page = Counter(r.page_id for r in rows)
    assert max(per_page.values()) == 1
    sent = [m for rt in runtimes for m in rt.gateway.sent]
    assert len(sent) == len({(m.to, m.body) for m in sent})
