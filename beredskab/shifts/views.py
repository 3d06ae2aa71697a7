"""Read side of shifts: the API shape, the status board's list, and calendar files."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation, Page, PageState
from beredskab.directory.models import Organisation
from beredskab.directory.service import org_names
from beredskab.shifts import ics, service
from beredskab.shifts.models import (
    AllocationState,
    CalendarFeed,
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
                label=service.label(cfg, shift),
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
    when = service.label(cfg, shift)
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


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def rotate_feed_key(session: AsyncSession, org_id: str, *, by: str, now: datetime) -> str:
    """A new secret for the municipality's feed (the old URL stops working); returns the key."""
    key = secrets.token_urlsafe(24)
    feed = await session.get(CalendarFeed, org_id)
    if feed is None:
        feed = CalendarFeed(org_id=org_id, key_hash=_hash(key), created_by=by, created_at=now)
    else:
        feed.key_hash, feed.created_by, feed.created_at = _hash(key), by, now
    session.add(feed)
    return key


async def feed_org(session: AsyncSession, org_id: str, key: str) -> Organisation | None:
    """The municipality whose feed `key` opens, or None (wrong key, unknown org)."""
    feed = await session.get(CalendarFeed, org_id)
    if feed is None or not secrets.compare_digest(feed.key_hash, _hash(key)):
        return None
    return await session.get(Organisation, org_id)
