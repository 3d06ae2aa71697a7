"""Read side: the status board of one activation and the scoped list."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations import tasks as action_cards
from beredskab.activations.models import (
    Activation,
    ActivationStatus,
    Page,
    PageState,
    RoleCallout,
)
from beredskab.activations.schemas import (
    ActivationBoard,
    ActivationSummary,
    CallbackStatus,
    OpenPage,
    PersonRef,
    RoleStatus,
)
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.directory.models import Person, Role
from beredskab.outbox import Channel, OutboxMessage, OutboxStatus
from beredskab.playbook import Playbook


def summary(a: Activation) -> ActivationSummary:
    return ActivationSummary(
        id=a.id,
        ref=a.ref,
        status=a.status,
        title=a.title,
        authority_id=a.authority_id,
        exercise=a.exercise,
        created_at=a.created_at,
    )


async def list_visible(
    session: AsyncSession, principal: Principal, status: ActivationStatus | None
) -> list[ActivationSummary]:
    query = select(Activation).order_by(Activation.created_at.desc()).limit(500)
    if principal.role is TokenRole.authority:
        query = query.where(Activation.authority_id == principal.org_id)
    if status is not None:
        query = query.where(Activation.status == status)
    return [summary(a) for a in (await session.exec(query)).all()]


async def _people(session: AsyncSession, ids: set[str]) -> dict[str, PersonRef]:
    if not ids:
        return {}
    rows = await session.exec(select(Person).where(Person.id.in_(ids)))
    return {p.id: PersonRef(id=p.id, name=p.name) for p in rows.all()}


async def role_status(session: AsyncSession, playbook: Playbook, c: RoleCallout) -> RoleStatus:
    people = await _people(session, {c.person_id} if c.person_id else set())
    return _role_status(playbook, c, people)


def _role_status(playbook: Playbook, c: RoleCallout, people: dict[str, PersonRef]) -> RoleStatus:
    return RoleStatus(
        role=c.role,
        name=playbook.roles[Role(c.role)].name,
        state=c.state,
        person=people.get(c.person_id or ""),
        since=c.since,
    )


async def build(session: AsyncSession, playbook: Playbook, a: Activation) -> ActivationBoard:
    callouts = (
        await session.exec(select(RoleCallout).where(RoleCallout.activation_id == a.id))
    ).all()
    pages = (
        await session.exec(select(Page).where(Page.activation_id == a.id).order_by(Page.id))
    ).all()
    outbox = (
        await session.exec(select(OutboxMessage).where(OutboxMessage.activation_id == a.id))
    ).all()
    people = await _people(
        session, {c.person_id for c in callouts if c.person_id} | {p.person_id for p in pages}
    )
    delivery = {m.page_id: m.provider_status or m.status for m in outbox if m.page_id}
    order = {r.value: i for i, r in enumerate(Role)}
    roles = [
        _role_status(playbook, c, people)
        for c in sorted(callouts, key=lambda c: order.get(c.role, 99))
    ]
    open_pages = [
        OpenPage(
            id=p.id or 0,
            purpose=p.purpose,
            role=p.role,
            person=people[p.person_id],
            rank=p.rank,
            pass_no=p.pass_no,
            sent_at=p.created_at,
            expires_at=p.expires_at,
            delivery=delivery.get(p.id),
        )
        for p in pages
        if p.state == PageState.open
    ]
    sms = [m for m in outbox if m.channel == Channel.sms]
    calls = [m for m in outbox if m.channel == Channel.callback]
    counts = {
        "pages": len(pages),
        "pages_open": len(open_pages),
        "sms_sent": sum(m.status == OutboxStatus.sent for m in sms),
        "sms_pending": sum(m.status in (OutboxStatus.pending, OutboxStatus.sending) for m in sms),
        "sms_failed": sum(m.status == OutboxStatus.failed for m in sms),
        "log_entries": a.log_seq,
    }
    callbacks = None
    if a.callback_url:
        failing = [m for m in calls if m.status != OutboxStatus.sent and m.last_error]
        callbacks = CallbackStatus(
            url=a.callback_url,
            delivered=sum(m.status == OutboxStatus.sent for m in calls),
            pending=sum(m.status in (OutboxStatus.pending, OutboxStatus.sending) for m in calls),
            failing=len(failing),
            last_error=failing[-1].last_error if failing else None,
        )
    task_progress = action_cards.progress(await action_cards.list_tasks(session, a.id))
    base = summary(a).model_dump()
    return ActivationBoard(
        **base,
        description=a.description,
        contact_name=a.contact_name,
        contact_phone=a.contact_phone,
        channels=list(a.channels),
        out_of_hours_requested=a.out_of_hours_requested,
        playbook_hash=a.playbook_hash,
        endorsed_at=a.endorsed_at,
        endorsed_by=a.endorsed_by,
        ended_at=a.ended_at,
        roles=roles,
        open_pages=open_pages,
        counts=counts,
        callbacks=callbacks,
        action_cards=task_progress,
        archived_at=a.archived_at,
    )
