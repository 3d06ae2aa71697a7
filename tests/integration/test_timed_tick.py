"""A deadline due before the next scheduler tick gets a tick of its own at its instant (a page's
call is placed when it falls due, not up to a tick later)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import select

from beredskab import deadlines
from beredskab.deadlines import Deadline, DeadlineStatus
from beredskab.metadata import utcnow
from tests.scenario import open_world


async def _status(db, row_id: int) -> DeadlineStatus:
    async with db.sessionmaker() as s:
        row = await s.get(Deadline, row_id)
        assert row is not None
        return row.status


async def test_a_deadline_due_between_ticks_runs_at_its_instant(db):
    async with db.sessionmaker() as s:
        deadlines.schedule(s, "bench_probe", utcnow() + timedelta(seconds=1.5))
        await s.commit()
        row_id = (await s.exec(select(Deadline.id).where(Deadline.kind == "bench_probe"))).one()
    settings = {"run_worker_in_process": True, "scheduler_tick_seconds": 30}
    async with await open_world(db, settings):
        await asyncio.sleep(0.5)
        assert await _status(db, row_id) == DeadlineStatus.pending  # not before it is due
        for _ in range(60):  # the next regular tick is 30 s away
            await asyncio.sleep(0.1)
            # claimed is the moment between taking the row and writing its outcome
            if await _status(db, row_id) not in (DeadlineStatus.pending, DeadlineStatus.claimed):
                break
        # nobody handles this kind: marked failed, but run, at its instant
        assert await _status(db, row_id) == DeadlineStatus.failed
