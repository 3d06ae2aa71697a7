"""Start a drill, and read its result.

`start` pages every active person of the group (one outbox row and one drill page each, in one
transaction with the drill and its deadline rows): a crash before the commit leaves nothing, one
after it loses nothing. Never two drills at once (a partial unique index keeps one open drill),
and none while a real (non-exercise) activation is requested or active.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import deadlines, direct
from beredskab.activations.models import OPEN_STATUSES, Activation, Page, PageState
from beredskab.directory.models import MunicipalityContact, Person, RosterEntry, SteeringMember
from beredskab.drill_schedule import GROUP_NAMES, MEMBER_GROUPS, DrillGroup
from beredskab.drills.models import Drill, DrillPage, DrillStatus
from beredskab.drills.schemas import DrillSummary
from beredskab.errors import Conflict, NotFound
from beredskab.outbox import OutboxMessage, OutboxStatus, enqueue_sms
from beredskab.playbook import Playbook
from beredskab.unit_of_work import transaction

log = logging.getLogger(__name__)

CLOSE = "drill_close"
CALL_DUE = "drill_call_due"  # the phone call to those who have not answered after N minutes

_GROUP_TABLES = {
    DrillGroup.crisis_roster: RosterEntry,
    DrillGroup.steering: SteeringMember,
    DrillGroup.municipality_contacts: MunicipalityContact,
}


async def members(session: AsyncSession, group: DrillGroup) -> list[tuple[Person, list[str]]]:
    """The active people of `group` (each once) with the groups they are in, by name."""
    found: dict[str, tuple[Person, list[str]]] = {}
    for part in MEMBER_GROUPS[group]:
        table = _GROUP_TABLES[part]
        rows = await session.exec(
            select(Person)
            .where(Person.active.is_(True), Person.id.in_(select(table.person_id)))
            .order_by(Person.name, Person.id)
        )
        for person in rows.all():
            found.setdefault(person.id, (person, []))[1].append(part.value)
    return sorted(found.values(), key=lambda pair: (pair[0].name, pair[0].id))


async def blocker(session: AsyncSession, now: datetime) -> str | None:
    """Why no drill may start now, or None. An open drill past its end is closed here."""
    for drill in (await session.exec(select(Drill).where(Drill.status == DrillStatus.open))).all():
        if drill.ends_at > now:
            return f"drill {drill.id} is still open until {drill.ends_at.isoformat()}"
        _close(drill, now)
    real = await session.exec(
        select(Activation.ref).where(
            Activation.status.in_(OPEN_STATUSES), Activation.exercise.is_(False)
        )
    )
    ref = real.first()
    return None if ref is None else f"activation {ref} is under way (not an exercise)"


def _close(drill: Drill, now: datetime) -> None:
    drill.status = DrillStatus.closed
    drill.closed_at = now


async def _codes(session: AsyncSession, n: int) -> list[str]:
    """`n` distinct 4-digit codes, none of them a code of an open page of a real activation
    (so a reply's code never means both)."""
    taken = set((await session.exec(select(Page.code).where(Page.state == PageState.open))).all())
    free = [str(c) for c in range(1000, 10_000) if str(c) not in taken]
    if n > len(free):
        raise Conflict(f"{n} people are more than a drill's {len(free)} free codes")
    return secrets.SystemRandom().sample(free, n)


async def start(
    session: AsyncSession,
    playbook: Playbook,
    group: DrillGroup,
    *,
    call_after_minutes: int | None,
    by: str,
    now: datetime,
    schedule_rule: str | None = None,
) -> Drill:
    """Page the group; inside the caller's transaction. Conflict when a drill may not start."""
    reason = await blocker(session, now)
    if reason is not None:
        raise Conflict(f"no drill now: {reason}")
    people = await members(session, group)
    drill = Drill(
        group=group.value,
        started_at=now,
        ends_at=now + timedelta(minutes=playbook.drills.open_minutes),
        call_after_minutes=call_after_minutes,
        created_by=by,
        schedule_rule=schedule_rule,
    )
    session.add(drill)
    await session.flush()  # the partial unique index: a second open drill fails here
    outbox = []
    for (person, _), code in zip(people, await _codes(session, len(people)), strict=True):
        text = playbook.render("drill_page", code=code, group=GROUP_NAMES[group])
        row = enqueue_sms(session, person.phone, text, person_id=person.id)
        row.created_at = row.next_attempt_at = now
        outbox.append((row, code))
    await session.flush()
    for (person, groups), (row, code) in zip(people, outbox, strict=True):
        session.add(
            DrillPage(
                drill_id=drill.id,
                person_id=person.id,
                phone=person.phone,
                code=code,
                groups=",".join(groups),
                outbox_id=row.id,
            )
        )
    deadlines.schedule(session, CLOSE, drill.ends_at, subject_id=drill.id)
    if call_after_minutes is not None:
        due = now + timedelta(minutes=call_after_minutes)
        deadlines.schedule(session, CALL_DUE, due, subject_id=drill.id)
    log.info("drill %s over %s: %s people paged, by %s", drill.id, group, len(people), by)
    return drill


async def create(
    session: AsyncSession,
    playbook: Playbook,
    group: DrillGroup,
    *,
    call_after_minutes: int | None,
    by: str,
    now: datetime,
) -> DrillSummary:
    """`POST /drills`: start a drill now; commits."""
    try:
        async with transaction(session):
            drill = await start(
                session, playbook, group, call_after_minutes=call_after_minutes, by=by, now=now
            )
    except IntegrityError as exc:  # another drill started at the same moment
        raise Conflict("no drill now: another drill has just started") from exc
    return (await summaries(session, drill_id=drill.id))[0]


def open_drill():  # noqa: ANN201 - a Select
    """The open drill's id, if any (bind `open` to `DrillStatus.open`): `give_way`'s check, for a
    caller that asks it within a statement of its own."""
    return select(Drill.id).where(Drill.status == bindparam("open")).limit(1)


_OPEN_DRILL = direct.Query(open_drill)


async def give_way(session: AsyncSession, now: datetime, *, open_seen: bool | None = None) -> int:
    """A real activation was requested: the open drill ends now, and its SMS not yet sent are
    cancelled so that they never queue before the real pages (the rate limit is shared). Inside
    the caller's transaction; returns how many SMS were cancelled.

    `open_seen`: whether a statement of this transaction found an open drill already
    (`open_drill`); None: look now."""
    if open_seen is None:
        open_seen = bool(await _OPEN_DRILL.rows(session, open=DrillStatus.open))
    if not open_seen:  # the usual case: none
        return 0
    drill = (await session.exec(select(Drill).where(Drill.status == DrillStatus.open))).first()
    if drill is None:
        return 0
    _close(drill, now)
    session.add(drill)
    cancelled = await session.exec(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.pending,
            OutboxMessage.id.in_(select(DrillPage.outbox_id).where(DrillPage.drill_id == drill.id)),
        )
        .values(status=OutboxStatus.cancelled)
    )
    n = cancelled.rowcount or 0
    log.warning("drill %s stopped for a real activation; %s SMS not sent", drill.id, n)
    return n


