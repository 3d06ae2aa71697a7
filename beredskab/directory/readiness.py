"""Directory readiness: the gaps that would hurt on the night, and who is on duty, read from the
directory.

A person on duty (roster, steering group, a municipality's or an authority's contacts) whose
number is unverified or unreachable is a gap under each list they are on (#15.2)."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.directory.models import (
    AuthorityContact,
    MunicipalityContact,
    Organisation,
    OrgKind,
    Person,
    RosterEntry,
)
from beredskab.directory.schemas import Duty, Gap, Listed, OrgContacts, Readiness
from beredskab.directory.service import get_steering_group
from beredskab.directory.verification import phone_state
from beredskab.roles import REQUIRED_DEPUTIES, Role


async def readiness(session: AsyncSession) -> Readiness:
    """What would fail on the night: missing primaries, deputies, contacts; inactive people."""
    gaps: list[Gap] = []
    people = {p.id: p for p in (await session.exec(select(Person))).all()}
    active = {pid: p.active for pid, p in people.items()}

    def phone_gaps(subject: str, person_ids: list[str]) -> list[Gap]:
        return [gap for pid in person_ids if (gap := _phone_gap(subject, people[pid]))]

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
            Gap(
                "inactive_on_roster",
                role.value,
                f"{e.person_id} (rank {e.rank}) is inactive",
                e.person_id,
            )
            for e in entries
            if not active[e.person_id]
        ]
        gaps += phone_gaps(role.value, [e.person_id for e in entries])

    steering = await get_steering_group(session)
    if not steering:
        gaps.append(Gap("no_steering_group", "steering_group", "the steering group is empty"))
    gaps += [
        Gap("inactive_in_steering_group", "steering_group", f"{pid} is inactive", pid)
        for pid in steering
        if not active[pid]
    ]
    gaps += phone_gaps("steering_group", steering)

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
                gaps.append(Gap("inactive_contact", org.id, detail, ranks[rank]))
    for org_id, ranks in sorted(by_org.items()):
        gaps += phone_gaps(org_id, [ranks[r] for r in sorted(ranks)])
    authority = (
        await session.exec(
            select(AuthorityContact).order_by(AuthorityContact.org_id, AuthorityContact.person_id)
        )
    ).all()
    for a in authority:
        gaps += phone_gaps(a.org_id, [a.person_id])
    gaps += [
        Gap(
            "inactive_contact",
            a.org_id,
            f"authority contact {a.person_id} is inactive",
            a.person_id,
        )
        for a in authority
        if not active[a.person_id]
    ]
    return Readiness(gaps)


def _phone_gap(subject: str, person: Person) -> Gap | None:
    """An active person's number that a call-out cannot rely on (an inactive one is a gap
    already)."""
    state = phone_state(person)
    if not person.active or state == "verified":
        return None
    if state == "unreachable":
        detail = (
            f"{person.id}'s number {person.phone} is unreachable: {person.phone_unreachable_reason}"
        )
    else:
        detail = f"{person.id}'s number {person.phone} is not verified"
    return Gap(f"{state}_phone", subject, detail, person.id)


async def on_duty(session: AsyncSession) -> Duty:
    """Who is called on the night, in the order they are called (inactive people included and
    marked: a gap the page shows)."""
    people = {p.id: p for p in (await session.exec(select(Person))).all()}
    orgs = {o.id: o for o in (await session.exec(select(Organisation))).all()}

    def listed(person_id: str) -> Listed:
        p = people[person_id]
        return Listed(p.id, p.name, p.phone, p.org_id, p.title, p.active, phone_state(p))

    roster = (await session.exec(select(RosterEntry).order_by(RosterEntry.rank))).all()
    by_role = {role.value: [listed(e.person_id) for e in roster if e.role == role] for role in Role}
    contacts = (
        await session.exec(
            select(MunicipalityContact).order_by(
                MunicipalityContact.org_id, MunicipalityContact.rank
            )
        )
    ).all()
    authority = (
        await session.exec(
            select(AuthorityContact).order_by(AuthorityContact.org_id, AuthorityContact.person_id)
        )
    ).all()

    def grouped(rows) -> list[OrgContacts]:  # noqa: ANN001 - contact rows, ordered by org
        out: dict[str, OrgContacts] = {}
        for row in rows:
            org = orgs[row.org_id]
            out.setdefault(org.id, OrgContacts(org.id, org.name, [])).people.append(
                listed(row.person_id)
            )
        return sorted(out.values(), key=lambda c: c.name)

    return Duty(
        roster=by_role,
        steering=[listed(pid) for pid in await get_steering_group(session)],
        municipalities=grouped(contacts),
        authorities=grouped(authority),
        required_deputies={role.value: n for role, n in REQUIRED_DEPUTIES.items()},
    )
