"""The log keeper's page, read side: one page of the timeline newest first, what its filters
can choose from, and the entry a correction refers to. Only reads."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation, RoleCallout
from beredskab.activations.repository import get_visible
from beredskab.auth.service import Principal
from beredskab.eventlog.models import LogEntry
from beredskab.eventlog.schemas import LogEntryRead
from beredskab.eventlog.timeline import TimelineQuery, timeline, to_read
from beredskab.roles import Role

PAGE = 100


@dataclass(frozen=True)
class LogBook:
    activation: Activation
    entries: list[LogEntryRead]  # newest first
    older: str | None  # the cursor of the next (older) page, None at the first entry
    kinds: list[str]  # the kinds and authors present in the log, for the filters
    authors: list[str]


async def log_book(
    session: AsyncSession,
    activation_id: str,
    principal: Principal,
    *,
    kind: str | None = None,
    author: str | None = None,
    text: str | None = None,
    older: str | None = None,
    limit: int = PAGE,
) -> LogBook:
    """A page of the log of an activation `principal` may see, newest first, filtered as the
    API's timeline filters (kind and author exact, text contained)."""
    activation = await get_visible(session, principal, activation_id)
    query = TimelineQuery(
        kind=kind or None,
        author=author or None,
        text=text or None,
        order="newest",
        cursor=older or None,
        limit=limit,
    )
    entries, cursor = await timeline(session, activation.id, query)
    pairs = (
        await session.exec(
            select(LogEntry.kind, LogEntry.actor)
            .where(LogEntry.activation_id == activation.id)
            .distinct()
        )
    ).all()
    return LogBook(
        activation=activation,
        entries=entries,
        older=cursor,
        kinds=sorted({k for k, _ in pairs}),
        authors=sorted({a for _, a in pairs}),
    )


async def entry(
    session: AsyncSession, activation_id: str, principal: Principal, seq: int
) -> LogEntryRead | None:
    """Entry `seq` of a visible activation's log (the one a correction is about), or None."""
    activation = await get_visible(session, principal, activation_id)
    row = (
        await session.exec(
            select(LogEntry).where(LogEntry.activation_id == activation.id, LogEntry.seq == seq)
        )
    ).first()
    return None if row is None else to_read(row, [])


async def is_crisis_leader(session: AsyncSession, activation_id: str, person_id: str) -> bool:
    """Whether `person_id` holds the activation's crisis leader role (who may archive its log
    besides the steering group, as `timeline.archive` decides)."""
    leader = (
        await session.exec(
            select(RoleCallout.person_id).where(
                RoleCallout.activation_id == activation_id, RoleCallout.role == Role.crisis_leader
            )
        )
    ).first()
    return leader is not None and leader == person_id
