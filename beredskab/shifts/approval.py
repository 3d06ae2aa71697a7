"""The steering group's approval of a shift with time outside opening hours: asking, reminding,
and the answer by SMS (OK/NEJ) or through the API (approve, reject with a reason).

`approve_shift` and `reject_shift` are use cases: they lock, decide and commit. The others run
inside the caller's transaction (the activation row locked) and never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import deadlines
from beredskab.activations.models import (
    Activation,
    ActivationStatus,
    Page,
    PagePurpose,
    PageState,
)
from beredskab.activations.notify import state_changed, steering_people
from beredskab.activations.pages import ReplyOutcome, create_page
from beredskab.auth.service import Principal
from beredskab.danish import count
from beredskab.directory.models import Person
from beredskab.errors import Conflict
from beredskab.eventlog import service as eventlog
from beredskab.shifts import callout, notices, repository, rules
from beredskab.shifts.models import Shift, ShiftState
from beredskab.unit_of_work import transaction

if TYPE_CHECKING:
    from beredskab.activations.config import ActivationConfig


async def page_steering(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    now: datetime,
) -> None:
    """Ask every steering member to approve the shift. Runs inside the caller's transaction."""
    members = await steering_people(session)
    authority = await repository.org_name(session, activation.authority_id)
    planned = []
    for person in members:
        page = await create_page(
            session, activation, PagePurpose.shift_approve, person, now, flush=False
        )
        page.shift_id = shift.id
        planned.append((person, page))
    await session.flush()
    notices.ask_to_approve(session, cfg, activation, shift, planned, authority)
    eventlog.append(
        session,
        activation,
        "shift_approval_requested",
        f"Styregruppen ({count(len(members), 'medlem', 'medlemmer')}) bedt om at godkende vagt "
        f"{notices.label(cfg, shift)}.",
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
        rules.APPROVAL_REMINDER,
        now + timedelta(minutes=cfg.playbook.endorsement.timeout_minutes),
        activation_id=shift.activation_id,
        subject_id=shift.id,
    )


async def remind_approval(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    now: datetime,
) -> None:
    """Nobody has approved yet: the steering members asked are paged again (same codes) and the
    staffing lead is told, up to the playbook's endorsement reminders. A deadline handler's
    step: runs inside the caller's transaction."""
    if shift.state != ShiftState.awaiting_approval or activation.status != ActivationStatus.active:
        return
    asked = await repository.shift_pages(session, shift, PagePurpose.shift_approve)
    people = {p.id: p for p in await repository.people(session, (pg.person_id for pg in asked))}
    notices.ask_to_approve(
        session,
        cfg,
        activation,
        shift,
        [(people[page.person_id], page) for page in asked if page.person_id in people],
        await repository.org_name(session, activation.authority_id),
    )
    minutes = round((now - shift.created_at).total_seconds() / 60)
    await notices.tell_staffing_lead(
        session,
        cfg,
        activation,
        "staffing_approval_overdue",
        shift=notices.label(cfg, shift),
        minutes=minutes,
    )
    reminders = await repository.approval_reminders(session, shift)
    eventlog.append(
        session,
        activation,
        "shift_approval_overdue",
        f"Vagt {notices.label(cfg, shift)} er ikke godkendt efter {minutes} min; "
        f"{len(asked)} styregruppemedlemmer kaldt igen.",
        data={"shift_id": shift.id, "reminder": reminders},
        now=now,
    )
    if rules.remind_again(reminders, cfg.playbook.endorsement.max_reminders):
        _schedule_approval_reminder(session, cfg, shift, now)


def _require_awaiting(shift: Shift) -> None:
    if problem := rules.approval_problem(shift):
        raise Conflict(problem)


