"""A crisis-staff world for tests: a small directory, tokens, the app with a fake SMS gateway,
and virtual phones that read their SMS and reply through the signed Twilio webhook."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from asgi_lifespan import LifespanManager
from twilio.request_validator import RequestValidator

from api.app import create_app
from beredskab.auth.models import TokenRole
from beredskab.directory.models import Organisation, OrgKind, Person, RosterEntry, SteeringMember
from beredskab.metadata import utcnow
from beredskab.roles import Role
from notifications.fake_gateway import FakeGateway
from tests.factories import bearer, make_token

AUTH_TOKEN = "test-auth-token"
OUR_NUMBER = "+4570000000"
_sid = itertools.count(1)

ROSTER = {
    Role.crisis_leader: ["leader0", "leader1"],
    Role.log_keeper: ["log0", "log1", "log2"],
    Role.process_lead: ["proc0", "proc1", "proc2"],
    Role.staffing_lead: ["staff0", "staff1", "staff2"],
}
STEERING = ["steer0", "steer1", "steer2"]


async def seed_directory(session) -> dict[str, Person]:
    """Two organisations, the four rosters and a steering group; returns people by id."""
    session.add(
        Organisation(
            id="ddh", name="Den Digitale Hotline", kind=OrgKind.cooperation, ddh_member=True
        )
    )
    session.add(
        Organisation(
            id="odder",
            name="Odder Kommune",
            kind=OrgKind.municipality,
            ddh_member=True,
            contact_centre=True,
        )
    )
    session.add(Organisation(id="region-x", name="Region X", kind=OrgKind.region))
    await session.flush()
    people: dict[str, Person] = {}
    ids = [pid for ranks in ROSTER.values() for pid in ranks] + STEERING + ["outsider"]
    for n, pid in enumerate(ids):
        person = Person(
            id=pid,
            name=f"Navn {pid}",
            phone=f"+45502{n:05d}",
            org_id="ddh",
            phone_verified_at=utcnow(),
        )
        session.add(person)
        people[pid] = person
    await session.flush()
    for role, ranks in ROSTER.items():
        for rank, pid in enumerate(ranks):
            session.add(RosterEntry(role=role, rank=rank, person_id=pid))
    for pos, pid in enumerate(STEERING):
        session.add(SteeringMember(person_id=pid, position=pos))
    await session.commit()
    return people


@dataclass
class World:
    app: object
    client: httpx.AsyncClient
    gateway: FakeGateway | None
    people: dict[str, Person]
    tokens: dict[str, str] = field(default_factory=dict)
    seen: int = 0

    @property
    def runtime(self):  # noqa: ANN201
        return self.app.state.runtime

    async def drain(self) -> list:
        """Send everything queued; return the SMS sent since the last call."""
        await self.runtime.dispatcher.drain()
        new = self.gateway.sent[self.seen :]
        self.seen = len(self.gateway.sent)
        return new

    async def later(self, minutes: float) -> list:
        """Let `minutes` pass for the deadlines, then drain."""
        await self.runtime.tick(now=utcnow() + timedelta(minutes=minutes))
        await self.runtime.in_line_settled()
        return await self.drain()

    def inbox(self, pid: str) -> list[str]:
        phone = self.people[pid].phone
        return [m.body for m in self.gateway.sent if m.to == phone]

    def last_code(self, pid: str) -> str:
        import re

        for body in reversed(self.inbox(pid)):
            match = re.search(r"\b(?:OK|NEJ) (\d{4})\b", body)
            if match:
                return match.group(1)
        raise AssertionError(f"{pid} has no page with a code: {self.inbox(pid)}")

    async def sms(
        self,
        from_number: str,
        body: str,
        *,
        sid: str | None = None,
        signature: str | None = None,
        settle: bool = True,
    ) -> httpx.Response:
        params = {
            "MessageSid": sid or f"SM{next(_sid):032d}",
            "From": from_number,
            "To": OUR_NUMBER,
            "Body": body,
            "AccountSid": "AC" + "0" * 32,
        }
        url = "http://testserver/webhooks/twilio/sms"
        sig = (
            signature
            if signature is not None
            else RequestValidator(AUTH_TOKEN).compute_signature(url, params)
        )
        response = await self.client.post(
            "/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": sig}
        )
        # a reply kept in line (PostgreSQL) is processed by the app's
        # drain right after; the scenarios look at what the reply did, so they wait for it
        if settle:
            await self.runtime.in_line_settled()
        return response

    async def reply(self, pid: str, body: str) -> httpx.Response:
        response = await self.sms(self.people[pid].phone, body)
        assert response.status_code == 200, response.text
        return response

    async def activate(self, role: str = "steering", **overrides) -> dict:
        payload = {
            "title": "Vandforsyning svigter",
            "contact_name": "Frida Bak",
            "contact_phone": "20123456",
            "authority_id": "odder",
        }
        payload.update(overrides)
        if role == "authority":
            payload.pop("authority_id", None)
        r = await self.client.post("/activations", json=payload, headers=bearer(self.tokens[role]))
        assert r.status_code == 201, r.text
        return r.json()

    async def take_role(self, activation_id: str, pid: str, role: Role) -> None:
        """`pid` acknowledges their page for `role` through the API with their own token."""
        r = await self.client.post(
            f"/activations/{activation_id}/roles/{role.value}/ack",
            headers=bearer(self.tokens[pid]),
        )
        assert r.status_code == 200 and r.json()["outcome"] == "role_filled", r.text

    async def staffed_activation(self) -> dict:
        """A steering member's activation (active at once) whose crisis leader is leader0 and
        log keeper log0: the two may write in its log."""
        act = await self.activate("steering")
        await self.take_role(act["id"], "leader0", Role.crisis_leader)
        await self.take_role(act["id"], "log0", Role.log_keeper)
        return act

    async def add_delegate(self, activation_id: str, pid: str, by: str = "leader0") -> None:
        """The crisis leader `by` lets `pid` write in the log."""
        r = await self.client.post(
            f"/activations/{activation_id}/delegates",
            json={"person_id": pid},
            headers=bearer(self.tokens[by]),
        )
        assert r.status_code == 201, r.text

    async def board(self, activation_id: str) -> dict:
        r = await self.client.get(
            f"/activations/{activation_id}", headers=bearer(self.tokens["admin"])
        )
        assert r.status_code == 200, r.text
        return r.json()


async def open_world(db, settings_overrides: dict | None = None, *, fake_sms: bool = True):
    """An async context manager yielding a World on the given test database. With
    fake_sms=False the app builds the gateway its settings name (e.g. Twilio against the mock)
    and `World.gateway` is None."""
    from contextlib import asynccontextmanager

    from tests.conftest import make_settings

    @asynccontextmanager
    async def _cm():
        async with db.sessionmaker() as session:
            people = await seed_directory(session)
            tokens = {
                "steering": await make_token(session, TokenRole.steering, person_id="steer0"),
                "authority": await make_token(session, TokenRole.authority, org_id="odder"),
                "other_authority": await make_token(
                    session, TokenRole.authority, org_id="region-x"
                ),
                "admin": await make_token(session, TokenRole.admin),
                "finance": await make_token(session, TokenRole.finance),
                "leader0": await make_token(session, TokenRole.crisis_staff, person_id="leader0"),
                "log0": await make_token(session, TokenRole.crisis_staff, person_id="log0"),
                "log1": await make_token(session, TokenRole.crisis_staff, person_id="log1"),
            }
        values = {"twilio_auth_token": AUTH_TOKEN, "twilio_from": OUR_NUMBER}
        values.update(settings_overrides or {})
        gateway = FakeGateway() if fake_sms else None
        app = create_app(make_settings(db, **values), gateway=gateway)
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                yield World(app=app, client=c, gateway=gateway, people=people, tokens=tokens)

    return _cm()


async def seed_municipalities(world: World, count: int, *, secondary: bool = True) -> list[str]:
    """`count` contact-centre municipalities m0, m1, … with a primary contact (m0p, …) and,
    optionally, a secondary one (m0s, …); the people join `world.people`. Returns the org ids."""
    from beredskab.directory.models import MunicipalityContact

    orgs = [f"m{i}" for i in range(count)]
    async with world.runtime.sessionmaker() as session:
        for i, org in enumerate(orgs):
            session.add(
                Organisation(
                    id=org,
                    name=f"Kommune {i}",
                    kind=OrgKind.municipality,
                    ddh_member=True,
                    contact_centre=True,
                )
            )
        await session.flush()
        for i, org in enumerate(orgs):
            for rank, suffix in enumerate(["p", "s"][: 2 if secondary else 1]):
                person = Person(
                    id=f"{org}{suffix}",
                    name=f"Kontakt {org}{suffix}",
                    phone=f"+455{rank + 3}{i:06d}",
                    org_id=org,
                    phone_verified_at=utcnow(),
                )
                session.add(person)
                world.people[person.id] = person
        await session.flush()
        for org in orgs:
            session.add(MunicipalityContact(org_id=org, rank=0, person_id=f"{org}p"))
            if secondary:
                session.add(MunicipalityContact(org_id=org, rank=1, person_id=f"{org}s"))
        await session.commit()
    return orgs
