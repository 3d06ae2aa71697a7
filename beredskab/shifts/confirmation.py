"""A municipality's places after its JA: confirming the agents (BEKRÆFT, or names through the API)
and withdrawing them (AFMELD). Fewer places than promised reopen and the call-out resumes.

`confirm_allocation` and `withdraw_allocation` are the API's use cases: they lock, decide and
commit. `confirm` and `withdraw` run inside the caller's transaction (flows.inbound) and never
commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import danish
from beredskab.activations.models import Activation, ActivationStatus
from beredskab.activations.pages import ReplyOutcome
from beredskab.auth.service import Principal
from beredskab.errors import Conflict, InvalidInput
from beredskab.eventlog import service as eventlog
from beredskab.shifts import callout, notices, repository, rules, volunteer_rules
from beredskab.shifts.models import Shift, ShiftState, VolunteerAllocation
from beredskab.unit_of_work import transaction

if TYPE_CHECKING:
    from beredskab.activations.config import ActivationConfig

# what an SMS would answer with "not possible"; through the API a 409 instead
REFUSALS = {"nothing_to_confirm", "nothing_to_withdraw"}


async def _allocation_context(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    allocation: VolunteerAllocation,
    now: datetime,
) -> tuple[Shift, dict, str | None]:
    """The allocation's shift (read under the lock), the SMS values, and why it is closed."""
    shift = await session.get(Shift, allocation.shift_id, populate_existing=True)
    assert shift is not None
    values = {
        "ref": activation.ref,
        "shift": notices.label(cfg, shift),
        "municipality": await repository.org_name(session, allocation.org_id),
    }
    closed = volunteer_rules.closed_status(
        shift,
        now,
        activation_active=activation.status == ActivationStatus.active,
        allocation_state=allocation.state,
    )
    return shift, values, closed


async def confirm(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    allocation: VolunteerAllocation,
    *,
    agents: int | None,
    names: list[str],
    by: str,
    via: str,
    now: datetime,
) -> ReplyOutcome:
    """The municipality confirms its agents (names or a count). Fewer than promised → the rest
    reopens and the call-out resumes. Runs inside the caller's transaction."""
    shift, values, closed = await _allocation_context(session, cfg, activation, allocation, now)
    if closed:
        return ReplyOutcome(
            "nothing_to_confirm", "reply_shift_closed", {**values, "status": closed}
        )
    text, municipality = values["shift"], values["municipality"]
    confirmed = len(names) if names else (agents if agents is not None else allocation.agents)
    if confirmed < 1:
        raise InvalidInput("agents", "confirm at least 1 agent, or withdraw with AFMELD")
    if confirmed > allocation.agents:
        # was silently cut to what it holds (#14.4): tell the sender, change nothing
        return await _above_held(session, shift, allocation, values, "names" if names else "agents")
    reduced_by = allocation.agents - confirmed
    allocation.confirmed_at = now
    allocation.confirmed_by = by
    allocation.confirmed_agents = confirmed
    allocation.agent_names = list(names)
    allocation.agents = confirmed
    session.add(allocation)
    eventlog.append(
        session,
        activation,
        "volunteer_confirmed",
        f"{municipality} har bekræftet {danish.count(confirmed, 'agent', 'agenter')} til vagt "
        f"{text} ({by}, {via})"
        + (f": {', '.join(names)}." if names else ".")
        + (f" {danish.count(reduced_by, 'plads', 'pladser')} genåbnet." if reduced_by else ""),
        actor=by,
        data={
            "shift_id": shift.id,
            "org_id": allocation.org_id,
            "agents": confirmed,
            "names": names,
        },
        now=now,
    )
    if reduced_by:
        await _reopen(
            session, cfg, activation, shift, allocation.org_id, reduced_by, now, withdrawn=False
        )
    return ReplyOutcome(
        "volunteer_confirmed", "volunteer_confirmed", {**values, "agents": confirmed}
    )


async def _above_held(
    session: AsyncSession,
    shift: Shift,
    allocation: VolunteerAllocation,
    values: dict,
    field: str,
) -> ReplyOutcome:
    """A confirmation of more agents than the municipality holds places for: it is told what it
    holds and, only if places are open, that JA <kode> <antal i alt> takes more."""
    open_places = max(0, shift.agents_needed - await repository.taken(session, shift))
    codes = await repository.page_codes(session, [allocation.page_id] if allocation.page_id else [])
    return ReplyOutcome(
        "confirm_above_held",
        "volunteer_confirm_above_held" if open_places else "volunteer_confirm_above_held_full",
        {
            **values,
            "agents": allocation.agents,
            "remaining": open_places,
            "code": codes.get(allocation.page_id or 0, ""),
            "field": field,
        },
    )


