"""Shifts: request, steering approval, the volunteer call-out, confirmation, withdrawal, reminders.

Every function runs inside a transaction that holds the activation row lock (`lock_activation`),
so replies for one shift are serialised: two replies for the last place cannot both get it, on
SQLite or PostgreSQL. Callers commit. What is pure (validation, labels, allocation, checkpoint
times) lives in `beredskab.shifts.rules`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import case, func, or_, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import deadlines
from beredskab.activations.models import (
    Activation,
    ActivationStatus,
    CalloutState,
    Page,
    PagePurpose,
    PageState,
    RoleCallout,
)
from beredskab.activations.notify import roster_primary, sms_person, state_changed, steering_people
from beredskab.activations.pages import ReplyOutcome, create_page
from beredskab.directory.models import MunicipalityContact, Organisation, OrgKind, Person
from beredskab.directory.service import org_names
from beredskab.errors import Conflict, FieldProblem, InvalidInput, NotFound
from beredskab.eventlog import service as eventlog
from beredskab.roles import Role
from beredskab.shifts import rules
from beredskab.shifts.models import (
    OPEN_SHIFT_STATES,
    AllocationState,
    Shift,
    ShiftState,
    VolunteerAllocation,
    VolunteerAnswer,
)

if TYPE_CHECKING:
    from beredskab.activations.config import ActivationConfig

VOLUNTEER_SECONDARY = "volunteer_secondary"
SHIFT_OVER = "shift_over"
APPROVAL_REMINDER = "shift_approval_reminder"
STATE_WORDS = {
    ShiftState.awaiting_approval: "afventer godkendelse",
    ShiftState.recruiting: "godkendt",
    ShiftState.full: "godkendt og dækket",
    ShiftState.rejected: "afvist",
    ShiftState.cancelled: "aflyst",
}


@dataclass(frozen=True)
class ShiftRequest:
    start: datetime
    end: datetime
    agents_needed: int


# --- small helpers -------------------------------------------------------------------------------


def label(cfg: ActivationConfig, shift: Shift) -> str:
    return rules.shift_label(shift.start, shift.end, cfg.timezone)


async def get_shift(session: AsyncSession, activation: Activation, shift_id: int) -> Shift:
    # populate_existing: the activation lock may have been taken after an earlier read
    shift = await session.get(Shift, shift_id, populate_existing=True)
    if shift is None or shift.activation_id != activation.id:
        raise NotFound(f"no shift {shift_id} in {activation.ref}")
    return shift


async def allocations(
    session: AsyncSession, shift: Shift, states: Iterable[AllocationState] | None = None
) -> list[VolunteerAllocation]:
    query = select(VolunteerAllocation).where(VolunteerAllocation.shift_id == shift.id)
    if states is not None:
        query = query.where(VolunteerAllocation.state.in_(list(states)))
    return list((await session.exec(query.order_by(VolunteerAllocation.id))).all())


async def taken(session: AsyncSession, shift: Shift) -> int:
    total = (
        await session.exec(
            select(func.coalesce(func.sum(VolunteerAllocation.agents), 0)).where(
                VolunteerAllocation.shift_id == shift.id,
                VolunteerAllocation.state == AllocationState.active,
            )
        )
    ).one()
    return int(total)


async def staffing_lead(session: AsyncSession, activation_id: str) -> Person | None:
    """The activation's staffing lead; while the role is unfilled, the roster's primary."""
    callout = (
        await session.exec(
            select(RoleCallout).where(
                RoleCallout.activation_id == activation_id,
                RoleCallout.role == Role.staffing_lead,
            )
        )
    ).first()
    if callout is not None and callout.state == CalloutState.filled and callout.person_id:
        person = await session.get(Person, callout.person_id)
        if person is not None:
            return person
    return await roster_primary(session, Role.staffing_lead)


async def _tell_staffing_lead(
    session: AsyncSession, cfg: ActivationConfig, activation: Activation, key: str, **values: object
) -> None:
    lead = await staffing_lead(session, activation.id)
    if lead is not None:
        sms_person(session, cfg.playbook, activation, lead, key, ref=activation.ref, **values)


async def _org_name(session: AsyncSession, org_id: str) -> str:
    org = await session.get(Organisation, org_id)
    return org.name if org else org_id


async def _shift_pages(
    session: AsyncSession, shift: Shift, purpose: PagePurpose, *, open_only: bool = True
) -> list[Page]:
    query = select(Page).where(Page.shift_id == shift.id, Page.purpose == purpose)
    if open_only:
        query = query.where(Page.state == PageState.open)
    return list((await session.exec(query.order_by(Page.id))).all())


async def _close_shift_pages(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    purpose: PagePurpose,
    now: datetime,
    /,  # the message's values may be called shift, now...
    *,
    key: str | None,
    **values: object,
) -> tuple[int, int]:
    """Cancel the shift's open pages of `purpose`; tell each person once with message `key`
    (if given). (pages closed, people told), in a fixed number of statements however many
    pages: this runs while the activation is locked."""
    closing = await _shift_pages(session, shift, purpose)
    if not closing:
        return 0, 0
    await session.exec(
        update(Page)
        .where(Page.id.in_([p.id for p in closing]))
        .values(state=PageState.cancelled, answered_at=now)
    )
    if key is None:
        return len(closing), 0
    people = await _people(session, {p.person_id for p in closing})
    for person in people:
        sms_person(session, cfg.playbook, activation, person, key, **values)
    return len(closing), len(people)


async def _people(session: AsyncSession, ids: Iterable[str | None]) -> list[Person]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return []
    return list((await session.exec(select(Person).where(Person.id.in_(wanted)))).all())


def _schedule_checkpoints(session: AsyncSession, shift: Shift, now: datetime) -> None:
    for kind, due in rules.checkpoints(shift.start, now):
        deadlines.schedule(
            session, kind, due, activation_id=shift.activation_id, subject_id=shift.id
        )
    deadlines.schedule(
        session, SHIFT_OVER, shift.end, activation_id=shift.activation_id, subject_id=shift.id
    )


async def shift_over(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    now: datetime,
) -> None:
    """At the end: close the call-out's pages quietly (a later JA is told the shift is over) and
    log how it was staffed."""
    if shift.state not in (ShiftState.recruiting, ShiftState.full):
        return
    closed, _ = await _close_shift_pages(
        session, cfg, activation, shift, PagePurpose.volunteer, now, key=None
    )
    held = await allocations(session, shift, (AllocationState.active,))
    staffed = sum(a.agents for a in held)
    eventlog.append(
        session,
        activation,
        "shift_over",
        f"Vagt {label(cfg, shift)} er slut: {staffed} af {shift.agents_needed} agenter fra "
        f"{len(held)} kommuner; {closed} ubesvarede kald lukket.",
        data={"shift_id": shift.id, "agents": staffed, "closed_pages": closed},
        now=now,
    )


# --- request, approve, reject, cancel ------------------------------------------------------------


async def request_shift(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    body: ShiftRequest,
    *,
    by: str,
    now: datetime,
) -> Shift:
    if activation.status != ActivationStatus.active:
        raise Conflict(
            f"activation {activation.ref} is {activation.status}; shifts can only be requested "
            "for an active (endorsed) activation"
        )
    problems = rules.shift_problems(body.start, body.end, body.agents_needed, now)
    if problems:
        raise InvalidInput([FieldProblem(field, reason) for field, reason in problems])
    in_minutes, out_minutes, pieces = rules.split_shift(body.start, body.end, cfg.opening_rules)
    shift = Shift(
        activation_id=activation.id,
        start=body.start,
        end=body.end,
        agents_needed=body.agents_needed,
        state=ShiftState.awaiting_approval if out_minutes else ShiftState.recruiting,
        in_hours_minutes=in_minutes,
        out_of_hours_minutes=out_minutes,
        pieces=pieces,
        requested_by=by,
        created_at=now,
    )
    session.add(shift)
    await session.flush()
    text = label(cfg, shift)
    eventlog.append(
        session,
        activation,
        "shift_requested",
        f"Vagt {text} med {shift.agents_needed} agenter anmodet af {by}: "
        f"{in_minutes} min i åbningstid, {out_minutes} min uden for åbningstid"
        + (" — afventer styregruppens godkendelse." if out_minutes else "."),
        actor=by,
        data={"shift_id": shift.id, "pieces": pieces, "agents_needed": shift.agents_needed},
        now=now,
    )
    if out_minutes:
        await _page_steering(session, cfg, activation, shift, now)
    else:
        await _start_callout(session, cfg, activation, shift, now)
    state_changed(session, activation, "shift_requested", now, shift_id=shift.id)
    return shift


async def _page_steering(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    now: datetime,
) -> None:
    members = await steering_people(session)
    authority = await _org_name(session, activation.authority_id)
    planned = []
    for person in members:
        page = await create_page(
            session, activation, PagePurpose.shift_approve, person, now, flush=False
        )
        page.shift_id = shift.id
        planned.append((person, page))
    await session.flush()
    _ask_to_approve(session, cfg, activation, shift, planned, authority)
    eventlog.append(
        session,
        activation,
        "shift_approval_requested",
        f"Styregruppen ({len(members)} medlemmer) bedt om at godkende vagt {label(cfg, shift)}.",
        data={"shift_id": shift.id, "paged": [p.id for p in members]},
        now=now,
    )
    _schedule_approval_reminder(session, cfg, shift, now)


def _schedule_approval_reminder(
    session: AsyncSession, cfg: ActivationConfig, shift: Shift, now: datetime
) -> None:
    """Unapproved after the playbook's endorsement timeout: ask again (remind_approval)."""
    deadlines.schedule(
        session,
        APPROVAL_REMINDER,
        now + timedelta(minutes=cfg.playbook.endorsement.timeout_minutes),
        activation_id=shift.activation_id,
        subject_id=shift.id,
    )


