"""Deadlines as rows with `due_at`: escalation timeouts, endorsement reminders and the like.

APScheduler only ticks; each tick claims due rows and runs the handler for each row's kind in its
own transaction. A handler that raises is retried a few times, then marked failed and logged: one
poison row never stalls the rest of the queue.

Who commits: `run_due` owns its transactions by design (the claim, each handler with its row's
`done`, each failure), because a handler's work and the row's fate must commit or fail together;
handlers run inside that transaction and never commit. `schedule` and `cancel_for_activation`
run inside the caller's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import String, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import staged
from beredskab.db import raced
from beredskab.errors import RACE_TRIES
from beredskab.metadata import utcnow
from beredskab.queue import claim_due

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
LEASE = timedelta(seconds=60)


class DeadlineStatus(StrEnum):
    pending = "pending"
    claimed = "claimed"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"


class Deadline(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    activation_id: str | None = Field(
        default=None, foreign_key="activation.id", max_length=36, index=True
    )
    subject_id: int | None = None
    due_at: datetime = Field(index=True)
    status: DeadlineStatus = Field(default=DeadlineStatus.pending, sa_type=String(10), index=True)
    lease_until: datetime | None = None
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None


Handler = Callable[[AsyncSession, Deadline, datetime], Awaitable[None]]


def schedule(
    session: AsyncSession,
    kind: str,
    due_at: datetime,
    *,
    activation_id: str | None = None,
    subject_id: int | None = None,
) -> None:
    """A deadline row, written with the caller's transaction (`staged`: one INSERT for all the
    deadlines a use case schedules)."""
    staged.stage(
        session,
        Deadline.__table__,
        {
            "kind": kind,
            "activation_id": activation_id,
            "subject_id": subject_id,
            "due_at": due_at,
            "status": DeadlineStatus.pending,
            "lease_until": None,
            "attempts": 0,
            "last_error": None,
            "created_at": utcnow(),
            "done_at": None,
        },
    )


async def cancel_for_activation(
    session: AsyncSession, activation_id: str, *, keep: Collection[str] = ()
) -> int:
    """Cancel the activation's deadlines not yet done, but those of the kinds in `keep`."""
    result = await session.exec(
        update(Deadline)
        .where(
            Deadline.activation_id == activation_id,
            Deadline.status.in_([DeadlineStatus.pending, DeadlineStatus.claimed]),
            Deadline.kind.not_in(keep),
        )
        .values(status=DeadlineStatus.cancelled)
    )
    return result.rowcount or 0


async def next_due(sessionmaker: async_sessionmaker[AsyncSession]) -> datetime | None:
    """When the earliest pending deadline falls due (None: none pending); one indexed MIN."""
    async with sessionmaker() as session:
        return (
            await session.exec(
                select(func.min(Deadline.due_at)).where(Deadline.status == DeadlineStatus.pending)
            )
        ).scalar_one()


async def run_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    handlers: Mapping[str, Handler],
    *,
    now: datetime | None = None,
    limit: int = 50,
) -> int:
    """Claim and run due deadlines; returns how many were handled (done or failed)."""
    now = now or utcnow()
    async with sessionmaker() as session:
        rows = await claim_due(
            session,
            Deadline,
            due_column=Deadline.due_at,
            claimed_status=DeadlineStatus.claimed,
            now=now,
            lease=LEASE,
            limit=limit,
        )
        await session.commit()
    for row in rows:
        await _run_one(sessionmaker, handlers, row, now)
    return len(rows)


async def _run_one(
    sessionmaker: async_sessionmaker[AsyncSession],
    handlers: Mapping[str, Handler],
    row: Deadline,
    now: datetime,
) -> None:
    handler = handlers.get(row.kind)
    if handler is None:  # no retry can help a kind nobody handles
        log.error("deadline %s has unknown kind %r; marked failed", row.id, row.kind)
        await _record_failure(sessionmaker, row, f"unknown kind {row.kind!r}", True, now)
        return
    try:
        for race in range(RACE_TRIES):
            try:
                async with sessionmaker() as session:
                    await handler(session, row, now)
                    await _finish(session, row.id, DeadlineStatus.done, None, now)
                    await session.commit()
                break
            except IntegrityError as exc:
                # another transaction gave the same value at the same moment (`db.may_race`):
                # a new try draws another, now rather than after a failure's back-off
                if not raced(exc) or race == RACE_TRIES - 1:
                    raise
                log.info("deadline %s (%s) met a race; trying again", row.id, row.kind)
    except Exception as exc:  # noqa: BLE001 - a poison row must not stop the queue
        give_up = row.attempts >= MAX_ATTEMPTS
        log.exception(
            "deadline %s (%s) failed on attempt %s%s",
            row.id,
            row.kind,
            row.attempts,
            "; giving up" if give_up else "; will retry",
        )
        await _record_failure(sessionmaker, row, f"{type(exc).__name__}: {exc}", give_up, now)


async def _record_failure(
    sessionmaker: async_sessionmaker[AsyncSession],
    row: Deadline,
    error: str,
    give_up: bool,
    now: datetime,
) -> None:
    async with sessionmaker() as session:
        status = DeadlineStatus.failed if give_up else DeadlineStatus.pending
        retry_at = now + timedelta(seconds=5 * 2**row.attempts)
        await _finish(session, row.id, status, error[:1000], retry_at)
        await session.commit()


async def _finish(
    session: AsyncSession,
    row_id: int | None,
    status: DeadlineStatus,
    error: str | None,
    at: datetime,
) -> None:
    values: dict = {"status": status, "last_error": error, "lease_until": None}
    if status is DeadlineStatus.pending:
        values["due_at"] = at
    else:
        values["done_at"] = at
    await session.exec(
        update(Deadline)
        .where(Deadline.id == row_id, Deadline.status == DeadlineStatus.claimed)
        .values(**values)
    )
