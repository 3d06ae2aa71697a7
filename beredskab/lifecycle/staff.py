"""The crisis staff through the API: the leader hands a role over to a named person; a paged
person answers their role page (the same effect as the SMS reply). One transaction each."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.config import ActivationConfig
from beredskab.activations.models import (
    ActivationStatus,
    Page,
    RoleCallout,
)
from beredskab.activations.pages import ReplyOutcome
from beredskab.activations.repository import lock_activation, require_crisis_leader
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.crisis_staff import action_cards as action_cards
from beredskab.crisis_staff import answers
from beredskab.directory.models import Person
from beredskab.errors import Conflict, Forbidden, InvalidInput
from beredskab.roles import Role
from beredskab.unit_of_work import transaction


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
    async with transaction(session):
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
        callout = await answers.handover(
            session,
            cfg.playbook,
            activation,
            role,
            person,
            by=principal.display_name,
            reason=reason,
            now=now,
        )
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
    async with transaction(session):
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
        fn = answers.acknowledge if accept else answers.decline
        outcome = await fn(session, cfg.playbook, activation, page, now, via="API")
    return outcome