def _ask_to_approve(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    asked: list[tuple[Person, Page]],
    authority: str,
) -> None:
    for person, page in asked:
        sms_person(
            session,
            cfg.playbook,
            activation,
            person,
            "shift_approve_request",
            page_id=page.id,
            ref=activation.ref,
            shift=label(cfg, shift),
            agents=shift.agents_needed,
            code=page.code,
            authority=authority,
            title=activation.title,
        )


async def remind_approval(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    now: datetime,
) -> None:
    """Nobody has approved yet: the steering members asked are paged again (same codes) and the
    staffing lead is told, up to the playbook's endorsement reminders."""
    if shift.state != ShiftState.awaiting_approval or activation.status != ActivationStatus.active:
        return
    asked = await _shift_pages(session, shift, PagePurpose.shift_approve)
    people = {p.id: p for p in await _people(session, (page.person_id for page in asked))}
    _ask_to_approve(
        session,
        cfg,
        activation,
        shift,
        [(people[page.person_id], page) for page in asked if page.person_id in people],
        await _org_name(session, activation.authority_id),
    )
    minutes = round((now - shift.created_at).total_seconds() / 60)
    await _tell_staffing_lead(
        session,
        cfg,
        activation,
        "staffing_approval_overdue",
        shift=label(cfg, shift),
        minutes=minutes,
    )
    reminders = (
        await session.exec(
            select(func.count()).where(
                deadlines.Deadline.kind == APPROVAL_REMINDER,
                deadlines.Deadline.subject_id == shift.id,
            )
        )
    ).one()
    eventlog.append(
        session,
        activation,
        "shift_approval_overdue",
        f"Vagt {label(cfg, shift)} er ikke godkendt efter {minutes} min; "
        f"{len(asked)} styregruppemedlemmer kaldt igen.",
        data={"shift_id": shift.id, "reminder": reminders},
        now=now,
    )
    if reminders <= cfg.playbook.endorsement.max_reminders - 1:
        _schedule_approval_reminder(session, cfg, shift, now)


