"""Who gets told what: SMS to people through the outbox, and status callbacks to the authority."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation
from beredskab.directory.models import Person, RosterEntry, SteeringMember
from beredskab.outbox import enqueue_callback, stage_sms
from beredskab.playbook import Playbook


def sms_person(
    session: AsyncSession,
    playbook: Playbook,
    activation: Activation,
    person: Person,
    key: str,
    *,
    page_id: int | None = None,
    **values: Any,
) -> None:
    body = playbook.render(key, exercise=activation.exercise, **values)
    stage_sms(
        session,
        person.phone,
        body,
        activation_id=activation.id,
        page_id=page_id,
        person_id=person.id,
    )


def tell_authority(
    session: AsyncSession, playbook: Playbook, activation: Activation, key: str, **values: Any
) -> None:
    """An SMS to the requesting authority's contact person: what happens to their request. They
    are not paged and cannot answer, so each text says whom to call."""
    body = playbook.render(key, exercise=activation.exercise, ref=activation.ref, **values)
    stage_sms(session, activation.contact_phone, body, activation_id=activation.id)


async def steering_people(session: AsyncSession) -> list[Person]:
    rows = await session.exec(
        select(Person)
        .join(SteeringMember, SteeringMember.person_id == Person.id)
        .where(Person.active.is_(True))
        .order_by(SteeringMember.position, Person.id)
    )
    return list(rows.all())


async def roster_primary(session: AsyncSession, role: str) -> Person | None:
    return (
        await session.exec(
            select(Person)
            .join(RosterEntry, RosterEntry.person_id == Person.id)
            .where(RosterEntry.role == role, Person.active.is_(True))
            .order_by(RosterEntry.rank)
        )
    ).first()


def state_changed(
    session: AsyncSession, activation: Activation, event: str, now: datetime, **data: Any
) -> None:
    """Queue a status callback to the authority's own system, when it gave us a URL."""
    if not activation.callback_url:
        return
    payload = {
        "event": event,
        "activation_id": activation.id,
        "ref": activation.ref,
        "status": activation.status,
        "exercise": activation.exercise,
        "occurred_at": now.isoformat(),
        "data": data,
    }
    enqueue_callback(
        session, activation.callback_url, json.dumps(payload, ensure_ascii=False), activation.id
    )
