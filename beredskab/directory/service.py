"""Directory use cases: import (a sync of the file into the database), export, readiness, edits.

An import is all or nothing: the whole file is validated first and any problem means nothing is
written. People missing from a re-imported file are deactivated, not deleted: tokens, pages and
log entries may still point at them. Roster, steering-group and contact rows not in the file are
removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.directory.models import (
    REQUIRED_DEPUTIES,
    AuthorityContact,
    DirectoryImport,
    MunicipalityContact,
    Organisation,
    OrgKind,
    Person,
    Role,
    RosterEntry,
    SteeringMember,
)
from beredskab.directory.yamlformat import Directory, parse_yaml, validate
from beredskab.errors import InvalidInput, NotFound


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)

    def __str__(self) -> str:
        text = (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed"
        )
        return text if self.changed else f"{text}: nothing changed"


def load_text(text: str) -> Directory:
    """Parse and validate a directory file; InvalidInput lists every problem with its path."""
    data, problems = parse_yaml(text)
    if not problems:
        directory, problems = validate(data)
    if problems:
        raise InvalidInput(problems)
    return directory


async def import_directory(
    session: AsyncSession, directory: Directory, source: str
) -> ImportReport:
    """Sync a validated directory into the database in one transaction; commits."""
    report = ImportReport()
    await _upsert(session, Organisation, directory.organisations, report)
    await _upsert(session, Person, directory.people, report)
    listed = {p["id"] for p in directory.people}
    for person in (await session.exec(select(Person).where(Person.active.is_(True)))).all():
        if person.id not in listed:
            person.active = False
            session.add(person)
            report.updated += 1
    await session.flush()
    await _sync_rows(session, RosterEntry, ("role", "rank", "person_id"), directory.roster, report)
    await _sync_rows(
        session,
        SteeringMember,
        ("position", "person_id"),
        list(enumerate(directory.steering)),
        report,
    )
    await _sync_rows(
        session,
        MunicipalityContact,
        ("org_id", "rank", "person_id"),
        directory.municipality_contacts,
        report,
    )
    await _sync_rows(
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
    await session.commit()
    return report


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


async def _sync_rows(
    session: AsyncSession,
    model: Any,
    keys: tuple[str, ...],
    wanted: list[tuple],
    report: ImportReport,
) -> None:
    current = {
        tuple(getattr(r, k) for k in keys): r for r in (await session.exec(select(model))).all()
    }
    target = set(wanted)
    for key, row in current.items():
        if key not in target:
            await session.delete(row)
            report.removed += 1
    await session.flush()  # free unique (role, rank) before the new rows take them
    for key in wanted:
        if key in current:
            report.unchanged += 1
        else:
            session.add(model(**dict(zip(keys, key, strict=True))))
            report.created += 1
    await session.flush()


async def export_directory(session: AsyncSession) -> dict[str, Any]:
    orgs = (await session.exec(select(Organisation).order_by(Organisation.id))).all()
    people = (await session.exec(select(Person).order_by(Person.id))).all()
    roster = (
        await session.exec(select(RosterEntry).order_by(RosterEntry.role, RosterEntry.rank))
    ).all()
    steering = (await session.exec(select(SteeringMember).order_by(SteeringMember.position))).all()
    contacts = (
        await session.exec(
            select(MunicipalityContact).order_by(
                MunicipalityContact.org_id, MunicipalityContact.rank
            )
        )
    ).all()
    authority = (
        await session.exec(select(AuthorityContact).order_by(AuthorityContact.org_id))
    ).all()

    def org_row(o: Organisation) -> dict:
        row = {
            "id": o.id,
            "name": o.name,
            "kind": o.kind,
            "ddh_member": o.ddh_member,
            "contact_centre": o.contact_centre,
        }
        row.update({k: getattr(o, k) for k in ("network", "cvr", "ean") if getattr(o, k)})
        return row

    def person_row(p: Person) -> dict:
        row = {"id": p.id, "name": p.name, "phone": p.phone, "org": p.org_id}
        row.update({k: getattr(p, k) for k in ("title", "email") if getattr(p, k)})
        if not p.active:
            row["active"] = False
        return row

    out_roster: dict[str, list] = {}
    for e in roster:
        ranks = out_roster.setdefault(str(e.role), [])
        ranks.append(
            e.person_id if e.rank == len(ranks) else {"person": e.person_id, "rank": e.rank}
        )
    out_contacts: dict[str, list] = {}
    for c in contacts:
        out_contacts.setdefault(c.org_id, []).append(c.person_id)
    out_authority: dict[str, Any] = {}
    for a in authority:
        prev = out_authority.get(a.org_id)
        out_authority[a.org_id] = (
            a.person_id
            if prev is None
            else [*([prev] if isinstance(prev, str) else prev), a.person_id]
        )
    return {
        "organisations": [org_row(o) for o in orgs],
        "people": [person_row(p) for p in people],
        "crisis_roster": out_roster,
        "steering_group": [s.person_id for s in steering],
        "municipality_contacts": out_contacts,
        "authority_contacts": out_authority,
    }


# --- readiness ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    kind: str
    subject: str
    detail: str


@dataclass
class Readiness:
    gaps: list[Gap] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.gaps


async def readiness(session: AsyncSession) -> Readiness:
    """What would fail on the night: missing primaries, too few deputies, missing contacts."""
    result = Readiness()
    people = {p.id: p for p in (await session.exec(select(Person))).all()}
    roster = (await session.exec(select(RosterEntry).order_by(RosterEntry.rank))).all()
    for role in Role:
        entries = [e for e in roster if e.role == role]
        if not any(e.rank == 0 for e in entries):
            result.gaps.append(Gap("no_primary", role.value, f"{role.value} has no primary"))
        deputies = [e for e in entries if e.rank > 0]
        need = REQUIRED_DEPUTIES[role]
        if len(deputies) < need:
            result.gaps.append(
                Gap(
                    "too_few_deputies",
                    role.value,
                    f"{role.value} has {len(deputies)} deputies, needs {need}",
                )
            )
        for e in entries:
            if not people[e.person_id].active:
                result.gaps.append(
                    Gap(
                        "inactive_on_roster",
                        role.value,
                        f"{e.person_id} (rank {e.rank}) is inactive",
                    )
                )
    steering = (await session.exec(select(SteeringMember))).all()
    if not steering:
        result.gaps.append(
            Gap("no_steering_group", "steering_group", "the steering group is empty")
        )
    for s in steering:
        if not people[s.person_id].active:
            result.gaps.append(
                Gap("inactive_on_roster", "steering_group", f"{s.person_id} is inactive")
            )
    contacts = (await session.exec(select(MunicipalityContact))).all()
    by_org: dict[str, dict[int, str]] = {}
    for c in contacts:
        by_org.setdefault(c.org_id, {})[c.rank] = c.person_id
    centres = (
        await session.exec(
            select(Organisation)
            .where(Organisation.contact_centre.is_(True), Organisation.kind == OrgKind.municipality)
            .order_by(Organisation.id)
        )
    ).all()
    for org in centres:
        ranks = by_org.get(org.id, {})
        for rank, label in ((0, "primary"), (1, "secondary")):
            if rank not in ranks:
                result.gaps.append(
                    Gap(f"no_{label}_contact", org.id, f"{org.name} has no {label} contact")
                )
            elif not people[ranks[rank]].active:
                result.gaps.append(
                    Gap(
                        "inactive_on_roster",
                        org.id,
                        f"{org.name}'s {label} contact {ranks[rank]} is inactive",
                    )
                )
    return result


# --- edits from the admin API ----------------------------------------------------------------


async def require_people(session: AsyncSession, ids: list[str], field_name: str) -> list[Person]:
    found = {p.id: p for p in (await session.exec(select(Person).where(Person.id.in_(ids)))).all()}
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidInput(field_name, f"unknown person(s) {', '.join(missing)}")
    if len(set(ids)) != len(ids):
        raise InvalidInput(field_name, "a person may appear only once")
    inactive = [i for i in ids if not found[i].active]
    if inactive:
        raise InvalidInput(field_name, f"inactive person(s) {', '.join(inactive)}")
    return [found[i] for i in ids]


async def set_roster(session: AsyncSession, role: Role, person_ids: list[str]) -> None:
    await require_people(session, person_ids, "person_ids")
    await session.exec(delete(RosterEntry).where(RosterEntry.role == role))
    await session.flush()
    for rank, pid in enumerate(person_ids):
        session.add(RosterEntry(role=role, rank=rank, person_id=pid))
    await session.flush()


async def set_steering(session: AsyncSession, person_ids: list[str]) -> None:
    await require_people(session, person_ids, "person_ids")
    await session.exec(delete(SteeringMember))
    await session.flush()
    for pos, pid in enumerate(person_ids):
        session.add(SteeringMember(person_id=pid, position=pos))
    await session.flush()


async def set_municipality_contacts(
    session: AsyncSession, org_id: str, person_ids: list[str]
) -> None:
    org = await session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"no organisation {org_id!r}")
    if not 1 <= len(person_ids) <= 2:
        raise InvalidInput("person_ids", "give the primary and, preferably, the secondary contact")
    await require_people(session, person_ids, "person_ids")
    await session.exec(delete(MunicipalityContact).where(MunicipalityContact.org_id == org_id))
    await session.flush()
    for rank, pid in enumerate(person_ids):
        session.add(MunicipalityContact(org_id=org_id, rank=rank, person_id=pid))
    await session.flush()