def _require_awaiting(shift: Shift) -> None:
    if shift.state == ShiftState.awaiting_approval:
        return
    if shift.out_of_hours_minutes == 0:
        raise Conflict(
            f"shift {shift.id} lies wholly within opening hours: it needs no approval, "
            "so there is nothing to approve or reject"
        )
    raise Conflict(f"shift {shift.id} is {STATE_WORDS[shift.state]}, not awaiting approval")


async def approve(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    *,
    by: str,
    via: str,
    now: datetime,
    page: Page | None = None,
) -> Shift:
    _require_awaiting(shift)
    if activation.status != ActivationStatus.active:
        raise Conflict(f"activation {activation.ref} is {activation.status}")
    shift.state = ShiftState.recruiting
    shift.approved_at = now
    shift.approved_by = by
    session.add(shift)
    if page is not None:
        page.state = PageState.acked
        page.answered_at = now
        session.add(page)
    await _close_shift_pages(
        session,
        cfg,
        activation,
        shift,
        PagePurpose.shift_approve,
        now,
        key="shift_approved_notice",
        ref=activation.ref,
        shift=label(cfg, shift),
        by=by,
    )
    eventlog.append(
        session,
        activation,
        "shift_approved",
        f"Vagt {label(cfg, shift)} uden for åbningstid godkendt af {by} ({via}).",
        actor=by,
        data={"shift_id": shift.id, "via": via},
        now=now,
    )
    await _start_callout(session, cfg, activation, shift, now)
    state_changed(session, activation, "shift_approved", now, shift_id=shift.id, by=by)
    return shift


