"""The crisis leader's delegates: people who may write in an activation's log without holding
one of its roles (an extra log keeper from the contact centre, say).

Only the activation's crisis leader names and removes them; each change is logged. Adding and
removing are use cases: one transaction each, under the activation lock, so the log's group
writer (which reads the delegates under that lock) sees a removal at once.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation
from beredskab.activations.repository import get_visible, lock_activation, require_crisis_leader
from beredskab.auth.service import Principal
from beredskab.crisis_staff.models import LogDelegate
from beredskab.directory.models import Person
from beredskab.errors import Conflict, InvalidInput, NotFound
from beredskab.eventlog import service as eventlog
from beredskab.unit_of_work import transaction


class DelegateRead(BaseModel):
    person_id: str
    name: str
    added_by: str
    added_at: datetime
    removed_by: str | None = None
    removed_at: datetime | None = None


def _read(row: LogDelegate, name: str) -> DelegateRead:
    return DelegateRead(
        person_id=row.person_id,
        name=name,
        added_by=row.added_by,
        added_at=row.added_at,
        removed_by=row.removed_by,
        removed_at=row.removed_at,
    )


async def _standing(
    session: AsyncSession, activation_id: str, person_id: str
) -> LogDelegate | None:
    return (
        await session.exec(
            select(LogDelegate).where(
                LogDelegate.activation_id == activation_id,
                LogDelegate.person_id == person_id,
                LogDelegate.removed_at.is_(None),  # type: ignore[union-attr]
            )
        )
    ).first()


async def _locked_for_leader(
    session: AsyncSession, activation_id: str, principal: Principal
) -> Activation:
    activation = await lock_activation(session, activation_id)
    await require_crisis_leader(session, activation, principal)
    if activation.archived_at is not None:
        raise Conflict(f"the log of {activation.ref} is archived; it is read-only")
    return activation


async def add_delegate(
    session: AsyncSession,
    activation_id: str,
    principal: Principal,
    *,
    person_id: str,
    now: datetime,
) -> DelegateRead:
    """`person_id` may write in the activation's log from now on; logged."""
    by = principal.display_name
    async with transaction(session):
        activation = await _locked_for_leader(session, activation_id, principal)
        person = await session.get(Person, person_id)
        if person is None:
            raise InvalidInput("person_id", f"unknown person {person_id!r}")
        if not person.active:
            raise InvalidInput("person_id", f"{person.name} is not active in the directory")
        if await _standing(session, activation.id, person_id) is not None:
            raise Conflict(f"{person.name} may already write in the log of {activation.ref}")
        row = LogDelegate(
            activation_id=activation.id, person_id=person_id, added_by=by, added_at=now
        )
        session.add(row)
        eventlog.append(
            session,
            activation,
            "delegate_added",
            f"{person.name} må nu skrive i loggen (udpeget af {by}).",
            actor=by,
            data={"person_id": person_id},
            now=now,
        )
    return _read(row, person.name)


async def remove_delegate(
    session: AsyncSession,
    activation_id: str,
    principal: Principal,
    *,
    person_id: str,
    now: datetime,
) -> DelegateRead:
    """`person_id` may no longer write in the log (unless they hold a role); logged."""
    by = principal.display_name
    async with transaction(session):
        activation = await _locked_for_leader(session, activation_id, principal)
        row = await _standing(session, activation.id, person_id)
        if row is None:
            raise NotFound(f"{person_id!r} is not a delegate of {activation.ref}")
        person = await session.get(Person, person_id)
        name = person.name if person else person_id
        row.removed_at, row.removed_by = now, by
        session.add(row)
        eventlog.append(
            session,
            activation,
            "delegate_removed",
            f"{name} må ikke længere skrive i loggen (fjernet af {by}).",
            actor=by,
            data={"person_id": person_id},
            now=now,
        )
    return _read(row, name)


async def visible_delegates(
    session: AsyncSession, activation_id: str, principal: Principal
) -> list[DelegateRead]:
    """The standing delegates of an activation the caller may see, in the order named."""
    activation = await get_visible(session, principal, activation_id)
    rows = await session.exec(
        select(LogDelegate, Person.name)
        .join(Person, Person.id == LogDelegate.person_id)
        .where(
            LogDelegate.activation_id == activation.id,
            LogDelegate.removed_at.is_(None),  # type: ignore[union-attr]
        )
        .order_by(LogDelegate.added_at, LogDelegate.id)
    )
    return [_read(row, name) for row, name in rows.all()]
