"""Group commit for log entries: concurrent appends to one activation share one transaction.

Appends to a log are serialised by the activation row lock (the hash chain needs it), so one
transaction per entry makes eight writers wait in line for each other's commits. Here the first
append to an activation starts a writer task; entries that arrive while it writes are taken by
its next round, all under one lock and one commit. Each caller still gets its own entry back,
or its own error: every check comes before any change (`timeline.append_manual`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.repository import lock_activation
from beredskab.errors import DomainError
from beredskab.eventlog.models import LogEntry
from beredskab.eventlog.schemas import LogEntryCreate
from beredskab.eventlog.timeline import append_manual

MAX_BATCH = 200


@dataclass
class _Pending:
    data: LogEntryCreate
    author: str
    now: datetime
    done: asyncio.Future[LogEntry]


class LogAppender:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self._queues: dict[str, list[_Pending]] = {}
        self._writers: dict[str, asyncio.Task] = {}

    async def append(
        self, activation_id: str, data: LogEntryCreate, *, author: str, now: datetime
    ) -> LogEntry:
        done: asyncio.Future[LogEntry] = asyncio.get_running_loop().create_future()
        self._queues.setdefault(activation_id, []).append(_Pending(data, author, now, done))
        if activation_id not in self._writers:  # no await between the check and the start
            self._writers[activation_id] = asyncio.create_task(self._write_all(activation_id))
        return await asyncio.shield(done)  # a caller that goes away does not abort the batch

    async def _write_all(self, activation_id: str) -> None:
        try:
            # entries arriving while a batch is written wait in a fresh list for the next round
            while queue := self._queues.pop(activation_id, None):
                for start in range(0, len(queue), MAX_BATCH):
                    await self._write(activation_id, queue[start : start + MAX_BATCH])
        finally:
            del self._writers[activation_id]  # no await since the last empty pop: nothing lost

    async def _write(self, activation_id: str, batch: list[_Pending]) -> None:
        outcomes: list[tuple[_Pending, LogEntry | DomainError]] = []
        try:
            async with self.sessionmaker() as session:
                activation = await lock_activation(session, activation_id)
                for item in batch:
                    try:
                        entry = await append_manual(
                            session, activation, item.data, author=item.author, now=item.now
                        )
                        outcomes.append((item, entry))
                    except DomainError as exc:
                        outcomes.append((item, exc))
                await session.commit()
        except Exception as exc:  # noqa: BLE001 - every caller of the batch hears of it
            for item in batch:
                if not item.done.done():
                    item.done.set_exception(exc)
            return
        for item, outcome in outcomes:
            if item.done.done():
                continue
            if isinstance(outcome, DomainError):
                item.done.set_exception(outcome)
            else:
                item.done.set_result(outcome)