async def reject(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    *,
    by: str,
    reason: str,
    now: datetime,
) -> Shift:
    _require_awaiting(shift)
    shift.state = ShiftState.rejected
    shift.ended_at = now
    shift.ended_by = by
    shift.decided_reason = reason
    session.add(shift)
    await _close_shift_pages(
        session,
        cfg,
        activation,
        shift,
        PagePurpose.shift_approve,
        now,
        key="page_closed",
        ref=activation.ref,
    )
    await _tell_staffing_lead(
        session, cfg, activation, "staffing_shift_rejected", shift=label(cfg, shift), reason=reason
    )
    eventlog.append(
        session,
        activation,
        "shift_rejected",
        f"Vagt {label(cfg, shift)} afvist af {by}. Begrundelse: {reason}",
        actor=by,
        data={"shift_id": shift.id, "reason": reason},
        now=now,
    )
    state_changed(session, activation, "shift_rejected", now, shift_id=shift.id, reason=reason)
    return shift


async def cancel(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    *,
    by: str,
    reason: str,
    now: datetime,
) -> Shift:
    if shift.state not in OPEN_SHIFT_STATES:
        raise Conflict(f"shift {shift.id} is already {STATE_WORDS[shift.state]}")
    if shift.end <= now:
        raise Conflict(f"shift {shift.id} has already ended")
    await _end_shift(session, cfg, activation, shift, by=by, reason=reason, now=now)
    await _tell_staffing_lead(
        session, cfg, activation, "staffing_shift_cancelled", shift=label(cfg, shift), by=by
    )
    return shift