async def withdraw(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    allocation: VolunteerAllocation,
    *,
    by: str,
    via: str,
    now: datetime,
) -> ReplyOutcome:
    """AFMELD: the places go back to the shift and the call-out resumes. The municipality stays
    responsible for them until another one has taken them over (docs/domain.md). Runs inside
    the caller's transaction."""
    shift, values, closed = await _allocation_context(session, cfg, activation, allocation, now)
    if closed:
        return ReplyOutcome(
            "nothing_to_withdraw", "reply_shift_closed", {**values, "status": closed}
        )
    text, municipality = values["shift"], values["municipality"]
    released = allocation.agents
    allocation.state = rules.AllocationState.released
    allocation.withdrawn_at = now
    session.add(allocation)
    eventlog.append(
        session,
        activation,
        "volunteer_withdrawn",
        f"{municipality} har afmeldt {danish.count(released, 'agent', 'agenter')} fra vagt {text}"
        f" ({by}, {via}). "
        "Kommunen har ansvaret, til en anden kommune har overtaget pladserne.",
        actor=by,
        data={"shift_id": shift.id, "org_id": allocation.org_id, "agents": released},
        now=now,
    )
    await _reopen(session, cfg, activation, shift, allocation.org_id, released, now, withdrawn=True)
    return ReplyOutcome("volunteer_withdrawn", "volunteer_withdrawn", values)


# What the staffing lead is told when places reopen: why, and whether anyone may still fill them.
REOPENED = {
    (True, False): "staffing_withdrawn",
    (True, True): "staffing_withdrawn_nobody_left",
    (False, False): "staffing_reduced",
    (False, True): "staffing_reduced_nobody_left",
}


async def _reopen(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    org_id: str,
    places: int,
    now: datetime,
    *,
    withdrawn: bool,
) -> None:
    """`places` are back (withdrawn by AFMELD, else a confirmation of fewer agents): the call-out
    resumes, and the staffing lead gets one SMS that says which and what happens next."""
    if shift.state == ShiftState.full:
        shift.state = ShiftState.recruiting
        session.add(shift)
    missing = shift.agents_needed - await repository.taken(session, shift)
    plan = await callout.call_out(
        session, cfg, activation, shift, now, exclude={org_id}, missing_before=missing - places
    )
    await notices.tell_staffing_lead(
        session,
        cfg,
        activation,
        REOPENED[withdrawn, plan.nobody_left],
        shift=notices.label(cfg, shift),
        municipality=await repository.org_name(session, org_id),
        agents=places,
        missing=missing,
    )


def _raise_if_refused(outcome: ReplyOutcome) -> None:
    """Through the API, what an SMS would answer with "not possible" is a 409 instead, and a
    count above the places held a 422 naming the field and the bound."""
    if outcome.outcome == "confirm_above_held":
        held, left = outcome.values["agents"], outcome.values["remaining"]
        raise InvalidInput(
            outcome.values["field"],
            f"the municipality holds {danish.count(held, 'place', 'places')} on this shift: "
            f"confirm at most {held}"
            + (
                f"; {left} more {'is' if left == 1 else 'are'} open, which the municipality can "
                f"take by SMS: JA {outcome.values['code']} and the number in all"
                if left
                else ""
            ),
        )
    if outcome.outcome in REFUSALS:
        status = outcome.values.get("status", "closed")
        raise Conflict(f"the allocation cannot be changed: the shift or the places are {status}")


async def confirm_allocation(
    session: AsyncSession,
    cfg: ActivationConfig,
    allocation_id: int,
    principal: Principal,
    *,
    agents: int | None,
    names: list[str],
    now: datetime,
) -> Shift:
    """The staffing lead or the municipality confirms through the API; the allocation's shift.
    Commits (a refusal is a Conflict and changes nothing)."""
    async with transaction(session):
        activation, allocation = await repository.lock_allocation(session, principal, allocation_id)
        outcome = await confirm(
            session,
            cfg,
            activation,
            allocation,
            agents=agents,
            names=names,
            by=principal.display_name,
            via="API",
            now=now,
        )
        _raise_if_refused(outcome)
    return await _shift_of(session, allocation)


async def withdraw_allocation(
    session: AsyncSession,
    cfg: ActivationConfig,
    allocation_id: int,
    principal: Principal,
    *,
    now: datetime,
) -> Shift:
    """AFMELD through the API; the allocation's shift. Commits (a refusal is a Conflict)."""
    async with transaction(session):
        activation, allocation = await repository.lock_allocation(session, principal, allocation_id)
        outcome = await withdraw(
            session, cfg, activation, allocation, by=principal.display_name, via="API", now=now
        )
        _raise_if_refused(outcome)
    return await _shift_of(session, allocation)


async def _shift_of(session: AsyncSession, allocation: VolunteerAllocation) -> Shift:
    shift = await session.get(
        Shift, allocation.shift_id
    )  # read under the lock, in the identity map
    assert shift is not None
    return shift
