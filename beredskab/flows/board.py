"""Read side: the status board of one activation and the scoped list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import (
    ActionTask,
    Activation,
    ActivationStatus,
    CalloutState,
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
    ShiftBrief,
)
from beredskab.activations.voicecalls import VoiceAnswer, call_answer_counts, calls_of_pages
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.crisis_staff import action_cards as action_cards
from beredskab.directory.models import Organisation, Person
from beredskab.outbox import Channel, OutboxMessage, OutboxStatus
from beredskab.playbook import Playbook
from beredskab.roles import Role
from beredskab.shifts.models import AllocationState, Shift, VolunteerAllocation


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


@dataclass(frozen=True)
class OverviewRow:
    """One line of the console's overview: the activation, its authority's name and how many
    of the four crisis-staff roles are filled."""

    activation: ActivationSummary
    authority_name: str
    roles_filled: int


async def overview(
    session: AsyncSession, principal: Principal, status: ActivationStatus | None = None
) -> list[OverviewRow]:
    """The activations `principal` may see, newest first, with names and filled roles."""
    rows = await list_visible(session, principal, status)
    if not rows:
        return []
    ids = [row.id for row in rows]
    filled = dict(
        (
            await session.exec(
                select(RoleCallout.activation_id, func.count())
                .where(
                    RoleCallout.activation_id.in_(ids),  # type: ignore[attr-defined]
                    RoleCallout.state == CalloutState.filled,
                )
                .group_by(RoleCallout.activation_id)
            )
        ).all()
    )
    orgs = {row.authority_id for row in rows}
    names = dict(
        (
            await session.exec(
                select(Organisation.id, Organisation.name).where(
                    Organisation.id.in_(orgs)  # type: ignore[attr-defined]
                )
            )
        ).all()
    )
    return [
        OverviewRow(row, names.get(row.authority_id, row.authority_id), filled.get(row.id, 0))
        for row in rows
    ]


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
    people = await _people(
        session, {c.person_id for c in callouts if c.person_id} | {p.person_id for p in pages}
    )
    open_ids = [p.id for p in pages if p.state == PageState.open]
    delivery = await _delivery(session, open_ids)
    calls = await calls_of_pages(session, open_ids)
    by_status = await _outbox_counts(session, a.id)
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
            call=calls.get(p.id),
            shift_id=p.shift_id,
            org_id=p.org_id,
        )
        for p in pages
        if p.state == PageState.open
    ]
    sms = by_status.get(Channel.sms, {})
    voice = by_status.get(Channel.voice, {})
    answers = await call_answer_counts(session, a.id)
    counts = {
        "pages": len(pages),
        "pages_open": len(open_pages),
        "sms_sent": sms.get(OutboxStatus.sent, 0),
        "sms_pending": sms.get(OutboxStatus.pending, 0) + sms.get(OutboxStatus.sending, 0),
        "sms_failed": sms.get(OutboxStatus.failed, 0),
        "calls_placed": voice.get(OutboxStatus.sent, 0),
        "calls_pending": voice.get(OutboxStatus.pending, 0) + voice.get(OutboxStatus.sending, 0),
        "calls_answered": answers.get(True, 0),
        "calls_unanswered": answers.get(False, 0) + voice.get(OutboxStatus.failed, 0),
        "log_entries": a.log_seq,
    }
    callbacks = None
    if a.callback_url:
        calls = by_status.get(Channel.callback, {})
        failing, last_error = await _failing_callbacks(session, a.id)
        callbacks = CallbackStatus(
            url=a.callback_url,
            delivered=calls.get(OutboxStatus.sent, 0),
            pending=calls.get(OutboxStatus.pending, 0) + calls.get(OutboxStatus.sending, 0),
            failing=failing,
            last_error=last_error,
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
        shifts=await _shifts(session, a.id),
    )


async def _shifts(session: AsyncSession, activation_id: str) -> list[ShiftBrief]:
    """Each shift with its places taken and confirmed, counted by the database."""
    shifts = (
        await session.exec(
            select(Shift).where(Shift.activation_id == activation_id).order_by(Shift.start)
        )
    ).all()
    if not shifts:
        return []
    rows = await session.exec(
        select(
            VolunteerAllocation.shift_id,
            func.sum(VolunteerAllocation.agents),
            func.sum(
                case((VolunteerAllocation.confirmed_at.is_not(None), VolunteerAllocation.agents))
            ),
        )
        .where(
            VolunteerAllocation.shift_id.in_([s.id for s in shifts]),
            VolunteerAllocation.state == AllocationState.active,
        )
        .group_by(VolunteerAllocation.shift_id)
    )
    taken = {sid: (int(n or 0), int(c or 0)) for sid, n, c in rows.all()}
    return [
        ShiftBrief(
            id=s.id,
            start=s.start,
            end=s.end,
            state=s.state,
            needs_approval=s.out_of_hours_minutes > 0,
            agents_needed=s.agents_needed,
            agents_allocated=taken.get(s.id, (0, 0))[0],
            agents_confirmed=taken.get(s.id, (0, 0))[1],
        )
        for s in shifts
    ]


async def _outbox_counts(session: AsyncSession, activation_id: str) -> dict[str, dict[str, int]]:
    """{channel: {status: n}}, counted by the database (a long incident sends thousands)."""
    rows = await session.exec(
        select(OutboxMessage.channel, OutboxMessage.status, func.count())
        .where(OutboxMessage.activation_id == activation_id)
        .group_by(OutboxMessage.channel, OutboxMessage.status)
    )
    out: dict[str, dict[str, int]] = {}
    for channel, status, n in rows.all():
        out.setdefault(channel, {})[status] = n
    return out


async def _delivery(session: AsyncSession, page_ids: list[int | None]) -> dict[int, str]:
    """The delivery state of each open page's SMS."""
    if not page_ids:
        return {}
    rows = await session.exec(
        select(OutboxMessage.page_id, OutboxMessage.provider_status, OutboxMessage.status)
        .where(OutboxMessage.page_id.in_(page_ids), OutboxMessage.channel == Channel.sms)
        .order_by(OutboxMessage.id)
    )
    return {page_id: provider or status for page_id, provider, status in rows.all()}