async def _end_shift(
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
    the stand-down SMS instead)."""
    text = label(cfg, shift)
    running = shift.start <= now < shift.end and shift.state != ShiftState.awaiting_approval
    shift.ended_at = now
    shift.ended_by = by
    shift.decided_reason = reason
    if not running:
        shift.state = ShiftState.cancelled
    session.add(shift)
    await _close_shift_pages(
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
    await _close_shift_pages(
        session,
        cfg,
        activation,
        shift,
        PagePurpose.shift_approve,
        now,
        key="page_closed" if tell_approvers else None,
        ref=activation.ref,
    )
    held = await allocations(session, shift, (AllocationState.active, AllocationState.released))
    # a running shift: its agents go home; one that had not started: every municipality that
    # holds or still answers for places is released
    told = held if not running else [a for a in held if a.state == AllocationState.active]
    if not running:
        for allocation in held:
            allocation.state = AllocationState.cancelled
            session.add(allocation)
    key = "shift_ended_early" if running else "shift_cancelled"
    for person in await _people(session, (a.person_id for a in told)):
        sms_person(session, cfg.playbook, activation, person, key, ref=activation.ref, shift=text)
    eventlog.append(
        session,
        activation,
        "shift_ended_early" if running else "shift_cancelled",
        f"Vagt {text} {'afbrudt' if running else 'aflyst'} af {by}."
        + (f" Begrundelse: {reason}" if reason else "")
        + f" {len(held)} kommuner orienteret.",
        actor=by,
        data={"shift_id": shift.id, "reason": reason, "running": running},
        now=now,
    )


async def on_activation_closed(
    session: AsyncSession, cfg: ActivationConfig, activation: Activation, *, by: str, now: datetime
) -> None:
    """Stand-down: cancel every shift that has not started, cut short the running ones."""
    rows = await session.exec(
        select(Shift).where(
            Shift.activation_id == activation.id,
            Shift.state.in_(list(OPEN_SHIFT_STATES)),
            Shift.end > now,
        )
    )
    for shift in rows.all():
        await _end_shift(
            session,
            cfg,
            activation,
            shift,
            by=by,
            reason="aktiveringen er afsluttet",
            now=now,
            tell_approvers=False,
        )


# --- the volunteer call-out ----------------------------------------------------------------------


async def _contacts(
    session: AsyncSession, org_id: str | None = None
) -> dict[str, dict[int, Person]]:
    """Active contact persons of every contact-centre municipality (or of `org_id` only):
    org id → rank → person."""
    query = (
        select(MunicipalityContact, Person)
        .join(Person, Person.id == MunicipalityContact.person_id)
        .join(Organisation, Organisation.id == MunicipalityContact.org_id)
        .where(
            Organisation.contact_centre.is_(True),
            Organisation.kind == OrgKind.municipality,
            Person.active.is_(True),
        )
        .order_by(MunicipalityContact.org_id, MunicipalityContact.rank)
    )
    if org_id is not None:
        query = query.where(MunicipalityContact.org_id == org_id)
    rows = await session.exec(query)
    found: dict[str, dict[int, Person]] = {}
    for contact, person in rows.all():
        found.setdefault(contact.org_id, {})[contact.rank] = person
    return found


async def _answered_orgs(session: AsyncSession, shift: Shift) -> set[str]:
    """Municipalities with places on the shift, or that said NEJ, or with a page still open."""
    holding = await session.exec(
        select(VolunteerAllocation.org_id).where(
            VolunteerAllocation.shift_id == shift.id,
            VolunteerAllocation.state == AllocationState.active,
        )
    )
    said_no = await session.exec(
        select(VolunteerAnswer.org_id).where(VolunteerAnswer.shift_id == shift.id)
    )
    waiting = await session.exec(
        select(Page.org_id).where(
            Page.shift_id == shift.id,
            Page.purpose == PagePurpose.volunteer,
            Page.state == PageState.open,
        )
    )
    return set(holding.all()) | set(said_no.all()) | {o for o in waiting.all() if o}


async def _start_callout(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    now: datetime,
    *,
    exclude: set[str] | None = None,
) -> int:
    """Page the primary contact of every contact-centre municipality that has not answered."""
    first_round = shift.callout_round == 0
    shift.callout_round += 1
    session.add(shift)
    if first_round:
        _schedule_checkpoints(session, shift, now)
    skip = await _answered_orgs(session, shift) | (exclude or set())
    remaining = shift.agents_needed - await taken(session, shift)
    planned: list[tuple[Person, Page]] = []
    for org_id, by_rank in sorted((await _contacts(session)).items()):
        if org_id in skip:
            continue
        rank = min(by_rank)  # _contacts lists only municipalities that have a contact
        person = by_rank[rank]
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
        _page_volunteer(cfg, session, activation, shift, person, page, remaining)
        if page.rank == 0:
            deadlines.schedule(
                session,
                VOLUNTEER_SECONDARY,
                now + delay,
                activation_id=activation.id,
                subject_id=page.id,
            )
    eventlog.append(
        session,
        activation,
        "volunteers_paged",
        f"Vagt {label(cfg, shift)}: {len(planned)} kommuner kaldt for {remaining} agenter"
        f" (runde {shift.callout_round}).",
        data={"shift_id": shift.id, "orgs": [p.org_id for _, p in planned], "remaining": remaining},
        now=now,
    )
    if not planned:
        await _tell_staffing_lead(
            session,
            cfg,
            activation,
            "staffing_no_volunteers",
            shift=label(cfg, shift),
            missing=remaining,
        )
    return len(planned)


def _page_volunteer(
    cfg: ActivationConfig,
    session: AsyncSession,
    activation: Activation,
    shift: Shift,
    person: Person,
    page: Page,
    remaining: int,
) -> None:
    sms_person(
        session,
        cfg.playbook,
        activation,
        person,
        "volunteer_page",
        page_id=page.id,
        ref=activation.ref,
        shift=label(cfg, shift),
        remaining=remaining,
        code=page.code,
        title=activation.title,
    )


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
    secondary = (await _contacts(session, org_id)).get(org_id, {}).get(1)
    if secondary is None or secondary.id == primary.person_id:
        eventlog.append(
            session,
            activation,
            "volunteer_no_secondary",
            f"{await _org_name(session, primary.org_id or '')} har ikke svaret og har ingen "
            "aktiv sekundær kontaktperson.",
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
    _page_volunteer(
        cfg,
        session,
        activation,
        shift,
        secondary,
        page,
        shift.agents_needed - await taken(session, shift),
    )
    eventlog.append(
        session,
        activation,
        "volunteer_secondary_paged",
        f"{await _org_name(session, primary.org_id or '')} har ikke svaret efter "
        f"{cfg.playbook.volunteers.secondary_after_minutes} min; sekundær kontaktperson "
        f"{secondary.name} kaldt.",
        data={"shift_id": shift.id, "org_id": primary.org_id, "page_id": page.id},
        now=now,
    )


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


def _closed_status(
    activation: Activation,
    shift: Shift,
    now: datetime,
    allocation: VolunteerAllocation | None = None,
) -> str | None:
    """Why a municipality's answer can change nothing, in Danish for the SMS; None if it can."""
    if allocation is not None and allocation.state != AllocationState.active:
        return "afmeldt"
    if shift.end <= now or activation.status != ActivationStatus.active:
        return "afsluttet"
    if shift.state not in (ShiftState.recruiting, ShiftState.full):
        return STATE_WORDS.get(shift.state, shift.state)
    return None


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
        "shift": label(cfg, shift),
        "municipality": await _org_name(session, allocation.org_id),
    }
    return shift, values, _closed_status(activation, shift, now, allocation)


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
    text = label(cfg, shift)
    values = {"ref": activation.ref, "shift": text, "code": page.code}
    if closed := _closed_status(activation, shift, now):
        return ReplyOutcome("shift_closed", "reply_shift_closed", {**values, "status": closed})
    municipality = await _org_name(session, page.org_id)
    values["municipality"] = municipality
    held = await allocations(session, shift)  # one read for "theirs" and "how many are taken"
    existing = next((a for a in held if a.org_id == page.org_id), None)
    if existing is not None and existing.state == AllocationState.active:
        return ReplyOutcome(
            "already_allocated", "volunteer_already", {**values, "agents": existing.agents}
        )
    if not accept:
        await _answer_pages(session, shift, page, PageState.declined, now)
        if (
            await session.exec(
                select(VolunteerAnswer).where(
                    VolunteerAnswer.shift_id == shift.id, VolunteerAnswer.org_id == page.org_id
                )
            )
        ).first() is None:
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
            actor=person.id,
            data={"shift_id": shift.id, "org_id": page.org_id, "via": via},
            now=now,
        )
        return ReplyOutcome("volunteer_declined", "volunteer_declined", values)
    wanted = count or 1
    remaining = shift.agents_needed - sum(
        a.agents for a in held if a.state == AllocationState.active
    )
    granted = rules.grant(remaining, wanted)
    if granted == 0:
        await _answer_pages(session, shift, page, PageState.cancelled, now)
        eventlog.append(
            session,
            activation,
            "volunteer_too_late",
            f"{municipality} tilbød {wanted} agenter til vagt {text}, men vagten er dækket.",
            actor=person.id,
            data={"shift_id": shift.id, "org_id": page.org_id, "offered": wanted},
            now=now,
        )
        return ReplyOutcome("shift_full", "volunteer_full", values)
    # an earlier NEJ row may stay: it only keeps the municipality out of a re-page, and one
    # holding places is kept out anyway
    await _answer_pages(session, shift, page, PageState.acked, now)
    allocation = existing or VolunteerAllocation(shift_id=shift.id, org_id=page.org_id, agents=0)
    allocation.agents = granted
    allocation.state = AllocationState.active
    allocation.person_id = person.id
    allocation.page_id = page.id
    allocation.created_at = now
    allocation.confirmed_at = allocation.confirmed_by = allocation.withdrawn_at = None
    allocation.confirmed_agents = None
    allocation.agent_names = []
    session.add(allocation)
    await session.flush()
    left = remaining - granted
    eventlog.append(
        session,
        activation,
        "volunteer_allocated",
        f"{municipality} stiller {granted} agenter til vagt {text}"
        + (f" (tilbød {wanted}; kun {granted} pladser tilbage)" if granted < wanted else "")
        + f" ({person.name}, {via}). Mangler nu {left}.",
        actor=person.id,
        data={
            "shift_id": shift.id,
            "org_id": page.org_id,
            "agents": granted,
            "offered": wanted,
            "remaining": left,
            "via": via,
        },
        now=now,
    )
    if left == 0:
        await _shift_full(session, cfg, activation, shift, now)
    values["agents"] = granted
    if granted < wanted:
        return ReplyOutcome("volunteer_partial", "volunteer_partial", values)
    return ReplyOutcome("volunteer_allocated", "volunteer_thanks", values)


