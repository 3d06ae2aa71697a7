"""Crisis-staff time: who held which role from when to when (the source of crisis_staff lines).

Written by the call-out at acknowledgement and handover, closed at stand-down; callers hold the
activation row lock.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.crisis_staff.models import RoleTenure
from beredskab.crisis_staff.write_rule import STOOD_DOWN
from beredskab.directory.models import Person


async def role_taken(
    session: AsyncSession, activation_id: str, role: str, person_id: str, now: datetime
) -> None:
    """`person_id` holds `role` from `now`; whoever held it before is relieved at `now`."""
    current = (
        await session.exec(
            select(RoleTenure).where(
                RoleTenure.activation_id == activation_id,
                RoleTenure.role == role,
                RoleTenure.ended_at.is_(None),  # type: ignore[union-attr]
            )
        )
    ).all()
    if any(t.person_id == person_id for t in current):
        return  # the same person again (a repeated answer): time runs on
    for tenure in current:
        tenure.ended_at = now
        tenure.end_reason = "relieved"
        session.add(tenure)
    person = await session.get(Person, person_id)
    assert person is not None, f"unknown person {person_id}"
    session.add(
        RoleTenure(
            activation_id=activation_id,
            role=role,
            person_id=person_id,
            org_id=person.org_id,
            started_at=now,
        )
    )


async def close_all(session: AsyncSession, activation_id: str, now: datetime) -> None:
    """The activation ended: every open tenure ends now."""
    await session.exec(
        update(RoleTenure)
        .where(
            RoleTenure.activation_id == activation_id,
            RoleTenure.ended_at.is_(None),  # type: ignore[union-attr]
        )
        .values(ended_at=now, end_reason=STOOD_DOWN)
    )
