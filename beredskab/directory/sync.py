"""The directory file and the database: import (a sync of the file into it) and export.

Decisions where the brief was silent:
- An import is all or nothing, one transaction. The whole file is validated first, then checked
  against the database (a phone number still held by someone left out of the file); any problem
  raises InvalidInput with every problem and its path, and nothing is written.
- The file is the truth for what it lists. People missing from it are deactivated, not deleted:
  tokens, pages and log entries may still point at them (each counts as one `updated`).
  Organisations missing from it are kept as they are, for the same reason. Roster,
  steering-group, contact and grant rows missing from it are removed; a row whose person or rank
  changed is removed and created again.
- Deactivating a person ends their web sessions in the same transaction (auth.models listens
  for it on every flush, so this file need not know sessions exist).
- A DirectoryImport row records every import, changed or not.
- Numbers (directory.verification): a person the file adds, or whose number it changes, gets an
  unverified number and a verification SMS. Except on the first load (no people in the database
  yet): the service then takes over the phone list in use, and its numbers start verified, as the
  migration did for the numbers already stored (the demo directory's numbers reach nobody, and
  the demo must stay usable). An admin changing a number later sends the code as usual.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.directory.models import (
    AuthorityContact,
    DirectoryImport,
    MunicipalityContact,
    Organisation,
    Person,
    PersonGrant,
    RosterEntry,
    SteeringMember,
)
from beredskab.directory.schemas import ImportReport
from beredskab.directory.service import get_steering_group
from beredskab.directory.verification import mark_verified, number_changed
from beredskab.directory.yamlformat import Directory, validate_directory
from beredskab.errors import FieldProblem, InvalidInput
from beredskab.metadata import utcnow
from beredskab.unit_of_work import transaction


async def import_directory(session: AsyncSession, data: Any, source: str) -> ImportReport:
    """Sync a parsed directory file into the database in one transaction: all or nothing."""
    directory, problems = validate_directory(data)
    async with transaction(session):
        problems += await _phones_held_outside_the_file(session, directory)
        if problems:
            raise InvalidInput(problems)
        report = ImportReport()
        await _upsert(session, Organisation, directory.organisations, report)
        await _sync_people(session, directory.people, report)
        await _sync_links(
            session, RosterEntry, ("role", "rank", "person_id"), directory.roster, report
        )
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
        await _sync_links(session, PersonGrant, ("person_id", "role"), directory.grants, report)
        session.add(
            DirectoryImport(
                source=source[:500],
                created=report.created,
                updated=report.updated,
                unchanged=report.unchanged,
                removed=report.removed,
            )
        )
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
    new_numbers = [
        row["id"]
        for row in rows
        if row["id"] not in existing or existing[row["id"]].phone != row["phone"]
    ]
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
    now = utcnow()
    for person_id in new_numbers:
        person = await session.get(Person, person_id)
        assert person is not None
        if existing:
            number_changed(session, person)
        else:
            mark_verified(session, person, now)
    await session.flush()


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
    grants: dict[str, list[str]] = {}
    for g in await session.exec(select(PersonGrant).order_by(PersonGrant.role)):
        grants.setdefault(g.person_id, []).append(str(g.role))

    def org_row(o: Organisation) -> dict:
        row = {"id": o.id, "name": o.name, "kind": str(o.kind)}
        row.update(ddh_member=o.ddh_member, contact_centre=o.contact_centre)
        row.update(
            {
                k: getattr(o, k)
                for k in ("network", "cvr", "ean", "buyer_reference")
                if getattr(o, k)
            }
        )
        return row

    def person_row(p: Person) -> dict:
        row = {"id": p.id, "name": p.name, "phone": p.phone, "org": p.org_id}
        row.update({k: getattr(p, k) for k in ("title", "email") if getattr(p, k)})
        if p.id in grants:
            row["grants"] = grants[p.id]
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
