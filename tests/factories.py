"""Test-data factories: one function per aggregate, sensible defaults, real database rows."""

from __future__ import annotations

import itertools

from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.auth.models import TokenRole
from beredskab.auth.service import create_token
from beredskab.directory.models import Organisation, OrgKind, Person

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
        "phone": f"+45501{n:05d}",
        "org_id": org_id,
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
    role = TokenRole(role)
    if role is TokenRole.authority and org_id is None:
        org_id = (await make_org(session)).id
    plaintext, _ = await create_token(session, role, org_id=org_id, person_id=person_id)
    await session.commit()
    return plaintext


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
