"""Test-data factories: one function per aggregate, sensible defaults, real database rows."""

from __future__ import annotations

import itertools
from datetime import datetime
from functools import cache

from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.config import ActivationConfig
from beredskab.activations.models import Activation, ActivationStatus, Page, PagePurpose, PageState
from beredskab.activations.pages import create_page
from beredskab.auth.models import ApiToken, TokenRole
from beredskab.auth.service import Principal, authenticate, create_token, hash_token
from beredskab.directory.models import Organisation, OrgKind, Person, RosterEntry, SteeringMember
from beredskab.invoices.sending import config_from
from beredskab.invoices.service import InvoicingConfig
from beredskab.metadata import utcnow
from beredskab.playbook import CallWhen, Playbook
from beredskab.playbook_file import load_playbook
from beredskab.roles import Role
from beredskab.settings import DEFAULT_PLAYBOOK, Settings

_seq = itertools.count(1)


async def make_org(session: AsyncSession, **kw: object) -> Organisation:
    n = next(_seq)
    values: dict = {
        "id": f"org{n}",
        "name": f"Testkommune {n}",
        "kind": OrgKind.municipality,
        "ddh_member": True,
        "contact_centre": True,
    }
    values.update(kw)
    org = Organisation(**values)
    session.add(org)
    await session.commit()
    return org


async def make_person(session: AsyncSession, org_id: str, **kw: object) -> Person:
    n = next(_seq)
    values: dict = {
        "id": f"person{n}",
        "name": f"Person {n}",
        "phone": f"+4528{n:06d}",  # never a demo directory number (50…)
        "org_id": org_id,
        "phone_verified_at": utcnow(),  # test people start verified; tests of #15.2 say otherwise
    }
    values.update(kw)
    person = Person(**values)
    session.add(person)
    await session.commit()
    return person


async def make_token(
    session: AsyncSession,
    role: TokenRole | str,
    *,
    org_id: str | None = None,
    person_id: str | None = None,
) -> str:
    """A token bound as its role must be (auth/binding.py): a crisis_staff or steering token
    without `person_id` gets a new person of its own; a token bound to no person, a label."""
    role = TokenRole(role)
    if role is TokenRole.authority and org_id is None:
        org_id = (await make_org(session)).id
    if role in (TokenRole.crisis_staff, TokenRole.steering) and person_id is None:
        person_id = (await make_person(session, (await make_org(session)).id)).id
    plaintext, _ = await create_token(
        session,
        role,
        org_id=org_id,
        person_id=person_id,
        label="" if person_id else f"{role.value} system",
    )
    await session.commit()
    return plaintext


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_principal(
    session: AsyncSession,
    role: TokenRole | str,
    *,
    org_id: str | None = None,
    person_id: str | None = None,
) -> Principal:
    """A caller as the API would see it: a real token, looked up like a request's."""
    principal = await authenticate(
        session, await make_token(session, role, org_id=org_id, person_id=person_id)
    )
    assert principal is not None
    return principal


async def make_unbound_principal(session: AsyncSession, role: TokenRole | str) -> Principal:
    """A token bound to no person in a role that now requires one: as a token made before the
    binding rule (auth/binding.py) was enforced is still stored. Written as a row, since
    `create_token` refuses it."""
    plaintext = f"ddh_unbound_{next(_seq)}"
    session.add(
        ApiToken(
            token_hash=hash_token(plaintext),
            prefix=plaintext[:10],
            role=TokenRole(role),
            label="gammel nøgle",
        )
    )
    await session.commit()
    principal = await authenticate(session, plaintext)
    assert principal is not None
    return principal


async def make_roster_entry(
    session: AsyncSession, role: Role, person_id: str, rank: int = 0
) -> RosterEntry:
    entry = RosterEntry(role=role, rank=rank, person_id=person_id)
    session.add(entry)
    await session.commit()
    return entry


async def make_steering_member(
    session: AsyncSession, person_id: str, position: int = 0
) -> SteeringMember:
    member = SteeringMember(person_id=person_id, position=position)
    session.add(member)
    await session.commit()
    return member


# --- activations ---


@cache
def demo_config(*, calls: bool = False) -> ActivationConfig:
    """The playbook the service ships with, as the composition root hands it to use cases;
    without its phone calls unless `calls` (they add a deadline to every page)."""
    loaded = load_playbook(DEFAULT_PLAYBOOK)
    playbook = loaded.playbook if calls else without_calls(loaded.playbook)
    return ActivationConfig(playbook=playbook, playbook_hash=loaded.content_hash)


def without_calls(playbook: Playbook) -> Playbook:
    """The playbook with `call_when: never` for every role and for endorsement."""
    never = {"call_when": CallWhen.never}
    return playbook.model_copy(
        update={
            "roles": {r: s.model_copy(update=never) for r, s in playbook.roles.items()},
            "endorsement": playbook.endorsement.model_copy(update=never),
        }
    )


