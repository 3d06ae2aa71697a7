"""Directory admin: people, roster, steering group and contacts (reads and edits), and the
lookups other aggregates make (organisation names, a known organisation).

- Each edit is a use case that commits its own transaction (`unit_of_work.transaction`).
- The edits refuse unknown and inactive people on the roster, steering group and contacts;
  deactivating someone who is on them is allowed (escalation skips inactive people) and shows
  up as a readiness gap (`directory.readiness`).
- A person added, or given a new number, gets an unverified number and a verification SMS
  (`directory.verification`); the same number sent again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam
from sqlmodel import delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import direct
from beredskab.db import advisory_lock, on_postgres
from beredskab.directory.models import (
    AuthorityContact,
    MunicipalityContact,
    Organisation,
    OrgKind,
    Person,
    RosterEntry,
    SteeringMember,
)
from beredskab.directory.schemas import PersonCreate, PersonUpdate
from beredskab.directory.verification import number_changed
from beredskab.errors import Conflict, FieldProblem, InvalidInput, NotFound
from beredskab.roles import Role
from beredskab.unit_of_work import transaction


async def list_organisations(session: AsyncSession) -> list[Organisation]:
    return list((await session.exec(select(Organisation).order_by(Organisation.id))).all())


async def list_people(session: AsyncSession, *, active: bool | None = None) -> list[Person]:
    query = select(Person).order_by(Person.id)
    if active is not None:
        query = query.where(Person.active.is_(active))
    return list((await session.exec(query)).all())


async def get_person(session: AsyncSession, person_id: str) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id!r}")
    return person


async def create_person(session: AsyncSession, data: PersonCreate) -> Person:
    async with transaction(session):
        if await session.get(Person, data.id) is not None:
            raise Conflict(f"person {data.id!r} exists")
        await _check_person_fields(session, data.id, data.model_dump())
        person = Person(**data.model_dump())
        session.add(person)
        number_changed(session, person)
    return person


async def update_person(session: AsyncSession, person_id: str, data: PersonUpdate) -> Person:
    async with transaction(session):
        person = await get_person(session, person_id)
        changes = data.model_dump(exclude_unset=True)
        await _check_person_fields(session, person_id, changes)
        new_number = "phone" in changes and changes["phone"] != person.phone
        for key, value in changes.items():
            setattr(person, key, value)
        session.add(person)
        if new_number:
            number_changed(session, person)
    return person


async def _check_person_fields(session: AsyncSession, person_id: str, fields: dict) -> None:
    problems: list[FieldProblem] = []
    org_id, phone = fields.get("org_id"), fields.get("phone")
    if org_id is not None and await session.get(Organisation, org_id) is None:
        problems.append(FieldProblem("org_id", f"unknown organisation {org_id!r}"))
    if phone is not None:
        holder = (await session.exec(select(Person).where(Person.phone == phone))).first()
        if holder is not None and holder.id != person_id:
            problems.append(FieldProblem("phone", f"{phone} is already the phone of {holder.id!r}"))
    if problems:
        raise InvalidInput(problems)


async def _require_active_people(session: AsyncSession, ids: list[str]) -> None:
    found = {p.id: p for p in (await session.exec(select(Person).where(Person.id.in_(ids))))}
    problems = []
    for i, pid in enumerate(ids):
        if pid not in found:
            problems.append(FieldProblem(f"person_ids[{i}]", f"unknown person {pid!r}"))
        elif pid in ids[:i]:
            problems.append(FieldProblem(f"person_ids[{i}]", f"{pid!r} is listed twice"))
        elif not found[pid].active:
            problems.append(FieldProblem(f"person_ids[{i}]", f"{pid!r} is inactive"))
    if problems:
        raise InvalidInput(problems)


async def get_roster(session: AsyncSession, role: Role) -> list[str]:
    """Person ids in rank order (the primary first)."""
    rows = await session.exec(
        select(RosterEntry).where(RosterEntry.role == role).order_by(RosterEntry.rank)
    )
    return [r.person_id for r in rows.all()]


async def set_roster(session: AsyncSession, role: Role, person_ids: list[str]) -> list[str]:
    """Replace a role's ranks: the first person is the primary, the rest deputies in order."""
    async with transaction(session):
        await _require_active_people(session, person_ids)
        await session.exec(delete(RosterEntry).where(RosterEntry.role == role))
        session.add_all(
            RosterEntry(role=role, rank=r, person_id=p) for r, p in enumerate(person_ids)
        )
    return person_ids


async def get_steering_group(session: AsyncSession) -> list[str]:
    rows = await session.exec(select(SteeringMember).order_by(SteeringMember.position))
    return [r.person_id for r in rows.all()]


