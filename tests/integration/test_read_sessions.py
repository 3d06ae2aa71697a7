"""Requests that only read (GET) use a reader's connection, and a long read does not hold up the
crisis's writes: on SQLite the readers have a pool of their own beside the one writer connection
and their transactions never take the write lock (`db.make_read_engine`)."""

from __future__ import annotations

import asyncio

from sqlmodel import func, select

from beredskab.eventlog.models import LogEntry
from tests.factories import bearer
from tests.scenario import open_world

GUARD = 20  # seconds: a guard against hanging (a writer queued behind the reader), not a measure


async def test_writes_go_on_while_a_long_read_is_open(db):
    async with await open_world(db) as world:
        act = await world.staffed_activation()
        runtime = world.runtime
        if db.kind == "sqlite":
            assert runtime.read_engine is not runtime.engine
        log = f"/activations/{act['id']}/log"
        headers = bearer(world.tokens["log0"])
        # a reader in the middle of a long read (a PDF export, a year's report): its
        # transaction is open and has read
        async with runtime.read_sessionmaker() as reader:
            before = (
                await reader.exec(select(func.count()).where(LogEntry.activation_id == act["id"]))
            ).one()
            async with asyncio.timeout(GUARD):
                writes = await asyncio.gather(
                    *(
                        world.client.post(
                            log, json={"kind": "note", "text": f"post {i}"}, headers=headers
                        )
                        for i in range(3)
                    )
                )
            assert [r.status_code for r in writes] == [201, 201, 201]
        # and the other way round: a GET is served while a writer's transaction is open
        async with runtime.sessionmaker() as writer:
            await writer.connection()  # on SQLite: the one writer connection, its write lock
            async with asyncio.timeout(GUARD):
                page = await world.client.get(log, headers=headers)
                pdf = await world.client.get(log, params={"format": "pdf"}, headers=headers)
            assert page.status_code == 200 and pdf.status_code == 200
            assert len(page.json()["entries"]) == before + 3