async def _shift_full(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    now: datetime,
) -> None:
    shift.state = ShiftState.full
    session.add(shift)
    text = label(cfg, shift)
    _, told = await _close_shift_pages(
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
    every = await allocations(session, shift)
    released = [a for a in every if a.state == AllocationState.released]
    for allocation in released:
        allocation.state = AllocationState.withdrawn
        session.add(allocation)
    for person in await _people(session, (a.person_id for a in released)):
        sms_person(
            session,
            cfg.playbook,
            activation,
            person,
            "volunteer_taken_over",
            ref=activation.ref,
            shift=text,
        )
    held = [a for a in every if a.state == AllocationState.active]
    known = await org_names(session, (a.org_id for a in held))
    names = [f"{known.get(a.org_id, a.org_id)} {a.agents}" for a in held]
    await _tell_staffing_lead(
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
        f"Vagt {text} er fuldt bemandet: {', '.join(names)}. {told} kaldte kommuner fik besked om,"
        " at vagten er dækket.",
        data={"shift_id": shift.id, "allocations": {a.org_id: a.agents for a in held}},
        now=now,
    )
    state_changed(session, activation, "shift_full", now, shift_id=shift.id)


# --- confirmation and withdrawal -----------------------------------------------------------------


async def allocation_for_page(session: AsyncSession, page: Page) -> VolunteerAllocation | None:
    if page.purpose != PagePurpose.volunteer or page.shift_id is None:
        return None
    return (
        await session.exec(
            select(VolunteerAllocation).where(
                VolunteerAllocation.shift_id == page.shift_id,
                VolunteerAllocation.org_id == page.org_id,
            )
        )
    ).first()


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
    reopens and the call-out resumes."""
    shift, values, closed = await _allocation_context(session, cfg, activation, allocation, now)
    if closed:
        return ReplyOutcome(
            "nothing_to_confirm", "reply_shift_closed", {**values, "status": closed}
        )
    text, municipality = values["shift"], values["municipality"]
    confirmed = len(names) if names else (agents if agents is not None else allocation.agents)
    if confirmed < 1:
        raise InvalidInput("agents", "confirm at least 1 agent, or withdraw with AFMELD")
    confirmed = min(confirmed, allocation.agents)
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
        f"{municipality} har bekræftet {confirmed} agenter til vagt {text} ({by}, {via})"
        + (f": {', '.join(names)}." if names else ".")
        + (f" {reduced_by} pladser genåbnet." if reduced_by else ""),
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
        await _reopen(session, cfg, activation, shift, allocation.org_id, reduced_by, now)
    return ReplyOutcome(
        "volunteer_confirmed", "volunteer_confirmed", {**values, "agents": confirmed}
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
    responsible for them until another one has taken them over (DOMAIN.md)."""
    shift, values, closed = await _allocation_context(session, cfg, activation, allocation, now)
    if closed:
        return ReplyOutcome(
            "nothing_to_withdraw", "reply_shift_closed", {**values, "status": closed}
        )
    text, municipality = values["shift"], values["municipality"]
    released = allocation.agents
    allocation.state = AllocationState.released
    allocation.withdrawn_at = now
    session.add(allocation)
    eventlog.append(
        session,
        activation,
        "volunteer_withdrawn",
        f"{municipality} har afmeldt {released} agenter fra vagt {text} ({by}, {via}). "
        "Kommunen har ansvaret, til en anden kommune har overtaget pladserne.",
        actor=by,
        data={"shift_id": shift.id, "org_id": allocation.org_id, "agents": released},
        now=now,
    )
    await _reopen(session, cfg, activation, shift, allocation.org_id, released, now)
    return ReplyOutcome("volunteer_withdrawn", "volunteer_withdrawn", values)


async def _reopen(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    org_id: str,
    places: int,
    now: datetime,
) -> None:
    if shift.state == ShiftState.full:
        shift.state = ShiftState.recruiting
        session.add(shift)
    await _tell_staffing_lead(
        session,
        cfg,
        activation,
        "staffing_withdrawn",
        shift=label(cfg, shift),
        municipality=await _org_name(session, org_id),
        agents=places,
    )
    await _start_callout(session, cfg, activation, shift, now, exclude={org_id})


# --- reminders and alerts before the start --------------------------------------------------------


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
    if activation.status != ActivationStatus.active or shift.state not in (
        ShiftState.recruiting,
        ShiftState.full,
    ):
        return
    text = label(cfg, shift)
    active = await allocations(session, shift, (AllocationState.active,))
    unconfirmed = [a for a in active if a.confirmed_at is None]
    # who to remind and how, in three reads for all of them
    names = await org_names(session, (a.org_id for a in unconfirmed))
    people = {p.id: p for p in await _people(session, (a.person_id for a in unconfirmed))}
    page_ids = [a.page_id for a in unconfirmed if a.page_id]
    codes = dict(
        (await session.exec(select(Page.id, Page.code).where(Page.id.in_(page_ids)))).all()  # type: ignore[union-attr]
        if page_ids
        else []
    )
    if kind in (rules.REMIND_24H, rules.CHECK_2H):
        for allocation in unconfirmed:
            person = people.get(allocation.person_id or "")
            code = codes.get(allocation.page_id)
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
    missing = shift.agents_needed - sum(a.agents for a in active)
    if kind == rules.CHECK_2H and missing > 0:
        shift.short_alerted_at = now
        session.add(shift)
        await _tell_staffing_lead(
            session,
            cfg,
            activation,
            "staffing_shift_short",
            shift=text,
            missing=missing,
            agents=shift.agents_needed,
        )
    hours_before = int(dict(rules.CHECKPOINTS)[kind].total_seconds()) // 3600
    if kind == rules.CHECK_1H and unconfirmed:
        await _tell_staffing_lead(
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
        f"Vagt {text}, {hours_before} timer før start: "
        f"{len(unconfirmed)} kommuner ikke bekræftet, mangler {missing} agenter.",
        data={
            "shift_id": shift.id,
            "unconfirmed": [a.org_id for a in unconfirmed],
            "missing": missing,
        },
        now=now,
    )


def deadline_handlers(cfg: ActivationConfig) -> dict[str, deadlines.Handler]:
    from beredskab.activations.repository import lock_activation

    async def on_secondary(session: AsyncSession, row: deadlines.Deadline, now: datetime) -> None:
        activation = await lock_activation(session, row.activation_id or "")
        page = await session.get(Page, row.subject_id)
        if page is None:
            raise NotFound(f"page {row.subject_id} is gone")
        await session.refresh(page)
        await page_secondary(session, cfg, activation, page, now)

    def on_checkpoint(kind: str) -> deadlines.Handler:
        async def handler(session: AsyncSession, row: deadlines.Deadline, now: datetime) -> None:
            activation = await lock_activation(session, row.activation_id or "")
            shift = await get_shift(session, activation, row.subject_id or 0)
            await checkpoint(session, cfg, activation, shift, kind, now)

        return handler

    async def on_shift_over(session: AsyncSession, row: deadlines.Deadline, now: datetime) -> None:
        activation = await lock_activation(session, row.activation_id or "")
        shift = await get_shift(session, activation, row.subject_id or 0)
        await shift_over(session, cfg, activation, shift, now)

    async def on_approval_reminder(
        session: AsyncSession, row: deadlines.Deadline, now: datetime
    ) -> None:
        activation = await lock_activation(session, row.activation_id or "")
        shift = await get_shift(session, activation, row.subject_id or 0)
        await remind_approval(session, cfg, activation, shift, now)

    handlers = {
        VOLUNTEER_SECONDARY: on_secondary,
        SHIFT_OVER: on_shift_over,
        APPROVAL_REMINDER: on_approval_reminder,
    }
    for kind, _ in rules.CHECKPOINTS:
        handlers[kind] = on_checkpoint(kind)
    return handlers


# --- SMS entry points that need the page first ---------------------------------------------


async def approval_reply(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    page: Page,
    person: Person,
    *,
    accept: bool,
    now: datetime,
) -> ReplyOutcome:
    """OK/NEJ <kode> from a steering member asked to approve an out-of-hours shift.

    One OK approves. A NEJ is recorded; when every member asked has said NEJ, the shift is
    rejected. (A rejection with a reason of its own goes through the API.)
    """
    shift = await get_shift(session, activation, page.shift_id or 0)
    text = label(cfg, shift)
    values = {"ref": activation.ref, "shift": text}
    if shift.state != ShiftState.awaiting_approval or activation.status != ActivationStatus.active:
        status = STATE_WORDS.get(shift.state, shift.state)
        return ReplyOutcome("shift_not_pending", "reply_shift_closed", {**values, "status": status})
    by = f"{person.name} (styregruppen)"
    if accept:
        await approve(session, cfg, activation, shift, by=by, via="SMS", now=now, page=page)
        return ReplyOutcome("shift_approved", "reply_shift_approve_ack", values)
    page.state = PageState.declined
    page.answered_at = now
    session.add(page)
    eventlog.append(
        session,
        activation,
        "shift_approval_declined",
        f"{by} godkender ikke vagt {text} (SMS).",
        actor=person.id,
        data={"shift_id": shift.id, "page_id": page.id},
        now=now,
    )
    asked = await _shift_pages(session, shift, PagePurpose.shift_approve, open_only=False)
    if asked and all(p.state == PageState.declined for p in asked):
        await reject(
            session,
            cfg,
            activation,
            shift,
            by="styregruppen",
            reason="alle kaldte styregruppemedlemmer har svaret nej",
            now=now,
        )
    return ReplyOutcome("shift_approval_declined", "reply_shift_approve_declined", values)


async def open_allocations_of(
    session: AsyncSession, person: Person, now: datetime
) -> list[tuple[VolunteerAllocation, str, str]]:
    """Active places this person took on shifts still ahead, with the code of the page and the
    activation."""
    rows = await session.exec(
        select(VolunteerAllocation, Page.code, Page.activation_id)
        .join(Page, Page.id == VolunteerAllocation.page_id)
        .join(Shift, Shift.id == VolunteerAllocation.shift_id)
        .where(
            VolunteerAllocation.person_id == person.id,
            VolunteerAllocation.state == AllocationState.active,
            Shift.state.in_([ShiftState.recruiting, ShiftState.full]),
            Shift.end > now,
        )
        .order_by(Shift.start)
    )
    return [tuple(row) for row in rows.all()]  # type: ignore[misc]


REFUSALS = {"nothing_to_confirm", "nothing_to_withdraw"}


def raise_if_refused(outcome: ReplyOutcome) -> None:
    """Through the API, what an SMS would answer with "not possible" is a 409 instead."""
    if outcome.outcome in REFUSALS:
        status = outcome.values.get("status", "closed")
        raise Conflict(f"the allocation cannot be changed: the shift or the places are {status}")
