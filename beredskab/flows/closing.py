"""Closing an activation: reject or cancel before endorsement, stand down after. It spans every
aggregate (pending SMS and deadlines, the role call-outs, the shifts, the role tenures that billing
prices), so it lives above them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import deadlines
from beredskab.activations.config import ActivationConfig
from beredskab.activations.models import (
    Activation,
    ActivationStatus,
    CalloutState,
    Page,
    PagePurpose,
    RoleCallout,
)
from beredskab.activations.notify import sms_person, state_changed, tell_authority
from beredskab.activations.repository import lock_activation, require_crisis_leader
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.crisis_staff import action_cards, tenure
from beredskab.crisis_staff import callout as callouts
from beredskab.danish import count
from beredskab.directory.models import Person
from beredskab.errors import Conflict
from beredskab.eventlog import service as eventlog
from beredskab.outbox import cancel_pending
from beredskab.shifts import ending as shift_ending
from beredskab.unit_of_work import transaction

AUTHORITY_TEXT = {
    ActivationStatus.stood_down: "authority_stood_down",
    ActivationStatus.rejected: "authority_rejected",
    ActivationStatus.cancelled: "authority_cancelled",
}
ENDED_DA = {
    ActivationStatus.stood_down: "afsluttet",
    ActivationStatus.rejected: "afvist",
    ActivationStatus.cancelled: "trukket tilbage",
}


async def end_before_endorsement(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation_id: str,
    *,
    status: ActivationStatus,
    by: str,
    reason: str,
    now: datetime,
) -> Activation:
    """Reject (steering) or cancel (the requester) an activation nobody has endorsed yet."""
    async with transaction(session):
        activation = await lock_activation(session, activation_id)
        if activation.status != ActivationStatus.requested:
            raise Conflict(
                f"activation {activation.ref} is {activation.status}, not awaiting endorsement"
            )
        await close(session, cfg, activation, status, by=by, reason=reason, now=now)
    return activation


async def stand_down(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation_id: str,
    principal: Principal,
    *,
    reason: str,
    now: datetime,
) -> Activation:
    async with transaction(session):
        activation = await lock_activation(session, activation_id)
        if activation.status != ActivationStatus.active:
            raise Conflict(
                f"activation {activation.ref} is {activation.status}; only an active one "
                "can be stood down"
            )
        if principal.role is TokenRole.crisis_staff:
            await require_crisis_leader(session, activation, principal)
        by = principal.display_name
        await close(
            session, cfg, activation, ActivationStatus.stood_down, by=by, reason=reason, now=now
        )
    return activation


async def close(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    status: ActivationStatus,
    *,
    by: str,
    reason: str,
    now: datetime,
) -> None:
    activation.status = status
    activation.ended_at = now
    activation.ended_by = by
    activation.end_reason = reason or None
    session.add(activation)
    cancelled_sms = await cancel_pending(session, activation.id)
    # its action cards are still written, if they are not yet: they belong to its record
    cancelled_deadlines = await deadlines.cancel_for_activation(
        session, activation.id, keep=(action_cards.ACTION_CARDS,)
    )
    pages = (await session.exec(select(Page).where(Page.activation_id == activation.id))).all()
    callout_rows = (
        await session.exec(select(RoleCallout).where(RoleCallout.activation_id == activation.id))
    ).all()
    told: set[str] = set()
    # volunteers hear about their shifts from on_activation_closed, in a text about the shift
    staff_pages = [p for p in pages if p.purpose != PagePurpose.volunteer]
    for person_id in [p.person_id for p in staff_pages] + [
        c.person_id for c in callout_rows if c.person_id
    ]:
        if person_id in told:
            continue
        told.add(person_id)
        person = await session.get(Person, person_id)
        if person is not None:
            # a request rejected or withdrawn before endorsement ended no effort: the steering
            # members asked are told their page is closed, not thanked for an effort
            key = "stood_down" if status == ActivationStatus.stood_down else "page_closed"
            sms_person(
                session,
                cfg.playbook,
                activation,
                person,
                key,
                ref=activation.ref,
                title=activation.title,
            )
    await shift_ending.on_activation_closed(session, cfg, activation, by=by, now=now)
    await callouts.cancel_open_role_pages(session, activation.id)
    for row in callout_rows:
        row.state = CalloutState.closed
        session.add(row)
    await tenure.close_all(session, activation.id, now)
    eventlog.append(
        session,
        activation,
        status.value,
        f"Aktivering {ENDED_DA[status]} af {by}."
        + (f" Begrundelse: {reason.rstrip('.')}." if reason else "")
        + f" {cancelled_sms} usendte SMS og {count(cancelled_deadlines, 'frist', 'frister')}"
        f" annulleret; {count(len(told), 'person', 'personer')} orienteret.",
        actor=by,
        data={"reason": reason},
        now=now,
    )
    state_changed(session, activation, status.value, now, by=by, reason=reason)
    tell_authority(session, cfg.playbook, activation, AUTHORITY_TEXT[status], reason=reason)
