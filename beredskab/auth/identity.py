"""Who a signed-in person is and what the directory lets them do.

Roles follow from where the directory lists a person: the steering group -> steering; any
crisis roster -> crisis_staff, and so does a standing log delegation in an activation whose log
is open (the crisis leader let them write in it); an authority's or a municipality's contact
person -> authority for those organisations; the explicit grants (`PersonGrant`) -> finance and
admin. A person with several gets all of them and picks one per action (`Identity.principal`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import column, table
from sqlmodel import exists, select, union
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.directory.models import (
    AuthorityContact,
    MunicipalityContact,
    Person,
    PersonGrant,
    RosterEntry,
    SteeringMember,
)
from beredskab.errors import Forbidden

# auth sits below activations and crisis_staff (the layers), so it names the few columns it
# reads of their tables instead of importing their models; tests/services/test_identity.py
# covers the query against the real tables
_DELEGATE = table(
    "log_delegate", column("activation_id"), column("person_id"), column("removed_at")
)
_ACTIVATION = table("activation", column("id"), column("status"), column("archived_at"))
_LOG_OPEN = ("requested", "active", "stood_down")  # rejected/cancelled never had a leader


def _delegate(person_id: str):  # noqa: ANN202 - an EXISTS clause
    """A standing log delegation of `person_id` in an activation whose log is still open."""
    return exists().where(
        _DELEGATE.c.person_id == person_id,
        _DELEGATE.c.removed_at.is_(None),
        _ACTIVATION.c.id == _DELEGATE.c.activation_id,
        _ACTIVATION.c.archived_at.is_(None),
        _ACTIVATION.c.status.in_(_LOG_OPEN),
    )


class RoleRefused(Forbidden, PermissionError):
    """The person has not the role they try to act in (a 403, like any Forbidden)."""


@dataclass(frozen=True)
class Identity:
    person_id: str
    name: str
    phone: str
    roles: frozenset[TokenRole]  # all roles the directory gives this person
    # orgs this person is an authority contact or a municipality contact for; their own org first
    authority_org_ids: tuple[str, ...]
    session_id: int | None = None

    def has(self, role: TokenRole) -> bool:
        return role in self.roles

    def principal(self, role: TokenRole, org_id: str | None = None) -> Principal:
        """This person acting in `role`, as the use cases take a caller.

        For `authority`, `org_id` defaults to the first of `authority_org_ids` and must be one
        of them; the other roles act for no organisation."""
        if not self.has(role):
            raise RoleRefused(f"{self.name} has no {role.value} role in the directory")
        if role is TokenRole.authority:
            org_id = org_id or self.authority_org_ids[0]
            if org_id not in self.authority_org_ids:
                raise RoleRefused(f"{self.name} is no contact person of {org_id!r}")
        else:
            org_id = None
        return Principal(
            token_id=None,
            role=role,
            org_id=org_id,
            person_id=self.person_id,
            label=self.name,
            person_name=self.name,
        )


async def identity_of(
    session: AsyncSession, person_id: str, session_id: int | None = None
) -> Identity | None:
    """The person's identity with every role the directory gives them; None if unknown or
    inactive. Three queries: the person with steering, roster and delegations, their orgs,
    their grants."""
    row = (
        await session.exec(
            select(
                Person.name,
                Person.phone,
                Person.org_id,
                exists().where(SteeringMember.person_id == person_id),
                exists().where(RosterEntry.person_id == person_id),
                _delegate(person_id),
            ).where(Person.id == person_id, Person.active.is_(True))  # type: ignore[attr-defined]
        )
    ).first()
    if row is None:
        return None
    name, phone, own_org, steering, rostered, delegate = row
    orgs = set(
        (
            await session.exec(
                union(
                    select(AuthorityContact.org_id).where(AuthorityContact.person_id == person_id),
                    select(MunicipalityContact.org_id).where(
                        MunicipalityContact.person_id == person_id
                    ),
                )
            )
        ).scalars()
    )
    grants = (
        await session.exec(select(PersonGrant.role).where(PersonGrant.person_id == person_id))
    ).all()
    roles = {TokenRole(str(g)) for g in grants}
    if steering:
        roles.add(TokenRole.steering)
    if rostered or delegate:
        roles.add(TokenRole.crisis_staff)
    if orgs:
        roles.add(TokenRole.authority)
    return Identity(
        person_id=person_id,
        name=name,
        phone=phone,
        roles=frozenset(roles),
        authority_org_ids=tuple(sorted(orgs, key=lambda org: (org != own_org, org))),
        session_id=session_id,
    )
