"""How a shift ends: cancelled (by crisis staff or the authority, or at stand-down before it
starts), cut short (stand-down while it runs), or over at its end.

`cancel_shift` is a use case: it locks, decides and commits. `on_activation_closed` (flows.closing)
and `shift_over` (a deadline) run inside the caller's transaction and never commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation, PagePurpose
from beredskab.activations.repository import get_visible
from beredskab.auth.service import Principal
from beredskab.danish import count
from beredskab.errors import Conflict
from beredskab.eventlog import service as eventlog
from beredskab.shifts import notices, repository, rules
from beredskab.shifts.models import AllocationState, Shift
from beredskab.unit_of_work import transaction

if TYPE_CHECKING:
    from beredskab.activations.config import ActivationConfig


async def cancel_shift(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation_id: str,
    shift_id: int,
    principal: Principal,
    *,
    reason: str,
    now: datetime,
) -> Shift:
    """Crisis staff or the activation's own authority cancels a shift. Commits."""
    by = principal.display_name
    async with transaction(session):
        await get_visible(session, principal, activation_id)
        activation, shift = await repository.lock_shift(session, activation_id, shift_id)
        if problem := rules.cancel_problem(shift, now):
            raise Conflict(problem)
        await end_shift(session, cfg, activation, shift, by=by, reason=reason, now=now)
        await notices.tell_staffing_lead(
            session,
            cfg,
            activation,
            "staffing_shift_cancelled",
            shift=notices.label(cfg, shift),
            by=by,
        )
    return shift


async def end_shift(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    *,
    by: str,
    reason: str,
    now: datetime,
    tell_approvers: bool = True,
) -> None:
    """Cancel a shift that has not started; cut short one that is running. Tells who must know
    (steering members still asked to approve only when `tell_approvers`: at stand-down they get
    the stand-down SMS instead). Runs inside the caller's transaction."""
    text = notices.label(cfg, shift)
    plan = rules.end_plan(shift, now)
    shift.ended_at = now
    shift.ended_by = by
    shift.decided_reason = reason
    if plan.new_state is not None:
        shift.state = plan.new_state
    session.add(shift)
    await notices.close_shift_pages(
        session,
        cfg,
        activation,
        shift,
        PagePurpose.volunteer,
        now,
        key="shift_cancelled",
        ref=activation.ref,
        shift=text,
    )
    await notices.close_shift_pages(
        session,
        cfg,
        activation,
        shift,
        PagePurpose.shift_approve,
        now,
        key="page_closed" if tell_approvers else None,
        ref=activation.ref,
    )
    held = await repository.allocations(
        session, shift, (AllocationState.active, AllocationState.released)
    )
    told = [a for a in held if a.state in plan.told_states]
    if plan.cancel_allocations:
        for allocation in held:
            allocation.state = AllocationState.cancelled
            session.add(allocation)
    await notices.tell_people(
        session,
        cfg,
        activation,
        [a.person_id for a in told],
        plan.kind,
        ref=activation.ref,
        shift=text,
    )
    eventlog.append(
        session,
        activation,
        plan.kind,
        # after the cut: a shift cut short is logged with the end it really had
        f"Vagt {notices.label(cfg, shift)} {plan.verb} af {by}."
        + (f" Begrundelse: {reason.rstrip('.')}." if reason else "")
        + f" {count(len(held), 'kommune', 'kommuner')} orienteret.",
        actor=by,
        data={"shift_id": shift.id, "reason": reason, "running": plan.running},
        now=now,
    )


async def on_activation_closed(
    session: AsyncSession, cfg: ActivationConfig, activation: Activation, *, by: str, now: datetime
) -> None:
    """Stand-down: cancel every shift that has not started, cut short the running ones. Runs
    inside the caller's transaction (flows.closing)."""
    for shift in await repository.open_shifts_ahead(session, activation, now):
        await end_shift(
            session,
            cfg,
            activation,
            shift,
            by=by,
            reason="aktiveringen er afsluttet",
            now=now,
            tell_approvers=False,
        )


async def shift_over(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    now: datetime,
) -> None:
    """At the end: close the call-out's pages quietly (a later JA is told the shift is over) and
    log how it was staffed. A deadline handler's step: runs inside the caller's transaction."""
    if shift.state not in rules.STAFFING_STATES:
        return
    closed, _ = await notices.close_shift_pages(
        session, cfg, activation, shift, PagePurpose.volunteer, now, key=None
    )
    held = await repository.allocations(session, shift, (AllocationState.active,))
    staffed = sum(a.agents for a in held)
    eventlog.append(
        session,
        activation,
        "shift_over",
        f"Vagt {notices.label(cfg, shift)} er slut: {staffed} af "
        f"{count(shift.agents_needed, 'agent', 'agenter')} fra "
        f"{count(len(held), 'kommune', 'kommuner')}; {closed} ubesvarede kald lukket.",
        data={"shift_id": shift.id, "agents": staffed, "closed_pages": closed},
        now=now,
    )
