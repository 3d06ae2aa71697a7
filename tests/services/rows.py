"""What a use case wrote, read back fresh: outbox rows, deadlines, pages, call-outs, log entries.

Each read ends its transaction, so a deadline run or another session is never kept waiting (on
SQLite every transaction holds the write lock)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import InboundSms, Page, RoleCallout
from beredskab.crisis_staff.models import RoleTenure
from beredskab.deadlines import Deadline, DeadlineStatus
from beredskab.eventlog.models import LogEntry
from beredskab.outbox import Channel, OutboxMessage, OutboxStatus


async def _all(session: AsyncSession, query: Any) -> list:
    rows = list((await session.exec(query.execution_options(populate_existing=True))).all())
    await session.commit()
    return rows


async def sms(
    session: AsyncSession, *, to: str | None = None, status: OutboxStatus | None = None
) -> list[OutboxMessage]:
    """Queued SMS in the order they were written."""
    query = select(OutboxMessage).where(OutboxMessage.channel == Channel.sms)
    if to is not None:
        query = query.where(OutboxMessage.recipient == to)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return await _all(session, query.order_by(OutboxMessage.id))


async def texts_to(session: AsyncSession, phone: str) -> list[str]:
    return [m.body for m in await sms(session, to=phone)]


async def deadlines(
    session: AsyncSession, kind: str | None = None, status: DeadlineStatus | None = None
) -> list[Deadline]:
    query = select(Deadline)
    if kind is not None:
        query = query.where(Deadline.kind == kind)
    if status is not None:
        query = query.where(Deadline.status == status)
    return await _all(session, query.order_by(Deadline.id))


async def pages(session: AsyncSession, activation_id: str, **equal: object) -> list[Page]:
    query = select(Page).where(Page.activation_id == activation_id)
    for name, value in equal.items():
        query = query.where(getattr(Page, name) == value)
    return await _all(session, query.order_by(Page.id))


async def callouts(session: AsyncSession, activation_id: str) -> dict[str, RoleCallout]:
    rows = await _all(
        session, select(RoleCallout).where(RoleCallout.activation_id == activation_id)
    )
    return {row.role: row for row in rows}


async def tenures(session: AsyncSession, activation_id: str) -> list[RoleTenure]:
    return await _all(
        session,
        select(RoleTenure).where(RoleTenure.activation_id == activation_id).order_by(RoleTenure.id),
    )


async def log(session: AsyncSession, activation_id: str) -> list[LogEntry]:
    return await _all(
        session,
        select(LogEntry).where(LogEntry.activation_id == activation_id).order_by(LogEntry.seq),
    )


async def log_kinds(session: AsyncSession, activation_id: str) -> list[str]:
    return [entry.kind for entry in await log(session, activation_id)]


async def inbound(session: AsyncSession) -> list[InboundSms]:
    return await _all(session, select(InboundSms).order_by(InboundSms.received_at))