async def approve(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    shift: Shift,
    *,
    by: str,
    via: str,
    now: datetime,
) -> Shift:
    """Approve and start the call-out. Runs inside the caller's transaction."""
    _require_awaiting(shift)
    if activation.status != ActivationStatus.active:
        raise Conflict(f"activation {activation.ref} is {activation.status}")
    shift.state = ShiftState.recruiting
    shift.approved_at = now
    shift.approved_by = by
    session.add(shift)
    await notices.close_shift_pages(
        session,
        cfg,
        activation,
        shift,
        PagePurpose.shift_approve,
        now,
        key="shift_approved_notice",
        ref=activation.ref,
        shift=notices.label(cfg, shift),
        by=by,
    )
    eventlog.append(
        session,
        activation,
        "shift_approved",
        f"Vagt {notices.label(cfg, shift)} uden for åbningstid godkendt af {by} ({via}).",
        actor=by,
        data={"shift_id": shift.id, "via": via},
        now=now,
    )
    await callout.start_callout(session, cfg, activation, shift, now)
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
    """Reject: the steering pages close, the staffing lead is told. Runs inside the caller's
    transaction."""
    _require_awaiting(shift)
    shift.state = ShiftState.rejected
    shift.ended_at = now
    shift.ended_by = by
    shift.decided_reason = reason
    session.add(shift)
    await notices.close_shift_pages(
        session,
        cfg,
        activation,
        shift,
        PagePurpose.shift_approve,
        now,
        key="page_closed",
        ref=activation.ref,
    )
    await notices.tell_staffing_lead(
        session,
        cfg,
        activation,
        "staffing_shift_rejected",
        shift=notices.label(cfg, shift),
        reason=reason,
    )
    eventlog.append(
        session,
        activation,
        "shift_rejected",
        f"Vagt {notices.label(cfg, shift)} afvist af {by}. Begrundelse: {reason}",
        actor=by,
        data={"shift_id": shift.id, "reason": reason},
        now=now,
    )
    state_changed(session, activation, "shift_rejected", now, shift_id=shift.id, reason=reason)
    return shift


async def approve_shift(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation_id: str,
    shift_id: int,
    principal: Principal,
    *,
    now: datetime,
) -> Shift:
    """A steering member approves through the API. Commits."""
    async with transaction(session):
        activation, shift = await repository.lock_shift(session, activation_id, shift_id)
        await approve(
            session, cfg, activation, shift, by=principal.display_name, via="API", now=now
        )
    return shift


async def reject_shift(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation_id: str,
    shift_id: int,
    principal: Principal,
    *,
    reason: str,
    now: datetime,
) -> Shift:
    """A steering member rejects through the API, with a reason. Commits."""
    async with transaction(session):
        activation, shift = await repository.lock_shift(session, activation_id, shift_id)
        await reject(
            session, cfg, activation, shift, by=principal.display_name, reason=reason, now=now
        )
    return shift


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
    rejected. (A rejection with a reason of its own goes through the API.) Runs inside the
    caller's transaction (flows.inbound, which commits with the inbound row).
    """
    shift = await repository.get_shift(session, activation, page.shift_id or 0)
    text = notices.label(cfg, shift)
    values = {"ref": activation.ref, "shift": text}
    if shift.state != ShiftState.awaiting_approval or activation.status != ActivationStatus.active:
        status = rules.STATE_WORDS.get(shift.state, shift.state)
        return ReplyOutcome("shift_not_pending", "reply_shift_closed", {**values, "status": status})
    by = person.name
    page.state = PageState.acked if accept else PageState.declined
    page.answered_at = now
    session.add(page)
    if not accept:
        eventlog.append(
            session,
            activation,
            "shift_approval_declined",
            f"{by} godkender ikke vagt {text} (SMS).",
            actor=by,
            data={"shift_id": shift.id, "page_id": page.id, "person_id": person.id},
            now=now,
        )
    asked = await repository.shift_pages(session, shift, PagePurpose.shift_approve, open_only=False)
    match rules.approval_decision([p.state for p in asked]):
        case rules.Approve():
            await approve(session, cfg, activation, shift, by=by, via="SMS", now=now)
            return ReplyOutcome("shift_approved", "reply_shift_approve_ack", values)
        case rules.Reject():
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
