"""A world for the shift service tests: the seeded directory, three contact-centre municipalities,
an endorsed activation, the playbook in force, a fixed `now`, and what the use cases wrote (the
outbox, the deadlines, the log) read back in order."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import deadlines
from beredskab.activations.config import ActivationConfig
from beredskab.activations.models import Activation, Page
from beredskab.activations.repository import lock_activation
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.deadlines import Deadline, DeadlineStatus
from beredskab.directory.models import Person
from beredskab.eventlog.models import LogEntry
from beredskab.outbox import OutboxMessage
from beredskab.playbook_file import load_playbook
from beredskab.settings import DEFAULT_PLAYBOOK
from beredskab.shifts import allocations, confirmation
from beredskab.shifts.handlers import deadline_handlers
from beredskab.shifts.models import Shift, VolunteerAllocation
from beredskab.shifts.requesting import ShiftRequest, request_shift
from beredskab.unit_of_work import transaction
from tests.conftest import TestDB
from tests.factories import make_active_activation, make_municipality
from tests.scenario import seed_directory

CPH = ZoneInfo("Europe/Copenhagen")
# Monday 23 November 2026, 13:00 in Copenhagen
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
WEDNESDAY_10 = datetime(2026, 11, 25, 10, tzinfo=CPH)  # 10-14 lies in opening hours
SATURDAY_10 = datetime(2026, 11, 28, 10, tzinfo=CPH)  # all of it outside opening hours


def principal(role: TokenRole, name: str, org_id: str | None = None) -> Principal:
    return Principal(token_id=1, role=role, org_id=org_id, person_id=None, label=name)


LEADER = principal(TokenRole.crisis_staff, "leader")
STEERING = principal(TokenRole.steering, "styregruppe")
AUTHORITY = principal(TokenRole.authority, "odder", org_id="odder")


@dataclass
class ShiftWorld:
    db: TestDB
    session: AsyncSession
    cfg: ActivationConfig
    activation: Activation
    people: dict[str, Person]
    orgs: list[str]
    _seen: int = field(default=0)

    @property
    def activation_id(self) -> str:
        # a plain attribute: after a use case refused and rolled back, rows in the session are
        # expired, and reading one lazily would be I/O outside the event loop's greenlet
        return self._activation_id

    def __post_init__(self) -> None:
        self._activation_id = self.activation.id

    async def tick(self, at: datetime) -> int:
        """Run the deadlines due at `at`, as the scheduler would (each in its own transaction)."""
        handlers = deadline_handlers(self.cfg)  # the world has no other deadlines
        await self.session.commit()  # end our read: on SQLite it holds the write lock
        return await deadlines.run_due(self.db.sessionmaker, handlers, now=at)

    async def sent(self) -> list[OutboxMessage]:
        """The SMS queued since the last call, in order."""
        rows = (
            await self.session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.id > self._seen)
                .order_by(OutboxMessage.id)
            )
        ).all()
        if rows:
            self._seen = rows[-1].id or self._seen
        return list(rows)

    async def inbox(self, pid: str) -> list[str]:
        rows = await self.session.exec(
            select(OutboxMessage.body)
            .where(OutboxMessage.recipient == self.people[pid].phone)
            .order_by(OutboxMessage.id)
        )
        return list(rows.all())

    def phones(self, *pids: str) -> list[str]:
        return sorted(self.people[p].phone for p in pids)

    async def log(self, kind: str | None = None) -> list[LogEntry]:
        query = select(LogEntry).where(LogEntry.activation_id == self.activation_id)
        if kind is not None:
            query = query.where(LogEntry.kind == kind)
        return list((await self.session.exec(query.order_by(LogEntry.seq))).all())

    async def deadlines(self, **where: object) -> list[tuple[str, datetime, int | None]]:
        """Pending deadlines as (kind, due, subject), by due time."""
        query = select(Deadline).where(Deadline.status == DeadlineStatus.pending)
        for name, value in where.items():
            query = query.where(getattr(Deadline, name) == value)
        rows = (await self.session.exec(query.order_by(Deadline.due_at, Deadline.id))).all()
        return [(d.kind, d.due_at, d.subject_id) for d in rows]

    async def page_of(self, pid: str, shift: Shift) -> Page:
        """The person's newest page for the shift."""
        rows = await self.session.exec(
            select(Page)
            .where(Page.person_id == pid, Page.shift_id == shift.id)
            .order_by(Page.id.desc())  # type: ignore[union-attr]
        )
        page = rows.first()
        assert page is not None, f"{pid} has no page for shift {shift.id}"
        return page

    async def reload(self, shift: Shift) -> Shift:
        fresh = await self.session.get(Shift, shift.id, populate_existing=True)
        assert fresh is not None
        return fresh

    async def inside(self, step, *args, **kwargs):  # noqa: ANN001, ANN201
        """Run an inner step (one that runs inside its caller's transaction) as flows.inbound or
        a deadline handler would: the activation locked, one commit at the end."""
        async with transaction(self.session):
            activation = await lock_activation(self.session, self.activation_id)
            return await step(self.session, self.cfg, activation, *args, **kwargs)


