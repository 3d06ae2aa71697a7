"""The volunteer call-out: page the primary contact of every contact-centre municipality that has
not answered, and the secondary contact of one that stays silent.

A primary whose number is unverified or unreachable is skipped for the secondary at once, as the
role call-out skips ranks (escalation.usable_candidates; the log says why); with no better number
the primary is paged as before.

Runs inside the caller's transaction (the activation row locked); never commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import danish, deadlines, escalation
from beredskab.activations.models import (
    Activation,
    ActivationStatus,
    Page,
    PagePurpose,
    PageState,
)
from beredskab.activations.pages import create_page
from beredskab.directory.models import Person
from beredskab.directory.verification import candidate, why_not_relied_on
from beredskab.eventlog import service as eventlog
from beredskab.shifts import notices, repository, rules, volunteer_rules
from beredskab.shifts.models import Shift, ShiftState

if TYPE_CHECKING:
    from beredskab.activations.config import ActivationConfig


def schedule_checkpoints(session: AsyncSession, shift: Shift, now: datetime) -> None:
    for kind, due in rules.checkpoints(shift.start, now):
        deadlines.schedule(
            session, kind, due, activation_id=shift.activation_id, subject_id=shift.id
        )
    deadlines.schedule(
        session, rules.SHIFT_OVER, shift.end, activation_id=shift.activation_id, subject_id=shift.id
    )


async def start_callout(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    now: datetime,
) -> volunteer_rules.CalloutPlan:
    """The first round: page the primary contact of every contact-centre municipality; the
    staffing lead hears if there is nobody to call."""
    plan = await call_out(session, cfg, activation, shift, now)
    if plan.nobody_left:
        await notices.tell_staffing_lead(
            session,
            cfg,
            activation,
            "staffing_no_volunteers",
            shift=notices.label(cfg, shift),
            missing=shift.agents_needed - await repository.taken(session, shift),
        )
    return plan


async def call_out(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    now: datetime,
    *,
    exclude: set[str] | None = None,
    missing_before: int | None = None,
) -> volunteer_rules.CalloutPlan:
    """One round of the call-out, without a word to the staffing lead: the caller tells them.
    Places reopened (`missing_before` given): the municipalities still asked get the new number
    missing if it changed."""
    first_round = shift.callout_round == 0
    shift.callout_round += 1
    session.add(shift)
    if first_round:
        schedule_checkpoints(session, shift, now)
    reachable = await repository.contacts(session)
    waiting = await repository.shift_pages(session, shift, PagePurpose.volunteer)
    remaining = shift.agents_needed - await repository.taken(session, shift)
    plan = volunteer_rules.callout_plan(
        reachable,
        await repository.answered_orgs(session, shift) | (exclude or set()),
        {p.org_id for p in waiting if p.org_id},
        missing=remaining,
        missing_before=missing_before,
    )
    planned: list[tuple[Person, Page]] = []
    for org_id in plan.page:
        by_rank = reachable[org_id]  # contacts() lists only municipalities that have a contact
        rank, person = await _first_usable(session, activation, org_id, by_rank, now)
        page = await create_page(
            session,
            activation,
            PagePurpose.volunteer,
            person,
            now,
            rank=rank,
            pass_no=shift.callout_round,
            flush=False,
        )
        page.shift_id, page.org_id = shift.id, org_id
        planned.append((person, page))
    await session.flush()
    delay = timedelta(minutes=cfg.playbook.volunteers.secondary_after_minutes)
    for person, page in planned:
        notices.page_volunteer(cfg, session, activation, shift, person, page, remaining)
        if page.rank == 0:
            deadlines.schedule(
                session,
                rules.VOLUNTEER_SECONDARY,
                now + delay,
                activation_id=activation.id,
                subject_id=page.id,
            )
    if plan.tell_waiting:
        await _tell_new_number(session, cfg, activation, shift, waiting, remaining)
    eventlog.append(
        session,
        activation,
        "volunteers_paged",
        f"Vagt {notices.label(cfg, shift)}: {danish.count(len(planned), 'kommune', 'kommuner')}"
        f" kaldt for {danish.count(remaining, 'agent', 'agenter')} (runde {shift.callout_round})"
        + (f"; {_still_asked(len(plan.waiting))}" if plan.waiting else "")
        + (" og har fået det nye antal." if plan.tell_waiting else "."),
        data={
            "shift_id": shift.id,
            "orgs": [p.org_id for _, p in planned],
            "remaining": remaining,
            "waiting": list(plan.waiting),
            "waiting_told": plan.tell_waiting,
        },
        now=now,
    )
    return plan


async def _first_usable(
    session: AsyncSession,
    activation: Activation,
    org_id: str,
    by_rank: dict[int, Person],
    now: datetime,
) -> tuple[int, Person]:
    """The municipality's first contact (rank, person) with a number to rely on; a primary
    passed over is logged."""
    ranked = [candidate(rank, by_rank[rank]) for rank in sorted(by_rank)]
    first = escalation.usable_candidates(ranked)[0].rank
    chosen = by_rank[first]
    for rank in sorted(r for r in by_rank if r < first):
        skipped = by_rank[rank]
        eventlog.append(
            session,
            activation,
            "page_skipped",
            f"{skipped.name} springes over som kontaktperson for "
            f"{await repository.org_name(session, org_id)}: {why_not_relied_on(skipped)}; "
            f"{chosen.name} kaldes i stedet.",
            data={"org_id": org_id, "person_id": skipped.id, "rank": rank},
            now=now,
        )
    return first, chosen


async def _tell_new_number(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    waiting: list[Page],
    remaining: int,
) -> None:
    """Each open page's person gets the number missing now, with the page's own code."""
    people = {p.id: p for p in await repository.people(session, (pg.person_id for pg in waiting))}
    for page in waiting:
        if (person := people.get(page.person_id)) is not None:
            notices.update_volunteer(cfg, session, activation, shift, person, page, remaining)


def _still_asked(n: int) -> str:
    return f"{danish.count(n, 'kommune', 'kommuner')} er allerede kaldt og kan stadig svare"


async def page_secondary(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    primary: Page,
    now: datetime,
) -> None:
    """The primary contact has not answered in time: page the municipality's secondary too."""
    if primary.state != PageState.open or activation.status != ActivationStatus.active:
        return
    shift = await session.get(Shift, primary.shift_id)
    if shift is None or shift.state != ShiftState.recruiting or shift.end <= now:
        return
    org_id = primary.org_id or ""
    secondary = (await repository.contacts(session, org_id)).get(org_id, {}).get(1)
    if secondary is None or secondary.id == primary.person_id:
        eventlog.append(
            session,
            activation,
            "volunteer_no_secondary",
            f"{await repository.org_name(session, primary.org_id or '')} har ikke svaret og har "
            "ingen aktiv sekundær kontaktperson.",
            data={"shift_id": shift.id, "org_id": primary.org_id},
            now=now,
        )
        return
    page = await create_page(
        session,
        activation,
        PagePurpose.volunteer,
        secondary,
        now,
        rank=1,
        pass_no=primary.pass_no,
        flush=False,
    )
    page.shift_id, page.org_id = shift.id, primary.org_id
    await session.flush()
    notices.page_volunteer(
        cfg,
        session,
        activation,
        shift,
        secondary,
        page,
        shift.agents_needed - await repository.taken(session, shift),
    )
    eventlog.append(
        session,
        activation,
        "volunteer_secondary_paged",
        f"{await repository.org_name(session, primary.org_id or '')} har ikke svaret efter "
        f"{cfg.playbook.volunteers.secondary_after_minutes} min; sekundær kontaktperson "
        f"{secondary.name} kaldt.",
        data={"shift_id": shift.id, "org_id": primary.org_id, "page_id": page.id},
        now=now,
    )
