"""The SMS of shifts: to the staffing lead, to the steering members asked to approve, to the
municipalities paged for agents, and closing a shift's open pages with a word to each person.

Runs inside the caller's transaction; queues outbox rows, never commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import (
    Activation,
    CalloutState,
    Page,
    PagePurpose,
    PageState,
    RoleCallout,
)
from beredskab.activations.notify import roster_primary, sms_person
from beredskab.directory.models import Person
from beredskab.roles import Role
from beredskab.shifts import repository, rules
from beredskab.shifts.models import Shift

if TYPE_CHECKING:
    from beredskab.activations.config import ActivationConfig


def label(cfg: ActivationConfig, shift: Shift) -> str:
    """The shift as people read it, in local time; a shift cut short shows where it was cut."""
    return rules.shift_label(shift.start, rules.ends_at(shift), cfg.timezone)


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


async def tell_staffing_lead(
    session: AsyncSession, cfg: ActivationConfig, activation: Activation, key: str, **values: object
) -> None:
    lead = await staffing_lead(session, activation.id)
    if lead is not None:
        sms_person(session, cfg.playbook, activation, lead, key, ref=activation.ref, **values)


async def tell_people(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    person_ids: list[str | None],
    key: str,
    /,
    **values: object,
) -> None:
    """Message `key` to each of these people once (in the order of their ids)."""
    for person in await repository.people(session, person_ids):
        sms_person(session, cfg.playbook, activation, person, key, **values)


async def close_shift_pages(
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
    closing = await repository.shift_pages(session, shift, purpose)
    if not closing:
        return 0, 0
    await session.exec(
        update(Page)
        .where(Page.id.in_([p.id for p in closing]))
        .values(state=PageState.cancelled, answered_at=now)
    )
    if key is None:
        return len(closing), 0
    people = await repository.people(session, {p.person_id for p in closing})
    for person in people:
        sms_person(session, cfg.playbook, activation, person, key, **values)
    return len(closing), len(people)


def ask_to_approve(
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


def page_volunteer(
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


def update_volunteer(
    cfg: ActivationConfig,
    session: AsyncSession,
    activation: Activation,
    shift: Shift,
    person: Person,
    page: Page,
    remaining: int,
) -> None:
    """The number missing changed while the page is open: the same question, the new number.
    Not tied to the page in the outbox: a failed delivery of it is no failed page."""
    sms_person(
        session,
        cfg.playbook,
        activation,
        person,
        "volunteer_page_update",
        ref=activation.ref,
        shift=label(cfg, shift),
        remaining=remaining,
        code=page.code,
        title=activation.title,
    )
