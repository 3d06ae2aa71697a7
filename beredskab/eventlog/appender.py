"""Group commit for log entries: concurrent appends to one activation share one transaction.

Appends to a log are serialised by the activation row lock (the hash chain needs it), so one
transaction per entry makes eight writers wait in line for each other's commits. Here the first
append to an activation starts a writer task; entries that arrive while it writes are taken by
its next round, all under one lock and one commit. Each caller still gets its own entry back,
or its own error: every check comes before any change (`timeline.manual_entry`), and an entry
refused by them is answered at once, so a round that fails later fails only the entries in it.

A round is five statements whatever its size: lock and read the log's head, ask who of the
round's writers may not write in this log (one query for all of them, under the lock: the
`refusals` hook, handed in by the composition root since the rule reads the crisis staff's
tables, a layer above this one), insert all entries in one statement, move the head, commit
(`eventlog.service.lock_head` / `append_rows`). A writer refused is answered at once with
Forbidden; the others of the round are written.

Who commits: the appender owns its transactions by design (one per round, on a session of its
own, not the request's), which is what lets concurrent writers share one commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.errors import DomainError, Forbidden
from beredskab.eventlog.schemas import LogEntryCreate, LogEntryRead
from beredskab.eventlog.service import append_rows, lock_head
from beredskab.eventlog.timeline import manual_entry, to_read

MAX_BATCH = 200

# (connection, activation id, the round's writers' person ids) -> why each refused one may not
# write; it runs inside the round's transaction, under the activation lock
Refusals = Callable[
    [AsyncConnection, str, Collection[str | None]], Awaitable[dict[str | None, str]]
]


@dataclass
class _Pending:
    data: LogEntryCreate
    author: str
    person_id: str | None
    now: datetime
    done: asyncio.Future[LogEntryRead]


class LogAppender:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], refusals: Refusals) -> None:
        self.sessionmaker = sessionmaker
        self.refusals = refusals
        self._queues: dict[str, list[_Pending]] = {}
        self._writers: dict[str, asyncio.Task] = {}

    async def append(
        self,
        activation_id: str,
        data: LogEntryCreate,
        *,
        author: str,
        person_id: str | None,
        now: datetime,
    ) -> LogEntryRead:
        """Write one entry by `author`, the name of the person `person_id` (None: a caller
        bound to no person, always refused)."""
        done: asyncio.Future[LogEntryRead] = asyncio.get_running_loop().create_future()
        pending = _Pending(data, author, person_id, now, done)
        self._queues.setdefault(activation_id, []).append(pending)
        if activation_id not in self._writers:  # no await between the check and the start
            self._writers[activation_id] = asyncio.create_task(self._write_all(activation_id))
        return await asyncio.shield(done)  # a caller that goes away does not abort the batch

    async def _write_all(self, activation_id: str) -> None:
        try:
            while self._queues.get(activation_id):
                await self._write_round(activation_id)
        finally:
            del self._writers[activation_id]  # no await since the queue was seen empty

    async def _write_round(self, activation_id: str) -> None:
        batch: list[_Pending] = []
        try:
            async with self.sessionmaker() as session:
                conn = await session.connection()
                # take the queue only now: entries that came while this round waited for a
                # connection (and, on SQLite, for its write lock) join it instead of the next
                queue = self._queues.pop(activation_id)
                batch, rest = queue[:MAX_BATCH], queue[MAX_BATCH:]
                if rest:
                    self._queues[activation_id] = rest
                head = await lock_head(conn, activation_id)
                refused = await self.refusals(conn, activation_id, {i.person_id for i in batch})
                accepted: list[tuple[_Pending, dict[str, Any]]] = []
                for item in batch:
                    try:
                        if item.person_id in refused:
                            raise Forbidden(f"{refused[item.person_id]} ({head.ref})")
                        row = manual_entry(head, item.data, author=item.author, now=item.now)
                    except DomainError as exc:
                        # refused before any change: its own answer, whatever the round meets
                        item.done.set_exception(exc)
                        continue
                    accepted.append((item, row))
                    head = replace(head, seq=row["seq"], hash=row["hash"])
                await append_rows(conn, head, [row for _, row in accepted])
                await session.commit()
                # committed: answer now, not after the connection is returned
                for item, row in accepted:
                    if not item.done.done():
                        item.done.set_result(to_read(row, []))
        except Exception as exc:  # noqa: BLE001 - every caller of the batch hears of it
            # (all who wait, if it failed before taking them: a dead database fails them now)
            for item in batch or self._queues.pop(activation_id, []):
                if not item.done.done():
                    item.done.set_exception(exc)
