"""The service tier's world: a crisis-staff directory made by the factories, callers as the API
would authenticate them, the demo playbook, and a fixed clock. No HTTP: use cases are called
directly and the tests read the rows they wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.config import ActivationConfig
from beredskab.activations.models import Activation
from beredskab.activations.schemas import ActivationCreate
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.directory.models import Organisation, OrgKind, Person
from beredskab.lifecycle.request import request_activation
from beredskab.roles import Role
from tests.factories import (
    demo_config,
    make_org,
    make_person,
    make_principal,
    make_roster_entry,
    make_steering_member,
)

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # a Tuesday morning, inside opening hours

ROSTER = {
    Role.crisis_leader: ["leader0", "leader1"],
    Role.log_keeper: ["log0", "log1", "log2"],
    Role.process_lead: ["proc0", "proc1", "proc2"],
    Role.staffing_lead: ["staff0", "staff1", "staff2"],
}
PRIMARIES = [ranks[0] for ranks in ROSTER.values()]
STEERING = ["steer0", "steer1", "steer2"]


@dataclass
class Staff:
    """The people by id and the callers a test needs most; more with `principal`."""

    session: AsyncSession
    cfg: ActivationConfig
    authority: Organisation
    people: dict[str, Person]
    steering: Principal  # steer0
    requester: Principal  # the authority's own token
    principals: dict[str, Principal] = field(default_factory=dict)

    def phone(self, pid: str) -> str:
        return self.people[pid].phone

    async def crisis_staff(self, pid: str) -> Principal:
        if pid not in self.principals:
            self.principals[pid] = await make_principal(
                self.session, TokenRole.crisis_staff, person_id=pid
            )
        return self.principals[pid]

    async def request(
        self, by: Principal | None = None, *, now: datetime = NOW, **fields: object
    ) -> Activation:
        """An activation requested through the use case (by the authority unless `by`)."""
        by = by or self.requester
        values: dict = {
            "title": "Vandforsyning svigter",
            "contact_name": "Frida Bak",
            "contact_phone": "20123456",
        }
        if by.role is not TokenRole.authority:
            values["authority_id"] = self.authority.id
        values.update(fields)
        activation, created = await request_activation(
            self.session, self.cfg, by, ActivationCreate(**values), idempotency_key=None, now=now
        )
        assert created
        return activation

    async def active(self, *, now: datetime = NOW, **fields: object) -> Activation:
        """Requested by a steering member, so endorsed at once: the four primaries are paged."""
        return await self.request(self.steering, now=now, **fields)


@pytest.fixture
async def staff(session: AsyncSession) -> Staff:
    ddh = await make_org(session, id="ddh", name="Den Digitale Hotline", kind=OrgKind.cooperation)
    authority = await make_org(session, id="odder", name="Odder Kommune")
    people: dict[str, Person] = {}
    for pid in [p for ranks in ROSTER.values() for p in ranks] + STEERING + ["outsider"]:
        people[pid] = await make_person(session, ddh.id, id=pid, name=f"Navn {pid}")
    for role, ranks in ROSTER.items():
        for rank, pid in enumerate(ranks):
            await make_roster_entry(session, role, pid, rank)
    for position, pid in enumerate(STEERING):
        await make_steering_member(session, pid, position)
    return Staff(
        session=session,
        cfg=demo_config(),
        authority=authority,
        people=people,
        steering=await make_principal(session, TokenRole.steering, person_id="steer0"),
        requester=await make_principal(session, TokenRole.authority, org_id=authority.id),
    )
