"""Requesting a contact-centre shift: validated, split into in- and out-of-hours time, and then
either sent to the steering group for approval or straight to the volunteer call-out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import ActivationStatus
from beredskab.activations.notify import state_changed
from beredskab.activations.repository import get_visible, lock_activation
from beredskab.auth.service import Principal
from beredskab.danish import count
from beredskab.errors import Conflict, FieldProblem, InvalidInput
from beredskab.eventlog import service as eventlog
from beredskab.shifts import approval, callout, notices, rules
from beredskab.shifts.models import Shift
from beredskab.unit_of_work import transaction

if TYPE_CHECKING:
    from beredskab.activations.config import ActivationConfig


@dataclass(frozen=True)
class ShiftRequest:
    start: datetime
    end: datetime
    agents_needed: int


async def request_shift(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation_id: str,
    body: ShiftRequest,
    principal: Principal,
    *,
    now: datetime,
) -> Shift:
    """Crisis staff or the activation's own authority asks for a shift. Commits."""
    by = principal.display_name
    async with transaction(session):
        await get_visible(session, principal, activation_id)  # an authority: its own
        activation = await lock_activation(session, activation_id)
        if activation.status != ActivationStatus.active:
            raise Conflict(
                f"activation {activation.ref} is {activation.status}; shifts can only be "
                "requested for an active (endorsed) activation"
            )
        preview = rules.preview_request(
            body.start, body.end, body.agents_needed, cfg.opening_rules, now
        )
        if preview.problems:
            raise InvalidInput([FieldProblem(f, reason) for f, reason in preview.problems])
        in_minutes, out_minutes = preview.in_hours_minutes, preview.out_of_hours_minutes
        pieces = list(preview.pieces)
        shift = Shift(
            activation_id=activation.id,
            start=body.start,
            end=body.end,
            agents_needed=body.agents_needed,
            state=preview.state,
            in_hours_minutes=in_minutes,
            out_of_hours_minutes=out_minutes,
            pieces=pieces,
            requested_by=by,
            created_at=now,
        )
        session.add(shift)
        await session.flush()
        eventlog.append(
            session,
            activation,
            "shift_requested",
            f"Vagt {notices.label(cfg, shift)} med "
            f"{count(shift.agents_needed, 'agent', 'agenter')} anmodet af {by}: "
            f"{in_minutes} min i åbningstid, {out_minutes} min uden for åbningstid"
            + (" — afventer styregruppens godkendelse." if out_minutes else "."),
            actor=by,
            data={"shift_id": shift.id, "pieces": pieces, "agents_needed": shift.agents_needed},
            now=now,
        )
        if out_minutes:
            await approval.page_steering(session, cfg, activation, shift, now)
        else:
            await callout.start_callout(session, cfg, activation, shift, now)
        state_changed(session, activation, "shift_requested", now, shift_id=shift.id)
    return shift
