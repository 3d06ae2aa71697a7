"""SQLite's WAL is checkpointed beside the writer, by the scheduler, never inside a request's
commit (issue #18: the automatic checkpoint, ~20 ms with its sync, was P1's tail)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from beredskab.db import (
    checkpoint,
    checkpoint_in_background,
    make_engine,
    make_read_engine,
    make_sessionmaker,
)
from tests.factories import make_activation
from tests.scenario import open_world

pytestmark = pytest.mark.db


async def _autocheckpoint(engine) -> int:  # noqa: ANN001 - AsyncEngine
    async with engine.connect() as conn:
        return (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one()


async def test_a_writer_leaves_the_checkpoint_to_the_background_which_does_it(db):
    engine = make_engine(db.url)
    readers = make_read_engine(db.url, engine)
    try:
        background = checkpoint_in_background(engine)
        if db.kind != "sqlite":  # PostgreSQL has no WAL of ours to look after
            assert background is False
            assert await checkpoint(readers) is None
            return
        assert background is True
        assert await _autocheckpoint(engine) == 0
        assert await _autocheckpoint(readers) == 1000  # only the writer's connections change
        maker = make_sessionmaker(engine)
        for _ in range(3):
            async with maker() as session:
                await make_activation(session)
        busy, frames, done = await checkpoint(readers)
        # every frame the commits wrote went into the database file, none was left waiting
        assert (busy, done) == (0, frames)
        assert frames > 0
    finally:
        await engine.dispose()
        await readers.dispose()


async def test_a_serving_runtime_checkpoints_on_its_scheduler(db):
    async with await open_world(db) as world:
        runtime = world.runtime
        runtime.start_background()
        jobs = {job.id for job in runtime._scheduler.get_jobs()}  # noqa: SLF001 - its own jobs
        assert ("checkpoint" in jobs) is (db.kind == "sqlite")
        if db.kind == "sqlite":
            assert await _autocheckpoint(runtime.engine) == 0
            # scheduled, not added paused
            assert runtime._scheduler.get_job("checkpoint").next_run_time is not None  # noqa: SLF001
