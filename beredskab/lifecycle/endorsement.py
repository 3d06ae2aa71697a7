"""Endorsement: a steering member endorses (by API here, by SMS through `flows.inbound`), the
activation becomes active and the four roles are paged; unanswered, the steering group is
reminded. `apply_endorsement` runs inside its caller's transaction; `endorse` owns its own.

Each public function owns one transaction (`unit_of_work.transaction`) and locks the activation
row first, so every writer of one activation is serialised and the log never forks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import danish, deadlines
from beredskab.activations.config import ActivationConfig
from beredskab.activations.models import (
    Activation,
    ActivationStatus,
    Page,
    PagePurpose,
    PageState,
)
from beredskab.activations.notify import roster_primary, sms_person, state_changed, tell_authority
from beredskab.activations.repository import lock_activation
from beredskab.crisis_staff import action_cards as action_cards
from beredskab.crisis_staff import callout as callouts
from beredskab.deadlines import Deadline, DeadlineStatus
from beredskab.directory.models import Organisation, Person
from beredskab.errors import Conflict, NotFound
from beredskab.eventlog import service as eventlog
from beredskab.lifecycle import calls
from beredskab.roles import Role
from beredskab.unit_of_work import transaction

ENDORSE_TIMEOUT = "endorse_timeout"


async def _open_endorsement_pages(session: AsyncSession, activation_id: str) -> list[Page]:
    rows = await session.exec(
        select(Page).where(
            Page.activation_id == activation_id,
            Page.purpose == PagePurpose.endorse,
            Page.state == PageState.open,
        )
    )
    return list(rows.all())


async def apply_endorsement(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    *,
    by: str,
    person_id: str | None,
    via: str,
    now: datetime,
    fresh: bool = False,
) -> None:
    """Endorse `activation` (locked): `fresh` when it was created in this very transaction,
    inserted endorsed already (by `by`, at `now`), so it has no endorsement pages or reminders
    to close yet."""
    if not fresh:  # a fresh one was inserted endorsed already: nothing to flush
        activation.status = ActivationStatus.active
        activation.endorsed_at = now
        activation.endorsed_by = by
        session.add(activation)
    pages = [] if fresh else await _open_endorsement_pages(session, activation.id)
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
    if not fresh:
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
    action_cards.instantiate(session, cfg.playbook, activation, now)
    await callouts.start_callouts(session, cfg.playbook, activation, now)
    # queued after the four pages, so it never holds one of them up in the dispatcher's queue
    since = danish.when(now, cfg.timezone)
    tell_authority(session, cfg.playbook, activation, "authority_endorsed", since=since)


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
    async with transaction(session):
        activation = await lock_activation(session, activation_id)
        if activation.status == ActivationStatus.active:
            raise Conflict(
                f"activation {activation.ref} is already endorsed by {activation.endorsed_by}"
            )
        if activation.status != ActivationStatus.requested:
            raise Conflict(
                f"activation {activation.ref} is {activation.status}; it cannot be endorsed"
            )
        await apply_endorsement(
            session, cfg, activation, by=by, person_id=person_id, via=via, now=now
        )
    return activation


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

    return {
        callouts.PAGE_TIMEOUT: on_page_timeout,
        ENDORSE_TIMEOUT: on_endorse_timeout,
        **calls.deadline_handlers(cfg),
        **action_cards.deadline_handlers(cfg.playbook),
    }


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