async def set_steering_group(session: AsyncSession, person_ids: list[str]) -> list[str]:
    async with transaction(session):
        await _require_active_people(session, person_ids)
        await session.exec(delete(SteeringMember))
        session.add_all(SteeringMember(person_id=p, position=n) for n, p in enumerate(person_ids))
    return person_ids


async def org_names(session: AsyncSession, org_ids: Iterable[str]) -> dict[str, str]:
    """Organisation names by id, in one query (unknown ids are left out)."""
    wanted = sorted(set(org_ids))
    if not wanted:
        return {}
    rows = await session.exec(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted))  # type: ignore[attr-defined]
    )
    return dict(rows.all())


_ORGANISATION = direct.Query(
    lambda: select(*Organisation.__table__.c).where(  # type: ignore[attr-defined]
        Organisation.id == bindparam("org_id")
    )
)
_ORG_FIELDS = tuple(c.key for c in Organisation.__table__.c)  # type: ignore[attr-defined]
# PostgreSQL: the organisation, and the advisory lock `db.serialise` takes, in one statement (the
# lock is taken for the row found, so only when the organisation exists)
_ORGANISATION_SERIALISED = direct.Query(
    lambda: select(
        *Organisation.__table__.c,  # type: ignore[attr-defined]
        advisory_lock(),
    ).where(Organisation.id == bindparam("org_id"))
)


async def known_org(
    session: AsyncSession, field: str, org_id: str, *, serialise: int | None = None
) -> Organisation:
    """The organisation a request names in `field`, or a 422 saying it is unknown. Read
    directly (one statement), as a plain object outside the session: read it, never change it.

    `serialise`: a key to hold as `db.serialise` does, until the transaction ends, taken in the
    same statement (one round trip on PostgreSQL; SQLite serialises writers from BEGIN)."""
    if serialise is not None and on_postgres(session):
        rows = await _ORGANISATION_SERIALISED.rows(session, org_id=org_id, key=serialise)
    else:
        rows = await _ORGANISATION.rows(session, org_id=org_id)
    if not rows:
        raise InvalidInput(field, f"unknown organisation {org_id!r}")
    values = rows[0][: len(_ORG_FIELDS)]
    return Organisation.model_construct(**dict(zip(_ORG_FIELDS, values, strict=True)))


async def _organisation(session: AsyncSession, org_id: str) -> Organisation:
    org = await session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"no organisation {org_id!r}")
    return org


async def _municipality(session: AsyncSession, org_id: str) -> Organisation:
    org = await _organisation(session, org_id)
    if org.kind != OrgKind.municipality:
        raise InvalidInput("org_id", f"{org_id!r} is not a municipality")
    return org


async def get_municipality_contacts(session: AsyncSession, org_id: str) -> list[str]:
    """[primary, secondary] person ids (either may be missing)."""
    await _municipality(session, org_id)
    rows = await session.exec(
        select(MunicipalityContact)
        .where(MunicipalityContact.org_id == org_id)
        .order_by(MunicipalityContact.rank)
    )
    return [r.person_id for r in rows.all()]


async def set_municipality_contacts(
    session: AsyncSession, org_id: str, person_ids: list[str]
) -> list[str]:
    async with transaction(session):
        await _municipality(session, org_id)
        if not 1 <= len(person_ids) <= 2:
            raise InvalidInput("person_ids", "give the primary and the secondary contact (1 or 2)")
        await _require_active_people(session, person_ids)
        await session.exec(delete(MunicipalityContact).where(MunicipalityContact.org_id == org_id))
        session.add_all(
            MunicipalityContact(org_id=org_id, rank=r, person_id=p)
            for r, p in enumerate(person_ids)
        )
    return person_ids


async def get_authority_contacts(session: AsyncSession, org_id: str) -> list[str]:
    """The people DDH calls at an authority that activates (any order)."""
    await _organisation(session, org_id)
    rows = await session.exec(
        select(AuthorityContact)
        .where(AuthorityContact.org_id == org_id)
        .order_by(AuthorityContact.person_id)
    )
    return [r.person_id for r in rows.all()]


async def set_authority_contacts(
    session: AsyncSession, org_id: str, person_ids: list[str]
) -> list[str]:
    async with transaction(session):
        await _organisation(session, org_id)
        await _require_active_people(session, person_ids)
        await session.exec(delete(AuthorityContact).where(AuthorityContact.org_id == org_id))
        session.add_all(AuthorityContact(org_id=org_id, person_id=p) for p in person_ids)
    return person_ids
