"""Activation lifecycle use cases: request, endorse, remind the steering group, hand over a role,
answer a role page through the API. (Reject, cancel and stand-down close an activation across
aggregates: `beredskab.flows.closing`.)

Each public function owns one transaction: it locks the activation row first (so every writer of
one activation is serialised, and the log never forks), decides, writes pages, outbox rows,
deadlines and log entries, and commits.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import deadlines
from beredskab.activations.config import ActivationConfig
from beredskab.activations.models import (
    Activation,
    ActivationStatus,
    Page,
    PagePurpose,
    PageState,
    RoleCallout,
)
from beredskab.activations.notify import roster_primary, sms_person, state_changed, steering_people
from beredskab.activations.pages import ReplyOutcome, create_page
from beredskab.activations.repository import lock_activation, require_crisis_leader
from beredskab.activations.schemas import ActivationCreate
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.crisis_staff import action_cards as action_cards
from beredskab.crisis_staff import callout as callouts
from beredskab.deadlines import Deadline, DeadlineStatus
from beredskab.directory.models import Organisation, Person
from beredskab.directory.service import known_org
from beredskab.errors import Conflict, Forbidden, InvalidInput, NotFound
from beredskab.eventlog import service as eventlog
from beredskab.roles import Role

ENDORSE_TIMEOUT = "endorse_timeout"
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _check_callback_url(url: str | None, allow_loopback_http: bool) -> None:
    if url is None:
        return
    parts = urlsplit(url)
    if not parts.hostname:
        raise InvalidInput("callback_url", "must be an absolute URL")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and allow_loopback_http and parts.hostname in LOOPBACK_HOSTS:
        return
    raise InvalidInput(
        "callback_url", "must use https (plain http only to loopback in development)"
    )


async def _existing_for_key(
    session: AsyncSession, principal: Principal, key: str | None
) -> Activation | None:
    if not key:
        return None
    return (
        await session.exec(
            select(Activation).where(
                Activation.created_by_token_id == principal.token_id,
                Activation.idempotency_key == key,
            )
        )
    ).first()


async def _next_ref(session: AsyncSession, now: datetime) -> str:
    prefix = f"DDH-{now.year}-"
    count = (
        await session.exec(
            select(func.count()).select_from(Activation).where(Activation.ref.startswith(prefix))
        )
    ).one()
    return f"{prefix}{count + 1:04d}"


async def request_activation(
    session: AsyncSession,
    cfg: ActivationConfig,
    principal: Principal,
    data: ActivationCreate,
    *,
    idempotency_key: str | None,
    now: datetime,
) -> tuple[Activation, bool]:
    """Create an activation (or return the one this caller made with the same key).

    Returns the activation and whether it was created now."""
    if principal.role is TokenRole.authority:
        if data.authority_id and data.authority_id != principal.org_id:
            raise Forbidden("an authority may only activate on its own behalf")
        authority_id = principal.org_id
    else:
        if not data.authority_id:
            raise InvalidInput("authority_id", "is required when a steering member or admin asks")
        authority_id = data.authority_id
    _check_callback_url(data.callback_url, cfg.allow_loopback_http_callbacks)
    for _attempt in range(5):
        existing = await _existing_for_key(session, principal, idempotency_key)
        if existing is not None:
            return existing, False
        org = await known_org(session, "authority_id", authority_id)
        try:
            activation = await _create(session, cfg, principal, data, org, idempotency_key, now)
            await session.commit()
            return activation, True
        except IntegrityError:
            # a concurrent request took our ref or our idempotency key: look again
            await session.rollback()
    raise Conflict("could not allocate an activation reference; try again")


async def _create(
    session: AsyncSession,
    cfg: ActivationConfig,
    principal: Principal,
    data: ActivationCreate,
    org: Organisation,
    idempotency_key: str | None,
    now: datetime,
) -> Activation:
    by = principal.display_name
    activation = Activation(
        id=str(uuid.uuid4()),
        ref=await _next_ref(session, now),
        title=data.title,
        description=data.description,
        authority_id=org.id,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        channels=list(data.channels),
        exercise=data.exercise,
        out_of_hours_requested=data.out_of_hours_requested,
        callback_url=data.callback_url,
        playbook_hash=cfg.playbook_hash,
        created_by_token_id=principal.token_id,
        created_by=by,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    session.add(activation)
    await session.flush()
    eventlog.append(
        session,
        activation,
        "requested",
        f"{'ØVELSE: ' if data.exercise else ''}Aktivering anmodet af {by} for {org.name}: "
        f"{data.title}",
        actor=by,
        data={"authority_id": org.id, "playbook_hash": cfg.playbook_hash},
        now=now,
    )
    state_changed(session, activation, "requested", now)
    if principal.role is TokenRole.steering:
        await _endorse(
            session,
            cfg,
            activation,
            by=by,
            person_id=principal.person_id,
            via="anmodning fra styregruppemedlem",
            now=now,
        )
    else:
        await _page_steering(session, cfg, activation, org, now)
    return activation


async def _page_steering(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    org: Organisation,
    now: datetime,
) -> None:
    members = await steering_people(session)
    for person in members:
        page = await create_page(session, activation, PagePurpose.endorse, person, now)
        sms_person(
            session,
            cfg.playbook,
            activation,
            person,
            "endorse_request",
            page_id=page.id,
            ref=activation.ref,
            authority=org.name,
            title=activation.title,
            code=page.code,
        )
    timeout = timedelta(minutes=cfg.playbook.endorsement.timeout_minutes)
    deadlines.schedule(session, ENDORSE_TIMEOUT, now + timeout, activation_id=activation.id)
    eventlog.append(
        session,
        activation,
        "endorsement_requested",
        f"{len(members)} styregruppemedlemmer bedt om godkendelse.",
        data={"steering": [p.id for p in members]},
        now=now,
    )


async def _open_endorsement_pages(session: AsyncSession, activation_id: str) -> list[Page]:
    rows = await session.exec(
        select(Page).where(
            Page.activation_id == activation_id,
            Page.purpose == PagePurpose.endorse,
            Page.state == PageState.open,
        )
    )
    return list(rows.all())


async def _endorse(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    *,
    by: str,
    person_id: str | None,
    via: str,
    now: datetime,
) -> None:
    activation.status = ActivationStatus.active
    activation.endorsed_at = now
    activation.endorsed_by = by
    session.add(activation)
    pages = await _open_endorsement_pages(session, activation.id)
    for page in pages:
        page.answered_at = now
        page.state = PageState.acked if page.person_id == person_id else PageState.cancelled
        session.add(page)
        person = await session.get(Person, page.person_id)
        if person is not None and page.person_id != person_id:
            sms_person(
                session,
                cfg.playbook,
                activation,
                person,
                "endorsed_notice",
                ref=activation.ref,
                by=by,
            )
    await session.exec(
        update(Deadline)
        .where(
            Deadline.activation_id == activation.id,
            Deadline.kind == ENDORSE_TIMEOUT,
            Deadline.status == DeadlineStatus.pending,
        )
        .values(status=DeadlineStatus.cancelled)
    )
    eventlog.append(
        session, activation, "endorsed", f"Aktivering godkendt af {by} ({via}).", actor=by, now=now
    )
    state_changed(session, activation, "endorsed", now, by=by)
    await action_cards.instantiate(session, cfg.playbook, activation)
    await callouts.start_callouts(session, cfg.playbook, activation, now)


async def endorse(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation_id: str,
    *,
    by: str,
    person_id: str | None,
    via: str,
    now: datetime,
) -> Activation:
    activation = await lock_activation(session, activation_id)
    if activation.status == ActivationStatus.active:
        raise Conflict(
            f"activation {activation.ref} is already endorsed by {activation.endorsed_by}"
        )
    if activation.status != ActivationStatus.requested:
        raise Conflict(f"activation {activation.ref} is {activation.status}; it cannot be endorsed")
    await _endorse(session, cfg, activation, by=by, person_id=person_id, via=via, now=now)
    await session.commit()
    return activation


async def handover(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation_id: str,
    role: Role,
    principal: Principal,
    *,
    person_id: str,
    reason: str,
    now: datetime,
) -> RoleCallout:
    activation = await lock_activation(session, activation_id)
    if activation.status != ActivationStatus.active:
        raise Conflict(f"activation {activation.ref} is {activation.status}")
    if principal.role is TokenRole.crisis_staff:
        await require_crisis_leader(session, activation, principal)
    person = await session.get(Person, person_id)
    if person is None:
        raise InvalidInput("person_id", f"unknown person {person_id!r}")
    if not person.active:
        raise InvalidInput("person_id", f"{person.name} is not active in the directory")
    callout = await callouts.handover(
        session,
        cfg.playbook,
        activation,
        role,
        person,
        by=principal.display_name,
        reason=reason,
        now=now,
    )
    await session.commit()
    return callout


async def answer_role_page_via_api(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation_id: str,
    role: Role,
    principal: Principal,
    *,
    accept: bool,
    now: datetime,
) -> ReplyOutcome:
    """The paged person answers through the API instead of by SMS."""
    activation = await lock_activation(session, activation_id)
    if not principal.person_id:
        raise Forbidden("this token is not bound to a person, so it cannot answer a page")
    page = (
        await session.exec(
            select(Page)
            .where(
                Page.activation_id == activation.id,
                Page.role == role,
                Page.person_id == principal.person_id,
            )
            .order_by(Page.id.desc())
        )
    ).first()
    if page is None:
        raise Forbidden(f"you have not been paged for {role.value} in {activation.ref}")
    fn = callouts.acknowledge if accept else callouts.decline
    outcome = await fn(session, cfg.playbook, activation, page, now, via="API")
    await session.commit()
    return outcome


# --- deadline handlers -------------------------------------------------------------------------


def deadline_handlers(cfg: ActivationConfig) -> dict[str, deadlines.Handler]:
    async def on_page_timeout(session: AsyncSession, row: Deadline, now: datetime) -> None:
        activation = await lock_activation(session, row.activation_id or "")
        page = await session.get(Page, row.subject_id)
        if page is None:
            raise NotFound(f"page {row.subject_id} is gone")
        await callouts.page_timed_out(session, cfg.playbook, activation, page, now)

    async def on_endorse_timeout(session: AsyncSession, row: Deadline, now: datetime) -> None:
        activation = await lock_activation(session, row.activation_id or "")
        if activation.status != ActivationStatus.requested:
            return
        await _remind_steering(session, cfg, activation, now)

    return {callouts.PAGE_TIMEOUT: on_page_timeout, ENDORSE_TIMEOUT: on_endorse_timeout}


async def _remind_steering(
    session: AsyncSession, cfg: ActivationConfig, activation: Activation, now: datetime
) -> None:
    policy = cfg.playbook.endorsement
    org = await session.get(Organisation, activation.authority_id)
    authority = org.name if org else activation.authority_id
    activation.endorse_reminders += 1
    session.add(activation)
    minutes = policy.timeout_minutes * activation.endorse_reminders
    pages = await _open_endorsement_pages(session, activation.id)
    for page in pages:
        person = await session.get(Person, page.person_id)
        if person is not None:
            sms_person(
                session,
                cfg.playbook,
                activation,
                person,
                "endorse_reminder",
                page_id=page.id,
                ref=activation.ref,
                authority=authority,
                title=activation.title,
                code=page.code,
                minutes=minutes,
            )
    leader = await roster_primary(session, Role.crisis_leader)
    if leader is not None:
        sms_person(
            session,
            cfg.playbook,
            activation,
            leader,
            "endorse_overdue_leader",
            ref=activation.ref,
            authority=authority,
            title=activation.title,
            minutes=minutes,
        )
    eventlog.append(
        session,
        activation,
        "endorsement_overdue",
        f"Ingen godkendelse efter {minutes} min; styregruppen kaldt igen"
        + (f", kriseleder {leader.name} orienteret." if leader else "."),
        now=now,
    )
    if activation.endorse_reminders < policy.max_reminders:
        deadlines.schedule(
            session,
            ENDORSE_TIMEOUT,
            now + timedelta(minutes=policy.timeout_minutes),
            activation_id=activation.id,
        )
