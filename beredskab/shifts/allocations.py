"""A municipality's JA [antal] or NEJ to a shift: first come, first served, and the shift is full
when the last place is taken.

Runs inside the caller's transaction (flows.inbound holds the activation row lock and commits
with the inbound row): two replies for the last place cannot both get it, on SQLite or
PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import case, or_, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import danish
from beredskab.activations.models import (
    Activation,
    ActivationStatus,
    Page,
    PagePurpose,
    PageState,
)
from beredskab.activations.notify import state_changed
from beredskab.activations.pages import ReplyOutcome
from beredskab.directory.models import Person
from beredskab.directory.service import org_names
from beredskab.eventlog import service as eventlog
from beredskab.shifts import notices, repository, volunteer_rules
from beredskab.shifts.models import (
    AllocationState,
    Shift,
    ShiftState,
    VolunteerAllocation,
    VolunteerAnswer,
)

if TYPE_CHECKING:
    from beredskab.activations.config import ActivationConfig


async def volunteer_reply(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    page: Page,
    person: Person,
    *,
    accept: bool,
    count: int | None,
    via: str,
    now: datetime,
) -> ReplyOutcome:
    """JA <kode> <antal> or NEJ <kode> from a municipality contact person."""
    # populate_existing: read it afresh under the activation lock, in one statement
    shift = await session.get(Shift, page.shift_id, populate_existing=True)
    assert shift is not None and page.org_id is not None
    text = notices.label(cfg, shift)
    values: dict = {"ref": activation.ref, "shift": text, "code": page.code}
    active = activation.status == ActivationStatus.active
    if closed := volunteer_rules.closed_status(shift, now, activation_active=active):
        return ReplyOutcome("shift_closed", "reply_shift_closed", {**values, "status": closed})
    municipality = await repository.org_name(session, page.org_id)
    values["municipality"] = municipality
    held = await repository.allocations(session, shift)  # "theirs" and "how many are taken"
    existing = next((a for a in held if a.org_id == page.org_id), None)
    remaining = shift.agents_needed - sum(
        a.agents for a in held if a.state == AllocationState.active
    )
    holding = existing.agents if existing and existing.state == AllocationState.active else 0
    decision = volunteer_rules.allocation_decision(remaining, count, holding, accept=accept)
    match decision:
        case volunteer_rules.AlreadyHeld(agents=agents):
            return ReplyOutcome(
                "already_allocated", "volunteer_already", {**values, "agents": agents}
            )
        case volunteer_rules.Decline():
            await _answer_pages(session, shift, page, PageState.declined, now)
            if not await repository.has_said_no(session, shift, page.org_id):
                session.add(
                    VolunteerAnswer(
                        shift_id=shift.id, org_id=page.org_id, person_id=person.id, answered_at=now
                    )
                )
            eventlog.append(
                session,
                activation,
                "volunteer_declined",
                f"{municipality} kan ikke stille agenter til vagt {text} ({person.name}, {via}).",
                actor=person.name,
                data={
                    "shift_id": shift.id,
                    "org_id": page.org_id,
                    "person_id": person.id,
                    "via": via,
                },
                now=now,
            )
            return ReplyOutcome("volunteer_declined", "volunteer_declined", values)
        case volunteer_rules.Full(offered=offered):
            await _answer_pages(session, shift, page, PageState.cancelled, now)
            eventlog.append(
                session,
                activation,
                "volunteer_too_late",
                f"{municipality} tilbød {danish.count(offered, 'agent', 'agenter')} til vagt "
                f"{text}, men vagten er dækket.",
                actor=person.name,
                data={
                    "shift_id": shift.id,
                    "org_id": page.org_id,
                    "offered": offered,
                    "person_id": person.id,
                },
                now=now,
            )
            return ReplyOutcome("shift_full", "volunteer_full", values)
    assert isinstance(decision, volunteer_rules.Grant)
    await _allocate(
        session,
        cfg,
        activation,
        shift,
        page,
        person,
        existing,
        decision,
        municipality=municipality,
        via=via,
        now=now,
    )
    values["agents"] = decision.total
    if decision.partial and not decision.held:  # ("only N places were left, so you have N")
        return ReplyOutcome("volunteer_partial", "volunteer_partial", values)
    return ReplyOutcome("volunteer_allocated", "volunteer_thanks", values)


async def _allocate(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    page: Page,
    person: Person,
    existing: VolunteerAllocation | None,
    grant: volunteer_rules.Grant,
    *,
    municipality: str,
    via: str,
    now: datetime,
) -> None:
    """The municipality takes `grant.agents` places (reusing its row after an AFMELD)."""
    assert page.org_id is not None
    # an earlier NEJ row may stay: it only keeps the municipality out of a re-page, and one
    # holding places is kept out anyway
    await _answer_pages(session, shift, page, PageState.acked, now)
    allocation = existing or VolunteerAllocation(shift_id=shift.id, org_id=page.org_id, agents=0)
    allocation.agents = grant.total
    allocation.state = AllocationState.active
    allocation.person_id = person.id
    allocation.page_id = page.id
    if not grant.held:  # places taken more keep the time the first were taken
        allocation.created_at = now
    # a confirmation was of fewer agents than it now holds: it confirms again
    allocation.confirmed_at = allocation.confirmed_by = allocation.withdrawn_at = None
    allocation.confirmed_agents = None
    allocation.agent_names = []
    session.add(allocation)
    await session.flush()
    granted, wanted = grant.agents, grant.offered
    more = f" mere (nu {grant.total} i alt)" if grant.held else ""
    eventlog.append(
        session,
        activation,
        "volunteer_allocated",
        f"{municipality} stiller {danish.count(granted, 'agent', 'agenter')}{more} til vagt "
        f"{notices.label(cfg, shift)}"
        + (f" (tilbød {wanted}; kun {granted} pladser tilbage)" if grant.partial else "")
        + f" ({person.name}, {via}). Mangler nu {grant.left}.",
        actor=person.name,
        data={
            "shift_id": shift.id,
            "org_id": page.org_id,
            "person_id": person.id,
            "agents": granted,
            "offered": wanted,
            "remaining": grant.left,
            "via": via,
            **({"held_before": grant.held} if grant.held else {}),
        },
        now=now,
    )
    if grant.left == 0:
        await _shift_full(session, cfg, activation, shift, now)


async def _answer_pages(
    session: AsyncSession, shift: Shift, page: Page, state: PageState, now: datetime
) -> None:
    """The municipality answered: this page takes `state`, its other open pages close quietly,
    in one statement."""
    await session.exec(
        update(Page)
        .where(
            Page.shift_id == shift.id,
            Page.purpose == PagePurpose.volunteer,
            Page.org_id == page.org_id,
            or_(Page.state == PageState.open, Page.id == page.id),
        )
        .values(
            state=case((Page.id == page.id, state.value), else_=PageState.cancelled.value),
            answered_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    # the loaded page learns its new values without being marked for another UPDATE
    set_committed_value(page, "state", state)
    set_committed_value(page, "answered_at", now)


async def _shift_full(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    now: datetime,
) -> None:
    """The last place is taken: the paged are told it is covered, a municipality that withdrew
    is freed, and the staffing lead hears who comes."""
    shift.state = ShiftState.full
    session.add(shift)
    text = notices.label(cfg, shift)
    _, told = await notices.close_shift_pages(
        session,
        cfg,
        activation,
        shift,
        PagePurpose.volunteer,
        now,
        key="volunteer_covered",
        ref=activation.ref,
        shift=text,
    )
    every = await repository.allocations(session, shift)
    released = [a for a in every if a.state == AllocationState.released]
    for allocation in released:
        allocation.state = AllocationState.withdrawn
        session.add(allocation)
    await notices.tell_people(
        session,
        cfg,
        activation,
        [a.person_id for a in released],
        "volunteer_taken_over",
        ref=activation.ref,
        shift=text,
    )
    held = [a for a in every if a.state == AllocationState.active]
    known = await org_names(session, (a.org_id for a in held))
    names = [f"{known.get(a.org_id, a.org_id)} {a.agents}" for a in held]
    await notices.tell_staffing_lead(
        session,
        cfg,
        activation,
        "staffing_shift_full",
        shift=text,
        agents=shift.agents_needed,
        municipalities=", ".join(names),
    )
    eventlog.append(
        session,
        activation,
        "shift_full",
        f"Vagt {text} er fuldt bemandet: {', '.join(names)}. "
        f"{danish.count(told, 'kaldt kommune', 'kaldte kommuner')} fik besked om,"
        " at vagten er dækket.",
        data={"shift_id": shift.id, "allocations": {a.org_id: a.agents for a in held}},
        now=now,
    )
    state_changed(session, activation, "shift_full", now, shift_id=shift.id)
