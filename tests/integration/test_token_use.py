"""A token's last use is recorded at most once a minute, after the request, never in its way."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import event

from beredskab.auth.models import ApiToken
from beredskab.auth.service import authenticate
from beredskab.auth.usage import TokenUse
from beredskab.metadata import utcnow
from tests.factories import bearer, make_token
from tests.scenario import open_world

GUARD = 20  # seconds: a guard against hanging, not a measure


def _count_token_writes(engine) -> list[str]:  # noqa: ANN001 - AsyncEngine
    writes: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _seen(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("UPDATE API_TOKEN"):
            writes.append(statement)

    return writes


async def _last_used(world, token_id: int) -> datetime | None:
    async with world.runtime.sessionmaker() as s:
        return (await s.get(ApiToken, token_id)).last_used_at


async def test_a_burst_of_requests_records_the_last_use_once(db):
    async with await open_world(db) as world:
        writes = _count_token_writes(world.runtime.engine)
        before = utcnow()
        headers = bearer(world.tokens["admin"])
        replies = await asyncio.gather(
            *(world.client.get("/admin/tokens", headers=headers) for _ in range(30))
        )
        assert {r.status_code for r in replies} == {200}
        await world.runtime.token_use.flush()
        assert len(writes) == 1
        listed = (await world.client.get("/admin/tokens", headers=headers)).json()
        await world.runtime.token_use.flush()
        used = {t["prefix"]: t["last_used_at"] for t in listed}
        assert datetime.fromisoformat(used[world.tokens["admin"][:10]]) >= before
        assert len(writes) == 1  # the row says it was used a moment ago: nothing to write
        assert used[world.tokens["finance"][:10]] is None


async def test_the_last_use_is_written_again_after_a_minute(db):
    async with db.sessionmaker() as s:
        token = await make_token(s, "finance")
        never_used = await authenticate(s, token)
    use, now = TokenUse(db.sessionmaker), utcnow()
    for seconds in (0, 10, 59):
        use.note(never_used, now + timedelta(seconds=seconds))
    await use.flush()
    async with db.sessionmaker() as s:
        principal = await authenticate(s, token)
    assert principal.last_used_at == now
    use.note(principal, now + timedelta(seconds=61))
    await use.flush()
    async with db.sessionmaker() as s:
        assert (await authenticate(s, token)).last_used_at == now + timedelta(seconds=61)
    # another process's later write is never undone by an earlier use noted here
    other = TokenUse(db.sessionmaker)
    other.note(never_used, now + timedelta(seconds=30))
    await other.flush()
    async with db.sessionmaker() as s:
        assert (await authenticate(s, token)).last_used_at == now + timedelta(seconds=61)


async def test_recording_the_last_use_never_holds_up_a_request(db):
    async with await open_world(db) as world:
        headers = bearer(world.tokens["finance"])
        # the writer's connection is busy (on SQLite: the one writer, its write lock)
        async with world.runtime.sessionmaker() as writer:
            await writer.connection()
            async with asyncio.timeout(GUARD):
                r = await world.client.get("/tariffs", headers=headers)
            assert r.status_code == 200
        await world.runtime.token_use.flush()
        async with world.runtime.sessionmaker() as s:
            assert (await authenticate(s, world.tokens["finance"])).last_used_at is not None