def code_in(body: str) -> str:
    match = re.search(r"\b(?:OK|JA|NEJ|BEKRÆFT|AFMELD) (\d{4})\b", body)
    assert match, body
    return match.group(1)


async def open_shift_world(
    db: TestDB, session: AsyncSession, municipalities: int = 3
) -> ShiftWorld:
    people = await seed_directory(session)
    orgs = []
    for i in range(municipalities):
        org = await make_municipality(session, i)
        orgs.append(org.id)
        for suffix in ("p", "s"):
            person = await session.get(Person, f"m{i}{suffix}")
            assert person is not None
            people[person.id] = person
    loaded = load_playbook(DEFAULT_PLAYBOOK)
    cfg = ActivationConfig(playbook=loaded.playbook, playbook_hash=loaded.content_hash)
    activation = await make_active_activation(session)
    return ShiftWorld(db, session, cfg, activation, people, orgs)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


# --- steps the shift tests take, as the staffing lead and the municipalities would -------------


async def shift_for(world: ShiftWorld, agents: int) -> Shift:
    """The staffing lead asks for Wednesday 10-14 (in opening hours: no approval); what the request
    queued is taken as seen."""
    wanted = ShiftRequest(WEDNESDAY_10, WEDNESDAY_10 + hours(4), agents)
    shift = await request_shift(
        world.session, world.cfg, world.activation_id, wanted, LEADER, now=NOW
    )
    await world.sent()
    return shift


async def reply(  # noqa: ANN201 - what the step returns
    world: ShiftWorld,
    pid: str,
    shift: Shift,
    *,
    accept: bool = True,
    count: int | None = None,
    now: datetime = NOW,
):
    """`pid` answers their newest page for the shift by SMS: JA (with `count`) or NEJ."""
    page = await world.page_of(pid, shift)
    return await world.inside(
        allocations.volunteer_reply,
        page,
        world.people[pid],
        accept=accept,
        count=count,
        via="SMS",
        now=now,
    )


async def allocation_of(world: ShiftWorld, shift: Shift, org_id: str) -> VolunteerAllocation:
    rows = await world.session.exec(
        select(VolunteerAllocation)
        .where(VolunteerAllocation.shift_id == shift.id, VolunteerAllocation.org_id == org_id)
        .execution_options(populate_existing=True)
    )
    return rows.one()


async def withdraw(world: ShiftWorld, shift: Shift, org_id: str, now: datetime = NOW):  # noqa: ANN201
    allocation = await allocation_of(world, shift, org_id)
    return await world.inside(confirmation.withdraw, allocation, by="Kontakt", via="SMS", now=now)
