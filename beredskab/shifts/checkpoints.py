"""Before the start (T-24 h, T-2 h, T-1 h): reminders to municipalities that have not confirmed,
and alerts to the staffing lead about places missing or unconfirmed.

A deadline handler's step: runs inside the caller's transaction (the activation row locked) and
never commits. What to do is `rules.checkpoint_plan`; this module loads and writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation, ActivationStatus
from beredskab.activations.notify import sms_person
from beredskab.danish import count
from beredskab.directory.service import org_names
from beredskab.eventlog import service as eventlog
from beredskab.shifts import notices, repository, rules
from beredskab.shifts.models import AllocationState, Shift

if TYPE_CHECKING:
    from beredskab.activations.config import ActivationConfig


async def checkpoint(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    kind: str,
    now: datetime,
) -> None:
    """T-24 h and T-2 h: remind the unconfirmed; T-2 h: shortfall to the staffing lead;
    T-1 h: the still unconfirmed to the staffing lead."""
    if activation.status != ActivationStatus.active or shift.state not in rules.STAFFING_STATES:
        return
    text = notices.label(cfg, shift)
    active = await repository.allocations(session, shift, (AllocationState.active,))
    plan = rules.checkpoint_plan(
        kind,
        shift.agents_needed,
        [rules.Places(a.id or 0, a.org_id, a.agents, a.confirmed_at is not None) for a in active],
    )
    by_id = {a.id: a for a in active}
    unconfirmed = [by_id[key] for key in plan.unconfirmed]
    names = await org_names(session, (a.org_id for a in unconfirmed))
    if plan.remind:
        # who to remind and how, in two more reads for all of them
        reminded = [by_id[key] for key in plan.remind]
        people = {
            p.id: p for p in await repository.people(session, (a.person_id for a in reminded))
        }
        codes = await repository.page_codes(session, [a.page_id for a in reminded if a.page_id])
        for allocation in reminded:
            person = people.get(allocation.person_id or "")
            code = codes.get(allocation.page_id or 0)
            if person is None or code is None:
                continue
            sms_person(
                session,
                cfg.playbook,
                activation,
                person,
                "volunteer_reminder",
                ref=activation.ref,
                shift=text,
                agents=allocation.agents,
                municipality=names.get(allocation.org_id, allocation.org_id),
                code=code,
            )
    if plan.alert_short:
        shift.short_alerted_at = now
        session.add(shift)
        await notices.tell_staffing_lead(
            session,
            cfg,
            activation,
            "staffing_shift_short",
            shift=text,
            missing=plan.missing,
            agents=shift.agents_needed,
        )
    if plan.alert_unconfirmed:
        await notices.tell_staffing_lead(
            session,
            cfg,
            activation,
            "staffing_unconfirmed",
            shift=text,
            municipalities=", ".join(names.get(a.org_id, a.org_id) for a in unconfirmed),
        )
    eventlog.append(
        session,
        activation,
        kind,
        f"Vagt {text}, {count(plan.hours_before, 'time', 'timer')} før start: "
        f"{count(len(unconfirmed), 'kommune', 'kommuner')} ikke bekræftet, mangler "
        f"{count(plan.missing, 'agent', 'agenter')}.",
        data={
            "shift_id": shift.id,
            "unconfirmed": [a.org_id for a in unconfirmed],
            "missing": plan.missing,
        },
        now=now,
    )
