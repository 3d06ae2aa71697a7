"""Claiming due rows from a durable queue table, on SQLite and PostgreSQL alike.

A claim moves rows that are due (status 'pending', due column <= now) or whose lease has run out
(a crashed claimer) to the claimed status with a fresh lease, in one UPDATE … RETURNING. On
PostgreSQL the sub-select takes `FOR UPDATE SKIP LOCKED`, so concurrent workers never claim the
same row; SQLite has one writer, so the UPDATE itself is the lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

M = TypeVar("M")


async def claim_due(
    session: AsyncSession,
    model: type[M],
    *,
    due_column: Any,
    claimed_status: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    where: Any = None,
) -> list[M]:
    table: Any = model
    due = or_(
        and_(table.status == "pending", due_column <= now),
        and_(table.status == claimed_status, table.lease_until < now),
    )
    if where is not None:
        due = and_(due, where)
    candidates = select(table.id).where(due).order_by(due_column, table.id).limit(limit)
    if session.bind.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    claimed_ids = (
        (
            await session.exec(
                update(table)
                .where(table.id.in_(candidates.scalar_subquery()))
                .values(status=claimed_status, lease_until=now + lease, attempts=table.attempts + 1)
                .returning(table.id)
            )
        )
        .scalars()
        .all()
    )
    if not claimed_ids:
        return []
    rows = await session.exec(select(table).where(table.id.in_(claimed_ids)).order_by(table.id))
    return list(rows.scalars().all())
