"""One use case, one transaction, and what happens after its commit.

The rule (docs/architecture.md, "Who commits"): a public use case takes ids, locks the activation
row, asks the rules, writes, and commits through `transaction`; routers, web routes and deadline
handlers never commit. Waking the dispatcher after a commit that queued messages happens in one
place, `after_commit_of_messages`, installed on the sessionmaker by the composition root: no route
has to remember it. A unique index that only a race of two transactions can violate
(`db.may_race`: two pages of one person given one reply code at the same moment) fails the use
case with `errors.TryAgain`, nothing changed: its caller tries again (an API client gets 409).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import staged
from beredskab.db import raced
from beredskab.errors import TryAgain
from beredskab.metadata import utcnow
from beredskab.outbox import Channel, ClaimedSms, OutboxMessage, OutboxStatus

_QUEUED = "unit_of_work.queued_messages"
_TAKEN = "unit_of_work.claimed_at_birth"
_HANDED = "unit_of_work.handed_over"
_LATER = "unit_of_work.later"

log = logging.getLogger(__name__)

# Work a use case leaves for after its commit (`later`): given the session, runs a transaction
Later = Callable[[AsyncSession], Awaitable[None]]

# The lease an SMS due now is born with (this process sends it right after the commit), or None
# (it is born pending, for whichever dispatcher claims it first).
BirthLease = Callable[[], timedelta | None]


@asynccontextmanager
async def transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """Commit when the block ends, roll back when it raises (the error goes on to the caller)."""
    try:
        yield session
        # inside the `try`: a commit can fail before it is sent (the staged rows are written in
        # `before_commit`), and nothing of this transaction may stay open for the next one
        await session.commit()
    except BaseException as exc:
        session.info.pop(_LATER, None)
        await session.rollback()
        if raced(exc):
            raise TryAgain(_RACED) from exc
        raise
    await after_commit(session)


_RACED = (
    "another request took the same value at the same moment (a page's reply code); nothing was "
    "changed: try again"
)


@asynccontextmanager
async def racing(session: AsyncSession) -> AsyncIterator[None]:
    """For a use case that commits itself: a race (`db.raced`) met in the block, at a flush or
    at the commit, rolls back and is raised as `TryAgain`, as `transaction` raises it."""
    try:
        yield
    except IntegrityError as exc:
        if not raced(exc):
            raise
        await session.rollback()
        raise TryAgain(_RACED) from exc


@event.listens_for(Session, "after_rollback")
def _drop_later(session: Session) -> None:
    session.info.pop(_LATER, None)  # a use case that commits itself and rolls back


def later(session: AsyncSession, work: Later) -> None:
    """Run `work(session)` once this transaction has committed: bookkeeping nobody waits for,
    out of the way of the pages. If the commit handed pages to this process's dispatcher, it
    runs once they are with the gateway, in a session of the dispatcher's
    (`after_commit_of_messages`), and the use case returns before it; otherwise before the use
    case returns (`after_commit`, from `transaction` or `commit`). `work` runs a transaction
    of its own.

    It is durable only through a due row the same transaction writes (`deadlines.schedule`):
    if the process dies before `work` commits, a worker does it from that row, so `work` must
    do nothing when the row is no longer pending. Dropped if the transaction rolls back."""
    session.info.setdefault(_LATER, []).append(work)


async def commit(session: AsyncSession) -> None:
    """Commit, then `after_commit`: for the use cases that own their commit (the replies, a
    call's key press), which `transaction` does not wrap."""
    async with racing(session):
        await session.commit()
    await after_commit(session)


async def after_commit(session: AsyncSession) -> None:
    """What follows a use case's commit (`transaction` and `commit` call it): the sends handed
    over start, then the work left for later runs (`later`), unless it went with them. A
    failure of that work is logged, not raised: the use case is done and committed, and the
    work's due row stays for a worker."""
    if session.info.pop(_HANDED, False):
        # the sends of what the commit handed over start now, before the caller goes on (a
        # request would otherwise build its response first)
        await asyncio.sleep(0)
    for work in session.info.pop(_LATER, ()):
        try:
            await work(session)
        except Exception:  # noqa: BLE001 - its due row is still pending: a worker does it
            log.exception("work left for after a commit failed; a worker does it later")


def after_commit_of_messages(
    sessionmaker: async_sessionmaker[AsyncSession],
    callback: Callable[[], None],
    *,
    birth_lease: BirthLease | None = None,
    take: Callable[[list[OutboxMessage | ClaimedSms], list[Later]], None] | None = None,
    birth_limit: int = 20,
) -> async_sessionmaker[AsyncSession]:
    """Make `sessionmaker` call `callback` after each commit that wrote an outbox row.

    With `birth_lease` and `take` (a process that runs its own dispatcher): an SMS due now is
    written already claimed by this process (`sending`, one attempt, a lease), in the use case's
    own transaction, and handed to `take` right after the commit. The page leaves without
    waiting for a dispatcher pass and its claim transaction. Durable all the same: if the
    process dies before the send is marked, the lease runs out and any dispatcher claims the
    row again, as it does for a row in flight. At most `birth_limit` rows per transaction (the
    dispatcher's batch) are born claimed, the rest pending: a claimed row is no longer
    cancelled by a stand-down, so no more of them wait for the rate limit than a pass claims.

    Each call builds its own Session class, so two runtimes in one process (tests) keep their
    own hooks. The callbacks run on the event loop's thread (async SQLAlchemy runs its sync core
    in a greenlet there), so they may touch asyncio objects; they must not block.
    """

    def _stage_outbox(session: Session, rows: list[dict[str, Any]]) -> staged.Written | None:
        """Staged outbox rows (`outbox.stage_sms`): claimed at birth as `_claim_at_birth` does."""
        lease = birth_lease() if birth_lease is not None and take is not None else None
        taken = session.info.setdefault(_TAKEN, [])
        room = birth_limit - len(taken)
        now = utcnow()
        claimed = 0
        for row in rows:
            if (
                lease is not None
                and claimed < room
                and row["channel"] == Channel.sms
                and row["status"] == OutboxStatus.pending
                and row["next_attempt_at"] <= now
            ):
                row.update(status=OutboxStatus.sending, attempts=row["attempts"] + 1)
                row["lease_until"] = now + lease
                claimed += 1
        if any(row["status"] == OutboxStatus.pending for row in rows):
            session.info[_QUEUED] = True
        if not claimed:
            return None

        def _written(written: list[tuple[int, dict[str, Any]]]) -> None:
            taken.extend(
                ClaimedSms(
                    row_id,
                    row["recipient"],
                    row["body"],
                    row["attempts"],
                    row["lease_until"],
                    row["page_id"],
                    row["activation_id"],
                    row["person_id"],
                )
                for row_id, row in sorted(written, key=lambda pair: pair[0])
                if row["status"] == OutboxStatus.sending
            )

        return _written

    kind: type[Session] = type(
        "UnitOfWorkSession",
        (Session,),
        {"staged_hooks": {OutboxMessage.__tablename__: _stage_outbox}},
    )

    if birth_lease is not None and take is not None:

        @event.listens_for(kind, "before_flush")
        def _claim_at_birth(session: Session, _context: Any, _instances: Any) -> None:
            lease = birth_lease()
            if lease is None:
                return
            now = utcnow()
            taken = session.info.setdefault(_TAKEN, [])
            for row in session.new:
                if len(taken) >= birth_limit:
                    return
                if (
                    isinstance(row, OutboxMessage)
                    and row.channel == Channel.sms
                    and row.status == OutboxStatus.pending
                    and row.next_attempt_at <= now
                ):
                    row.status = OutboxStatus.sending
                    row.attempts += 1
                    row.lease_until = now + lease
                    taken.append(row)

    @event.listens_for(kind, "after_flush")
    def _saw_messages(session: Session, _context: Any) -> None:
        if any(
            isinstance(row, OutboxMessage) and row.status == OutboxStatus.pending
            for row in session.new
        ):
            session.info[_QUEUED] = True

    @event.listens_for(kind, "after_commit")
    def _committed(session: Session) -> None:
        taken = session.info.pop(_TAKEN, None)
        if taken and take is not None:
            # the work left for later (`later`) waits for these sends: it goes with them
            take(taken, session.info.pop(_LATER, []))
            session.info[_HANDED] = True
        if session.info.pop(_QUEUED, False):
            callback()

    @event.listens_for(kind, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(_QUEUED, None)
        session.info.pop(_TAKEN, None)

    sessionmaker.configure(sync_session_class=kind)
    return sessionmaker
