"""Read side of shifts: the API shape, the status board's list, and calendar files (one shift's,
and a municipality's feed opened by its secret key)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation, Page, PageState
from beredskab.activations.repository import get_visible
from beredskab.auth.service import Principal
from beredskab.directory.models import Organisation
from beredskab.directory.service import org_names
from beredskab.errors import Forbidden, NotFound
from beredskab.shifts import feeds, ics, notices, repository
from beredskab.shifts.models import (
    AllocationState,
    Shift,
    ShiftState,
    VolunteerAllocation,
)
from beredskab.shifts.schemas import AllocationOut, PieceOut, ShiftOut

if TYPE_CHECKING:
    from beredskab.activations.config import ActivationConfig


async def describe_many(
    session: AsyncSession, cfg: ActivationConfig, shifts: list[Shift]
) -> list[ShiftOut]:
    ids = [s.id for s in shifts]
    if not ids:
        return []
    held = (
        await session.exec(
            select(VolunteerAllocation)
            .where(VolunteerAllocation.shift_id.in_(ids))
            .order_by(VolunteerAllocation.id)
        )
    ).all()
    open_counts = dict(
        (
            await session.exec(
                select(Page.shift_id, func.count())
                .where(Page.shift_id.in_(ids), Page.state == PageState.open)
                .group_by(Page.shift_id)
            )
        ).all()
    )
    names = await org_names(session, (a.org_id for a in held))
    out = []
    for shift in shifts:
        mine = [a for a in held if a.shift_id == shift.id]
        active = [a for a in mine if a.state == AllocationState.active]
        out.append(
            ShiftOut(
                id=shift.id,
                activation_id=shift.activation_id,
                label=notices.label(cfg, shift),
                start=shift.start,
                end=shift.end,
                agents_needed=shift.agents_needed,
                agents_allocated=sum(a.agents for a in active),
                # as the status board counts them (board._shifts): places confirmed
                agents_confirmed=sum(a.agents for a in active if a.confirmed_at),
                state=shift.state,
                needs_approval=shift.out_of_hours_minutes > 0,
                in_hours_minutes=shift.in_hours_minutes,
                out_of_hours_minutes=shift.out_of_hours_minutes,
                pieces=[PieceOut(**p) for p in shift.pieces],
                requested_by=shift.requested_by,
                approved_at=shift.approved_at,
                approved_by=shift.approved_by,
                ended_at=shift.ended_at,
                reason=shift.decided_reason,
                open_pages=open_counts.get(shift.id, 0),
                allocations=[
                    AllocationOut(
                        id=a.id,
                        org_id=a.org_id,
                        municipality=names.get(a.org_id, a.org_id),
                        agents=a.agents,
                        state=a.state,
                        confirmed_at=a.confirmed_at,
                        confirmed_agents=a.confirmed_agents,
                        agent_names=a.agent_names,
                        withdrawn_at=a.withdrawn_at,
                    )
                    for a in mine
                ],
            )
        )
    return out


async def describe(session: AsyncSession, cfg: ActivationConfig, shift: Shift) -> ShiftOut:
    return (await describe_many(session, cfg, [shift]))[0]


async def shifts_for(
    session: AsyncSession, cfg: ActivationConfig, principal: Principal, activation_id: str
) -> list[ShiftOut]:
    """The activation's shifts, as far as `principal` may see the activation."""
    activation = await get_visible(session, principal, activation_id)
    return await describe_many(session, cfg, await shifts_of(session, activation.id))


async def shift_for(
    session: AsyncSession,
    cfg: ActivationConfig,
    principal: Principal,
    activation_id: str,
    shift_id: int,
) -> ShiftOut:
    activation = await get_visible(session, principal, activation_id)
    return await describe(session, cfg, await repository.get_shift(session, activation, shift_id))


async def shifts_of(session: AsyncSession, activation_id: str) -> list[Shift]:
    rows = await session.exec(
        select(Shift).where(Shift.activation_id == activation_id).order_by(Shift.start, Shift.id)
    )
    return list(rows.all())


# --- calendar files ------------------------------------------------------------------------------


def _event(
    cfg: ActivationConfig,
    shift: Shift,
    activation: Activation,
    allocation: VolunteerAllocation | None,
    now: datetime,
) -> ics.ShiftEvent:
    when = notices.label(cfg, shift)
    agents = f", {allocation.agents} agenter" if allocation else f", {shift.agents_needed} agenter"
    cancelled = shift.state in (ShiftState.cancelled, ShiftState.rejected) or (
        allocation is not None and allocation.state != AllocationState.active
    )
    description = (
        f"DDH Beredskab {activation.ref}: {activation.title}\n"
        f"Vagt i DDH Kontaktcenter {when}{agents}.\n"
        + ("Vagten er aflyst eller afmeldt.\n" if cancelled else "")
        + (
            f"Bekræftet {allocation.confirmed_agents} agenter.\n"
            if allocation and allocation.confirmed_at
            else ""
        )
    )
    # SEQUENCE must grow with every change a calendar should pick up.
    sequence = (
        shift.callout_round
        + (1 if cancelled else 0)
        + (1 if allocation and allocation.confirmed_at else 0)
    )
    return ics.ShiftEvent(
        uid=f"ddh-beredskab-shift-{shift.id}"
        + (f"-{allocation.org_id}" if allocation else "")
        + "@ddh.dk",
        start=shift.start,
        end=shift.ended_at
        if shift.ended_at and shift.ended_at < shift.end and not cancelled
        else shift.end,
        summary=f"{'AFLYST: ' if cancelled else ''}DDH Beredskab vagt {activation.ref}{agents}",
        description=description,
        cancelled=cancelled,
        sequence=sequence,
        stamp=now,
    )


def shift_ics(cfg: ActivationConfig, shift: Shift, activation: Activation, now: datetime) -> bytes:
    return ics.calendar(
        f"DDH Beredskab {activation.ref}", [_event(cfg, shift, activation, None, now)]
    )


async def shift_calendar(
    session: AsyncSession, cfg: ActivationConfig, principal: Principal, shift_id: int, now: datetime
) -> bytes:
    """One shift as an iCalendar file, if `principal` may see its activation."""
    shift = await session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"no shift {shift_id}")
    activation = await get_visible(session, principal, shift.activation_id)
    return shift_ics(cfg, shift, activation, now)


async def feed_calendar(
    session: AsyncSession, cfg: ActivationConfig, org_id: str, key: str, now: datetime
) -> bytes:
    """A municipality's shifts as a calendar feed; the secret key in the URL is the access."""
    org = await feeds.feed_org(session, org_id, key)
    if org is None:
        raise Forbidden("this calendar feed URL is not valid; ask DDH for a new one")
    return await municipality_feed(session, cfg, org, now)


async def municipality_feed(
    session: AsyncSession, cfg: ActivationConfig, org: Organisation, now: datetime
) -> bytes:
    rows = await session.exec(
        select(VolunteerAllocation, Shift, Activation)
        .join(Shift, Shift.id == VolunteerAllocation.shift_id)
        .join(Activation, Activation.id == Shift.activation_id)
        .where(VolunteerAllocation.org_id == org.id)
        .order_by(Shift.start)
    )
    events = [
        _event(cfg, shift, activation, allocation, now)
        for allocation, shift, activation in rows.all()
    ]
    return ics.calendar(f"DDH Beredskab vagter - {org.name}", events)
