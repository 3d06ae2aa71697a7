"""Loading activations for writing: every writer takes the activation row lock first."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation
from beredskab.errors import NotFound


async def lock_activation(session: AsyncSession, activation_id: str) -> Activation:
    """Load and lock (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises)."""
    row = (
        await session.exec(
            select(Activation)
            .where(Activation.id == activation_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()
    if row is None:
        raise NotFound(f"no activation {activation_id}")
    return row
