"""One use case, one transaction, and what happens after its commit.

The rule (docs/architecture.md, "Who commits"): a public use case takes ids, locks the activation
row, asks the rules, writes, and commits through `transaction`; routers, web routes and deadline
handlers never commit. Waking the dispatcher after a commit that queued messages happens in one
place, `after_commit_of_messages`, installed on the sessionmaker by the composition root: no route
has to remember it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.outbox import OutboxMessage

_QUEUED = "unit_of_work.queued_messages"


@asynccontextmanager
async def transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """Commit when the block ends, roll back when it raises (the error goes on to the caller)."""
    try:
        yield session
    except BaseException:
        await session.rollback()
        raise
    await session.commit()


def after_commit_of_messages(
    sessionmaker: async_sessionmaker[AsyncSession], callback: Callable[[], None]
) -> async_sessionmaker[AsyncSession]:
    """Make `sessionmaker` call `callback` after each commit that wrote an outbox row.

    Each call builds its own Session class, so two runtimes in one process (tests) keep their
    own hooks. The callback runs on the event loop's thread (async SQLAlchemy runs its sync core
    in a greenlet there), so it may touch asyncio objects; it must not block.
    """
    kind: type[Session] = type("UnitOfWorkSession", (Session,), {})

    @event.listens_for(kind, "after_flush")
    def _saw_messages(session: Session, _context: Any) -> None:
        if any(isinstance(row, OutboxMessage) for row in session.new):
            session.info[_QUEUED] = True

    @event.listens_for(kind, "after_commit")
    def _committed(session: Session) -> None:
        if session.info.pop(_QUEUED, False):
            callback()

    @event.listens_for(kind, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(_QUEUED, None)

    sessionmaker.configure(sync_session_class=kind)
    return sessionmaker
