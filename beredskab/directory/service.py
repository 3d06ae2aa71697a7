"""Directory use cases: import (a sync of the file into the database), export, readiness, edits.

Decisions where the brief was silent:
- An import is all or nothing. The whole file is validated first, then checked against the
  database (a phone number still held by someone left out of the file); any problem raises
  InvalidInput with every problem and its path, and nothing is written.
- The file is the truth for what it lists. People missing from it are deactivated, not deleted:
  tokens, pages and log entries may still point at them (each counts as one `updated`).
  Organisations missing from it are kept as they are, for the same reason. Roster,
  steering-group and contact rows missing from it are removed; a row whose person or rank
  changed is removed and created again.
- Service functions flush and never commit: the caller (router or CLI) commits, so one import
  or one edit is one transaction. A DirectoryImport row records every import, changed or not.
- The admin edits refuse unknown and inactive people on the roster, steering group and
  contacts; deactivating someone who is on them is allowed (escalation skips inactive people)
  and shows up as a readiness gap.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.directory.models import (
    AuthorityContact,
    DirectoryImport,
    MunicipalityContact,
    Organisation,
    OrgKind,
    Person,
    RosterEntry,
    SteeringMember,
)
from beredskab.directory.schemas import Gap, ImportReport, PersonCreate, PersonUpdate, Readiness
from beredskab.directory.yamlformat import Directory, validate_directory
from beredskab.errors import Conflict, FieldProblem, InvalidInput, NotFound
from beredskab.roles import REQUIRED_DEPUTIES, Role

# --- import and export ---------------------------------------------------------------------------


async def import_directory(session: AsyncSession, data: Any, source: str) -> ImportReport:
    """Sync a parsed directory file into the database (flushes; the caller commits)."""
    directory, problems = validate_directory(data)
    problems += await _phones_held_outside_the_file(session, directory)
    if problems:
        raise InvalidInput(problems)
    report = ImportReport()
    await _upsert(session, Organisation, directory.organisations, report)
    await _sync_people(session, directory.people, report)
    await _sync_links(session, RosterEntry, ("role", "rank", "person_id"), directory.roster, report)
    await _sync_links(
        session, SteeringMember, ("position", "person_id"), directory.steering, report
    )
    await _sync_links(
        session,
        MunicipalityContact,
        ("org_id", "rank", "person_id"),
        directory.municipality_contacts,
        report,
    )
    await _sync_links(
        session, AuthorityContact, ("org_id", "person_id"), directory.authority_contacts, report
    )
    session.add(
        DirectoryImport(
            source=source[:500],
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            removed=report.removed,
        )
    )
    await session.flush()
    return report


async def _phones_held_outside_the_file(
    session: AsyncSession, directory: Directory
) -> list[FieldProblem]:
    """A number may move between people in the file, not to someone the file leaves out."""
    wanted = {p["phone"]: p["id"] for p in directory.people if p["phone"]}
    listed = {p["id"] for p in directory.people}
    holders = await session.exec(select(Person).where(Person.phone.in_(list(wanted))))
    return [
        FieldProblem(
            f"{directory.person_paths[wanted[h.phone]]}.phone",
            f"{h.phone} is the phone of {h.id!r}, who is not in this file "
            "(list them with another number, active: false if they have left)",
        )
        for h in holders.all()
        if h.id not in listed
    ]


async def _upsert(
    session: AsyncSession, model: Any, rows: list[dict], report: ImportReport
) -> None:
    existing = {o.id: o for o in (await session.exec(select(model))).all()}
    for row in rows:
        current = existing.get(row["id"])
        if current is None:
            session.add(model(**row))
            report.created += 1
        elif any(getattr(current, k) != v for k, v in row.items()):
            for k, v in row.items():
                setattr(current, k, v)
            session.add(current)
            report.updated += 1
        else:
            report.unchanged += 1
    await session.flush()


async def _sync_people(session: AsyncSession, rows: list[dict], report: ImportReport) -> None:
    existing = {p.id: p for p in (await session.exec(select(Person))).all()}
    listed = {row["id"] for row in rows}
    for person in existing.values():
        if person.id not in listed and person.active:
            person.active = False
            session.add(person)
            report.updated += 1
    # Park changed numbers first, so that two people swapping phones never collide on UNIQUE.
    for n, row in enumerate(rows):
        current = existing.get(row["id"])
        if current is not None and current.phone != row["phone"]:
            current.phone = f"#{n}"
            session.add(current)
    await session.flush()
    await _upsert(session, Person, rows, report)


async def _sync_links(
    session: AsyncSession,
    model: Any,
    keys: tuple[str, ...],
    wanted: list[tuple],
    report: ImportReport,
) -> None:
    current = {tuple(getattr(r, k) for k in keys): r for r in (await session.exec(select(model)))}
    target = set(wanted)
    for key, row in current.items():
        if key not in target:
            await session.delete(row)
            report.removed += 1
    await session.flush()  # free the unique (role, rank) etc. before new rows take them
    for key in wanted:
        if key in current:
            report.unchanged += 1
        else:
            session.add(model(**dict(zip(keys, key, strict=True))))
            report.created += 1
    await session.flush()


async def export_directory(session: AsyncSession) -> dict[str, Any]:
    """The whole directory in the import format (see yamlformat.dump_directory_yaml)."""
    orgs = await session.exec(select(Organisation).order_by(Organisation.id))
    people = await session.exec(select(Person).order_by(Person.id))
    roster = await session.exec(select(RosterEntry).order_by(RosterEntry.role, RosterEntry.rank))
    steering = await get_steering_group(session)
    contacts = await session.exec(
        select(MunicipalityContact).order_by(MunicipalityContact.org_id, MunicipalityContact.rank)
    )
    authority = await session.exec(
        select(AuthorityContact).order_by(AuthorityContact.org_id, AuthorityContact.person_id)
    )

    def org_row(o: Organisation) -> dict:
        row = {"id": o.id, "name": o.name, "kind": str(o.kind)}
        row.update(ddh_member=o.ddh_member, contact_centre=o.contact_centre)
        row.update({k: getattr(o, k) for k in ("network", "cvr", "ean") if getattr(o, k)})
        return row

    def person_row(p: Person) -> dict:
        row = {"id": p.id, "name": p.name, "phone": p.phone, "org": p.org_id}
        row.update({k: getattr(p, k) for k in ("title", "email") if getattr(p, k)})
        return row if p.active else {**row, "active": False}

    out_roster: dict[str, list] = {}
    for e in roster.all():
        ranks = out_roster.setdefault(str(e.role), [])
        ranks.append(
            e.person_id if e.rank == len(ranks) else {"person": e.person_id, "rank": e.rank}
        )
    out_contacts: dict[str, list[str]] = {}
    for c in contacts.all():
        out_contacts.setdefault(c.org_id, []).append(c.person_id)
    out_authority: dict[str, list[str]] = {}
    for a in authority.all():
        out_authority.setdefault(a.org_id, []).append(a.person_id)
    return {
        "organisations": [org_row(o) for o in orgs.all()],
        "people": [person_row(p) for p in people.all()],
        "crisis_roster": out_roster,
        "steering_group": steering,
        "municipality_contacts": out_contacts,
        "authority_contacts": {k: v[0] if len(v) == 1 else v for k, v in out_authority.items()},
    }


# --- readiness -----------------------------------------------------------------------------------


async def readiness(session: AsyncSession) -> Readiness:
    """What would fail on the night: missing primaries, deputies, contacts; inactive people."""
    gaps: list[Gap] = []
    active = {p.id: p.active for p in (await session.exec(select(Person))).all()}
    roster = (await session.exec(select(RosterEntry).order_by(RosterEntry.rank))).all()
    for role in Role:
        entries = [e for e in roster if e.role == role]
        if not any(e.rank == 0 for e in entries):
            gaps.append(Gap("no_primary", role.value, f"{role.value} has no primary"))
        deputies, need = sum(e.rank > 0 for e in entries), REQUIRED_DEPUTIES[role]
        if deputies < need:
            detail = f"{role.value} has {deputies} deputies, needs {need}"
            gaps.append(Gap("too_few_deputies", role.value, detail))
        gaps += [
            Gap("inactive_on_roster", role.value, f"{e.person_id} (rank {e.rank}) is inactive")
            for e in entries
            if not active[e.person_id]
        ]

    steering = await get_steering_group(session)
    if not steering:
        gaps.append(Gap("no_steering_group", "steering_group", "the steering group is empty"))
    gaps += [
        Gap("inactive_in_steering_group", "steering_group", f"{pid} is inactive")
        for pid in steering
        if not active[pid]
    ]

    by_org: dict[str, dict[int, str]] = {}
    for c in (await session.exec(select(MunicipalityContact))).all():
        by_org.setdefault(c.org_id, {})[c.rank] = c.person_id
    centres = await session.exec(
        select(Organisation)
        .where(Organisation.contact_centre.is_(True), Organisation.kind == OrgKind.municipality)
        .order_by(Organisation.id)
    )
    for org in centres.all():
        ranks = by_org.get(org.id, {})
        for rank, label in ((0, "primary"), (1, "secondary")):
            if rank not in ranks:
                detail = f"{org.name} has no {label} contact"
                gaps.append(Gap(f"no_{label}_contact", org.id, detail))
            elif not active[ranks[rank]]:
                detail = f"{org.name}'s {label} contact {ranks[rank]} is inactive"
                gaps.append(Gap("inactive_contact", org.id, detail))
    authority = await session.exec(select(AuthorityContact).order_by(AuthorityContact.org_id))
    gaps += [
        Gap("inactive_contact", a.org_id, f"authority contact {a.person_id} is inactive")
        for a in authority.all()
        if not active[a.person_id]
    ]
    return Readiness(gaps)


# --- reads and edits for the admin API ----------------------------------------------------------


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
    if await session.get(Person, data.id) is not None:
        raise Conflict(f"person {data.id!r} exists")
    await _check_person_fields(session, data.id, data.model_dump())
    person = Person(**data.model_dump())
    session.add(person)
    await session.flush()
    return person


async def update_person(session: AsyncSession, person_id: str, data: PersonUpdate) -> Person:
    person = await get_person(session, person_id)
    changes = data.model_dump(exclude_unset=True)
    await _check_person_fields(session, person_id, changes)
    for key, value in changes.items():
        setattr(person, key, value)
    session.add(person)
    await session.flush()
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
    await _require_active_people(session, person_ids)
    await session.exec(delete(RosterEntry).where(RosterEntry.role == role))
    session.add_all(RosterEntry(role=role, rank=r, person_id=p) for r, p in enumerate(person_ids))
    await session.flush()
    return person_ids


async def get_steering_group(session: AsyncSession) -> list[str]:
    rows = await session.exec(select(SteeringMember).order_by(SteeringMember.position))
    return [r.person_id for r in rows.all()]


async def set_steering_group(session: AsyncSession, person_ids: list[str]) -> list[str]:
    await _require_active_people(session, person_ids)
    await session.exec(delete(SteeringMember))
    session.add_all(SteeringMember(person_id=p, position=n) for n, p in enumerate(person_ids))
    await session.flush()
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


async def known_org(session: AsyncSession, field: str, org_id: str) -> Organisation:
    """The organisation a request names in `field`, or a 422 saying it is unknown."""
    org = await session.get(Organisation, org_id)
    if org is None:
        raise InvalidInput(field, f"unknown organisation {org_id!r}")
    return org


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
    await _municipality(session, org_id)
    if not 1 <= len(person_ids) <= 2:
        raise InvalidInput("person_ids", "give the primary and the secondary contact (1 or 2)")
    await _require_active_people(session, person_ids)
    await session.exec(delete(MunicipalityContact).where(MunicipalityContact.org_id == org_id))
    session.add_all(
        MunicipalityContact(org_id=org_id, rank=r, person_id=p) for r, p in enumerate(person_ids)
    )
    await session.flush()
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
    await _organisation(session, org_id)
    await _require_active_people(session, person_ids)
    await session.exec(delete(AuthorityContact).where(AuthorityContact.org_id == org_id))
    session.add_all(AuthorityContact(org_id=org_id, person_id=p) for p in person_ids)
    await session.flush()
    return person_ids