async def _failing_callbacks(session: AsyncSession, activation_id: str) -> tuple[int, str | None]:
    failing = (
        OutboxMessage.activation_id == activation_id,
        OutboxMessage.channel == Channel.callback,
        OutboxMessage.status != OutboxStatus.sent,
        OutboxMessage.last_error.is_not(None),
    )
    count = (
        await session.exec(select(func.count()).select_from(OutboxMessage).where(*failing))
    ).one()
    last = (
        await session.exec(
            select(OutboxMessage.last_error)
            .where(*failing)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
    ).first()
    return count, _shown(last)


def _shown(error: str | None) -> str | None:
    """What the authority sees of a failing callback: the HTTP status its endpoint answered, or
    that there was no answer. Never the connection error's text, which would tell closed, open
    and HTTP ports apart (a scanner's oracle)."""
    if error is None:
        return None
    if error.startswith("HTTP "):  # the dispatcher writes exactly "HTTP <status>"
        return error
    if error.startswith("refused: "):
        return "refused: not a public https address"
    return "no answer"


async def fingerprint(session: AsyncSession, activation_id: str) -> tuple:
    """A cheap summary of everything the status board shows, in ONE small query: it changes
    whenever the board would (a role answered or handed over, a page sent, answered, delivered
    or expired, the status, the action cards written or a task ticked, a shift filled). The
    console's live board polls it and renders only when it moved."""
    aid = activation_id

    def one(*columns, where) -> object:  # noqa: ANN001, ANN002 - a scalar subquery
        return select(*columns).where(*where).scalar_subquery()

    on_callouts = (RoleCallout.activation_id == aid,)
    on_pages = (Page.activation_id == aid,)
    on_sms = (OutboxMessage.activation_id == aid, OutboxMessage.channel == Channel.sms)
    on_calls = (OutboxMessage.activation_id == aid, OutboxMessage.channel == Channel.voice)
    shift_ids = select(Shift.id).where(Shift.activation_id == aid)
    query = select(
        Activation.status,
        Activation.endorsed_at,
        Activation.ended_at,
        Activation.archived_at,
        one(func.max(RoleCallout.since), where=on_callouts),
        one(func.count(RoleCallout.person_id), where=on_callouts),
        one(func.max(Page.id), where=on_pages),
        one(func.max(Page.answered_at), where=on_pages),
        one(func.count(), where=(*on_pages, Page.state == PageState.open)),
        *(
            one(func.count(), where=(*on_sms, condition))
            for condition in (
                OutboxMessage.status == OutboxStatus.sending,
                OutboxMessage.status == OutboxStatus.sent,
                OutboxMessage.status == OutboxStatus.failed,
                OutboxMessage.provider_status == "delivered",
                OutboxMessage.provider_status.in_(("failed", "undelivered")),  # type: ignore[union-attr]
            )
        ),
        one(func.count(), where=(*on_calls, OutboxMessage.status == OutboxStatus.sent)),
        one(func.count(), where=(VoiceAnswer.activation_id == aid,)),
        # the cards are written after the endorsement's commit (`action_cards.instantiate`)
        one(func.count(), where=(ActionTask.activation_id == aid,)),
        one(func.max(ActionTask.changed_at), where=(ActionTask.activation_id == aid,)),
        one(func.count(), where=(Shift.activation_id == aid,)),
        one(
            func.max(func.coalesce(Shift.ended_at, Shift.approved_at)),
            where=(Shift.activation_id == aid,),
        ),
        one(
            func.count(VolunteerAllocation.confirmed_at),
            where=(VolunteerAllocation.shift_id.in_(shift_ids),),  # type: ignore[attr-defined]
        ),
        one(
            func.count(),
            where=(VolunteerAllocation.shift_id.in_(shift_ids),),  # type: ignore[attr-defined]
        ),
    ).where(Activation.id == aid)
    row = (await session.exec(query)).first()
    return tuple(row) if row is not None else ()


def allowed_actions(
    shown: ActivationBoard, roles: frozenset[TokenRole], person_id: str
) -> dict[str, bool]:
    """Which of the board's actions a person with `roles` is offered now (the buttons; the use
    cases decide again): endorse and reject (steering) and cancel (the authority) while it is
    requested; stand down (steering, or the activation's crisis leader) and hand over a role
    (steering, admin, or that crisis leader) while it is active; name log delegates (that crisis
    leader) until the log is archived."""
    requested = shown.status == ActivationStatus.requested
    active = shown.status == ActivationStatus.active
    leader = next((r for r in shown.roles if r.role == Role.crisis_leader.value), None)
    leads = (
        TokenRole.crisis_staff in roles
        and leader is not None
        and leader.person is not None
        and leader.person.id == person_id
    )
    steering = TokenRole.steering in roles
    return {
        "endorse": requested and steering,
        "reject": requested and steering,
        "cancel": requested and TokenRole.authority in roles,
        "stand_down": active and (steering or leads),
        "handover": active and (steering or TokenRole.admin in roles or leads),
        # name or remove extra log keepers: the crisis leader, until the log is archived
        "delegate": shown.archived_at is None and leads,
    }
