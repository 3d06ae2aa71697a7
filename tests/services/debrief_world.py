"""A scripted activation with known times for the debrief tests: endorsed after 4 minutes, the
log keeper's primary declines and the first deputy takes the role, a shift whose place withdrawn
by one municipality is re-filled by another, one SMS refused by the provider and one reported
undelivered. Times are set (`now` given to each use case); the stand-down is written as rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation, ActivationStatus, PagePurpose
from beredskab.costs.models import Tariff
from beredskab.crisis_staff.models import RoleTenure
from beredskab.escalation import PageState
from beredskab.outbox import Channel, OutboxMessage, OutboxStatus
from beredskab.roles import Role
from beredskab.shifts import confirmation
from beredskab.shifts.models import Shift
from tests.conftest import TestDB
from tests.factories import make_activation, make_page
from tests.services.shift_world import (
    NOW,
    ShiftWorld,
    allocation_of,
    open_shift_world,
    reply,
    shift_for,
    withdraw,
)

T0 = NOW - timedelta(hours=2)  # requested
LONG = "Krisestaben er aktiveret. " * 7  # 175 GSM-7 characters: 2 segments
STOOD_DOWN = NOW + timedelta(hours=3)


def at(minutes: float, start: datetime = T0) -> datetime:
    return start + timedelta(minutes=minutes)


@dataclass
class Scripted:
    world: ShiftWorld
    activation: Activation
    shift: Shift


# (role, person, rank, created at, answered at, state): the role pages, in the order sent
ROLE_PAGES = [
    (Role.crisis_leader, "leader0", 0, 4, 6, PageState.acked),
    (Role.log_keeper, "log0", 0, 4, 5, PageState.declined),
    (Role.log_keeper, "log1", 1, 5, 9, PageState.acked),
    (Role.process_lead, "proc0", 0, 4, 7, PageState.acked),
    (Role.staffing_lead, "staff0", 0, 4, 8, PageState.acked),
]


async def scripted_activation(db: TestDB, session: AsyncSession) -> Scripted:
    world = await open_shift_world(db, session)
    people = world.people
    activation = await make_activation(
        session,
        authority_id="odder",
        status=ActivationStatus.active,
        now=T0,
        title="Vandforsyning svigter",
        created_by="Odder Kommune",
        endorsed_at=at(4),
        endorsed_by="Navn steer0",
    )
    world = ShiftWorld(db, session, world.cfg, activation, people, world.orgs)
    session.add(Tariff(valid_from=date(2026, 1, 1), rate_ore_per_hour=50_000, created_by="test"))

    async def page(pid: str, sent: datetime, answered: datetime | None, **kw: object) -> None:
        made = await make_page(session, activation, people[pid], now=sent, **kw)
        made.answered_at = answered
        session.add(made)

    await page("steer0", T0, at(4), purpose=PagePurpose.endorse, state=PageState.acked)
    await page("steer1", T0, None, purpose=PagePurpose.endorse, state=PageState.cancelled)
    for role, pid, rank, sent, answered, state in ROLE_PAGES:
        await page(pid, at(sent), at(answered), role=role, rank=rank, state=state)
        if state is PageState.acked:
            session.add(
                RoleTenure(
                    activation_id=activation.id, role=role, person_id=pid, org_id="ddh",
                    started_at=at(answered), ended_at=STOOD_DOWN, end_reason="stood_down",
                )
            )  # fmt: skip
    await session.commit()

    # the shift: 3 agents, Wednesday in opening hours (no approval), asked for at NOW
    shift = await shift_for(world, 3)
    await reply(world, "m0p", shift, count=2, now=at(10, NOW))
    await reply(world, "m1p", shift, count=1, now=at(12, NOW))  # full after 12 minutes
    await withdraw(world, shift, "m1", now=at(20, NOW))
    await reply(world, "m2p", shift, count=1, now=at(25, NOW))  # re-filled, full again
    for org, minute in (("m0", 30), ("m2", 32)):
        allocation = await allocation_of(world, shift, org)
        await world.inside(
            confirmation.confirm, allocation, agents=None, names=[], by=f"Kontakt {org}p",
            via="SMS", now=at(minute, NOW),
        )  # fmt: skip

    # what the use cases queued was never sent (as a stand-down cancels it); the SMS of the
    # story are these, with known fates
    await session.exec(
        update(OutboxMessage)
        .where(OutboxMessage.activation_id == activation.id)
        .values(status=OutboxStatus.cancelled)
    )
    for body, status, report in [
        (LONG, OutboxStatus.sent, "delivered"),
        ("Hej", OutboxStatus.sent, "delivered"),
        ("Hej igen", OutboxStatus.sent, "delivered"),
        ("Vagt", OutboxStatus.sent, "undelivered"),
        ("Afvist", OutboxStatus.failed, None),
    ]:
        session.add(
            OutboxMessage(
                channel=Channel.sms, recipient="+4550200000", body=body,
                activation_id=activation.id, status=status, provider_status=report,
            )
        )  # fmt: skip
    fresh = await session.get(Activation, activation.id, populate_existing=True)
    assert fresh is not None
    fresh.status, fresh.ended_at, fresh.ended_by = ActivationStatus.stood_down, STOOD_DOWN, "x"
    session.add(fresh)
    await session.commit()
    return Scripted(world, fresh, await world.reload(shift))
