"""What a paged person's answer does to a role call-out: accepting fills the role, declining moves
the call-out on at once; a handover by the leader puts a named person in the role.

These run inside the caller's transaction, with the activation row locked (`flows.inbound` for an
SMS, `lifecycle.staff` for the API).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import (
    Activation,
    ActivationStatus,
    CalloutState,
    Page,
    PageState,
    RoleCallout,
)
from beredskab.activations.notify import sms_person, state_changed, tell_authority
from beredskab.activations.pages import ReplyOutcome
from beredskab.crisis_staff import tenure
from beredskab.crisis_staff.callout import advance, get_callout, pages_for_role, role_name
from beredskab.directory.models import Person
from beredskab.eventlog import service as eventlog
from beredskab.playbook import Playbook
from beredskab.roles import Role


async def close_open_pages(
    session: AsyncSession,
    playbook: Playbook,
    activation: Activation,
    pages: list[Page],
    now: datetime,
    *,
    notify: bool = True,
) -> None:
    for page in pages:
        if page.state != PageState.open:
            continue
        page.state = PageState.cancelled
        page.answered_at = now
        session.add(page)
        if notify:
            person = await session.get(Person, page.person_id)
            if person is not None:
                sms_person(session, playbook, activation, person, "page_closed", ref=activation.ref)


async def acknowledge(
    session: AsyncSession,
    playbook: Playbook,
    activation: Activation,
    page: Page,
    now: datetime,
    *,
    via: str,
) -> ReplyOutcome:
    name = role_name(playbook, page.role or "")
    values = {"ref": activation.ref, "role_name": name}
    if activation.status != ActivationStatus.active:
        return ReplyOutcome("activation_not_active", "page_closed", {"ref": activation.ref})
    callout = await get_callout(session, activation.id, page.role or "")
    if callout.state == CalloutState.filled:
        if callout.person_id == page.person_id:
            return ReplyOutcome("already_yours", "role_ack_confirm", values)
        return ReplyOutcome("already_filled", "role_already_filled", values)
    if page.state == PageState.cancelled:
        return ReplyOutcome("page_closed", "page_closed", {"ref": activation.ref})
    # A late answer to an expired page still fills an unfilled role: first acknowledgement wins.
    page.state = PageState.acked
    page.answered_at = now
    session.add(page)
    callout.state = CalloutState.filled
    callout.person_id = page.person_id
    callout.since = now
    session.add(callout)
    await tenure.role_taken(session, activation.id, callout.role, page.person_id, now)
    others = [
        p for p in await pages_for_role(session, activation.id, callout.role) if p.id != page.id
    ]
    await close_open_pages(session, playbook, activation, others, now)
    person = await session.get(Person, page.person_id)
    who = person.name if person else page.person_id
    eventlog.append(
        session,
        activation,
        "role_filled",
        f"{who} har bekræftet rollen som {name} ({via}).",
        actor=who,
        data={"role": callout.role, "person_id": page.person_id, "page_id": page.id, "via": via},
        now=now,
    )
    state_changed(
        session,
        activation,
        "role_filled",
        now,
        role=callout.role,
        person=who,
    )
    if person is not None:
        _tell_authority_of_leader(playbook, session, activation, callout.role, person)
    return ReplyOutcome("role_filled", "role_ack_confirm", values)


def _tell_authority_of_leader(
    playbook: Playbook, session: AsyncSession, activation: Activation, role: str, person: Person
) -> None:
    """The authority's contact gets the crisis leader's name and number once the role is filled
    (and again when another person takes it over)."""
    if role == Role.crisis_leader:
        tell_authority(
            session,
            playbook,
            activation,
            "authority_leader",
            leader=person.name,
            phone=person.phone,
        )


async def decline(
    session: AsyncSession,
    playbook: Playbook,
    activation: Activation,
    page: Page,
    now: datetime,
    *,
    via: str,
) -> ReplyOutcome:
    name = role_name(playbook, page.role or "")
    values = {"ref": activation.ref, "role_name": name}
    if activation.status != ActivationStatus.active:
        return ReplyOutcome("activation_not_active", "page_closed", {"ref": activation.ref})
    callout = await get_callout(session, activation.id, page.role or "")
    if callout.state == CalloutState.filled and callout.person_id != page.person_id:
        return ReplyOutcome("already_filled", "role_already_filled", values)
    if page.state != PageState.open:
        return ReplyOutcome("decline_noted", "role_decline_confirm", values)
    page.state = PageState.declined
    page.answered_at = now
    session.add(page)
    person = await session.get(Person, page.person_id)
    eventlog.append(
        session,
        activation,
        "page_declined",
        f"Kald til {name} afvist ({via}); næste stedfortræder kaldes.",
        actor=person.name if person else page.person_id,
        data={"role": page.role, "page_id": page.id, "person_id": page.person_id, "via": via},
        now=now,
    )
    await advance(session, playbook, activation, callout, now)
    return ReplyOutcome("declined", "role_decline_confirm", values)


async def handover(
    session: AsyncSession,
    playbook: Playbook,
    activation: Activation,
    role: str,
    new_person: Person,
    *,
    by: str,
    reason: str,
    now: datetime,
) -> RoleCallout:
    callout = await get_callout(session, activation.id, role)
    old_id = callout.person_id if callout.state == CalloutState.filled else None
    old = await session.get(Person, old_id) if old_id else None
    name = role_name(playbook, role)
    await close_open_pages(
        session, playbook, activation, await pages_for_role(session, activation.id, role), now
    )
    callout.state = CalloutState.filled
    callout.person_id = new_person.id
    callout.since = now
    session.add(callout)
    await tenure.role_taken(session, activation.id, role, new_person.id, now)
    if old is not None and old_id != new_person.id:
        sms_person(
            session, playbook, activation, old, "role_relieved", ref=activation.ref, role_name=name
        )
    sms_person(
        session,
        playbook,
        activation,
        new_person,
        "role_assigned",
        ref=activation.ref,
        role_name=name,
    )
    eventlog.append(
        session,
        activation,
        "role_handover",
        f"{name}: {old.name if old else 'ingen'} afløst af {new_person.name}."
        + (f" Begrundelse: {reason.rstrip('.')}." if reason else ""),
        actor=by,
        data={"role": role, "from": old_id, "to": new_person.id, "reason": reason},
        now=now,
    )
    state_changed(session, activation, "role_filled", now, role=role, person=new_person.name)
    _tell_authority_of_leader(playbook, session, activation, role, new_person)
    return callout
