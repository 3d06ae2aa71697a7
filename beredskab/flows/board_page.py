"""Read side for the console's status board: what the page shows beyond the API's board — the
phone numbers of the people on it (to call them), the authority's name, and whom a role may be
handed over to."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.schemas import ActivationBoard, PersonRef
from beredskab.directory.models import Person, RosterEntry
from beredskab.directory.service import org_names


async def phones(session: AsyncSession, board: ActivationBoard) -> dict[str, str]:
    """Person id -> phone, for everyone holding a role or paged on `board`."""
    ids = {r.person.id for r in board.roles if r.person} | {p.person.id for p in board.open_pages}
    if not ids:
        return {}
    rows = await session.exec(
        select(Person.id, Person.phone).where(Person.id.in_(sorted(ids)))  # type: ignore[attr-defined]
    )
    return dict(rows.all())


async def authority_name(session: AsyncSession, authority_id: str) -> str:
    return (await org_names(session, [authority_id])).get(authority_id, authority_id)


async def active_people(session: AsyncSession) -> list[PersonRef]:
    """Every active person in the directory, by name: whom the crisis leader may let write in
    the log (an extra log keeper from the contact centre need be on no roster)."""
    rows = await session.exec(
        select(Person.id, Person.name)
        .where(Person.active.is_(True))  # type: ignore[attr-defined]
        .order_by(Person.name)
    )
    return [PersonRef(id=pid, name=name) for pid, name in rows.all()]


async def handover_candidates(session: AsyncSession) -> list[PersonRef]:
    """The active people on any crisis-staff roster, by name: whom a role is handed over to."""
    rows = await session.exec(
        select(Person.id, Person.name)
        .where(
            Person.active.is_(True),  # type: ignore[attr-defined]
            Person.id.in_(select(RosterEntry.person_id)),  # type: ignore[attr-defined]
        )
        .order_by(Person.name)
    )
    return [PersonRef(id=pid, name=name) for pid, name in rows.all()]