async def summaries(
    session: AsyncSession, *, drill_id: int | None = None, limit: int = 100
) -> list[DrillSummary]:
    """Drills, newest first (or the one `drill_id`), each with its number of people."""
    people = (
        select(DrillPage.drill_id, func.count().label("n")).group_by(DrillPage.drill_id).subquery()
    )
    query = (
        select(Drill, func.coalesce(people.c.n, 0))
        .outerjoin(people, people.c.drill_id == Drill.id)
        .order_by(Drill.started_at.desc(), Drill.id.desc())
        .limit(limit)
    )
    if drill_id is not None:
        query = query.where(Drill.id == drill_id)
    rows = (await session.exec(query)).all()
    if drill_id is not None and not rows:
        raise NotFound(f"drill {drill_id} not found")
    return [_summary(drill, n) for drill, n in rows]


def _summary(drill: Drill, people: int) -> DrillSummary:
    group = DrillGroup(drill.group)
    return DrillSummary(
        id=drill.id or 0,
        group=group,
        group_name=GROUP_NAMES[group],
        status=drill.status,
        started_at=drill.started_at,
        ends_at=drill.ends_at,
        closed_at=drill.closed_at,
        call_after_minutes=drill.call_after_minutes,
        created_by=drill.created_by,
        scheduled=drill.schedule_rule is not None,
        people=people,
    )