async def make_activation(
    session: AsyncSession,
    *,
    authority_id: str | None = None,
    status: ActivationStatus = ActivationStatus.requested,
    now: datetime | None = None,
    **kw: object,
) -> Activation:
    """The activation row alone, in `status`: no pages, call-outs or log entries."""
    n = next(_seq)
    now = now or utcnow()
    if authority_id is None:
        authority_id = (await make_org(session)).id
    values: dict = {
        "id": f"activation-{n}",
        "ref": f"DDH-TEST-{n:04d}",
        "title": f"Hændelse {n}",
        "authority_id": authority_id,
        "contact_name": "Frida Bak",
        "contact_phone": "+4520123456",
        "status": status,
        "playbook_hash": demo_config().playbook_hash,
        "created_by": "test",
        "created_at": now,
    }
    if status is not ActivationStatus.requested:
        values.update(endorsed_at=now, endorsed_by="test")
    if status not in (ActivationStatus.requested, ActivationStatus.active):
        values.update(ended_at=now, ended_by="test")
    values.update(kw)
    activation = Activation(**values)
    session.add(activation)
    await session.commit()
    return activation


async def make_page(
    session: AsyncSession,
    activation: Activation,
    person: Person,
    *,
    purpose: PagePurpose = PagePurpose.role,
    role: Role | None = None,
    state: PageState = PageState.open,
    now: datetime | None = None,
    **kw: object,
) -> Page:
    """A page to `person` with a fresh reply code (no SMS, no deadline)."""
    page = await create_page(session, activation, purpose, person, now or utcnow(), role=role, **kw)
    page.state = state
    session.add(page)
    await session.commit()
    return page


# --- shifts ---
# (imports here, so that sections other helpers append do not touch the same lines)

from datetime import timedelta  # noqa: E402

from beredskab.activations.models import (  # noqa: E402
    ActivationStatus,
    PagePurpose,
)
from beredskab.directory.models import MunicipalityContact  # noqa: E402
from beredskab.shifts.models import Shift, ShiftState, VolunteerAllocation  # noqa: E402


async def make_active_activation(session: AsyncSession, **kw: object) -> Activation:
    """An endorsed activation of Odder Kommune (seed_directory's authority), as shift use cases
    need it; no role call-out, so the staffing lead is the roster's primary."""
    kw.setdefault("title", "Vandforsyning svigter")
    kw.setdefault("status", ActivationStatus.active)
    return await make_activation(session, authority_id="odder", **kw)


async def make_municipality(
    session: AsyncSession, index: int, *, secondary: bool = True
) -> Organisation:
    """Contact-centre municipality m<index> ("Kommune <index>") with a primary contact m<index>p
    and, optionally, a secondary m<index>s (the ids tests.scenario.seed_municipalities uses)."""
    org = await make_org(session, id=f"m{index}", name=f"Kommune {index}")
    for rank, suffix in enumerate(["p", "s"][: 2 if secondary else 1]):
        person = await make_person(
            session,
            org.id,
            id=f"m{index}{suffix}",
            name=f"Kontakt m{index}{suffix}",
            phone=f"+455{rank + 3}{index:06d}",
        )
        session.add(MunicipalityContact(org_id=org.id, rank=rank, person_id=person.id))
    await session.commit()
    return org


async def make_shift(
    session: AsyncSession, activation: Activation, start: datetime, **kw: object
) -> Shift:
    """A recruiting 4-hour shift for 3 agents, wholly in opening hours unless told otherwise."""
    values: dict = {
        "activation_id": activation.id,
        "start": start,
        "end": start + timedelta(hours=4),
        "agents_needed": 3,
        "state": ShiftState.recruiting,
        "in_hours_minutes": 240,
        "requested_by": "test",
        "callout_round": 1,
    }
    values.update(kw)
    shift = Shift(**values)
    session.add(shift)
    await session.commit()
    return shift


async def make_shift_page(
    session: AsyncSession,
    activation: Activation,
    shift: Shift,
    person: Person,
    *,
    purpose: PagePurpose = PagePurpose.volunteer,
    **kw: object,
) -> Page:
    """An open page for a shift: a municipality contact's (volunteer) or a steering member's."""
    n = next(_seq)
    values: dict = {
        "activation_id": activation.id,
        "purpose": purpose,
        "person_id": person.id,
        "phone": person.phone,
        "code": f"{n % 10000:04d}",
        "shift_id": shift.id,
        "org_id": person.org_id if purpose == PagePurpose.volunteer else None,
    }
    values.update(kw)
    page = Page(**values)
    session.add(page)
    await session.commit()
    return page


async def make_allocation(
    session: AsyncSession, shift: Shift, org_id: str, agents: int, **kw: object
) -> VolunteerAllocation:
    values: dict = {"shift_id": shift.id, "org_id": org_id, "agents": agents}
    values.update(kw)
    allocation = VolunteerAllocation(**values)
    session.add(allocation)
    await session.commit()
    return allocation


# DDH as the seller on e-invoices, shared by the invoice tests and bench/invoices.py
DDH_CVR = "29900000"
INVOICE_SETTINGS: dict = {  # the `INVOICE_*` settings, as finance would set them
    "invoice_street": "Rådhuspladsen 2",
    "invoice_city": "Aarhus C",
    "invoice_postal_zone": "8000",
    "invoice_bank_reg": "1234",
    "invoice_bank_account": "1234567890",
    "invoice_payment_days": 30,
    "invoice_vat_category": "E",
    "invoice_vat_exemption_reason": "Momsfritaget samarbejde mellem offentlige myndigheder",
}


def invoicing_config(**kw: object) -> InvoicingConfig:
    """The invoicing settings (`INVOICE_SETTINGS`, then `kw`) as the service reads them."""
    return config_from(Settings(_env_file=None, **{**INVOICE_SETTINGS, **kw}))  # type: ignore[call-arg]
