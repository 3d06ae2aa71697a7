"""Directory admin: people, roster, steering group and contacts without editing YAML."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import select

from api.deps import AdminDep, SessionDep, require_roles
from beredskab.auth.models import TokenRole as R
from beredskab.auth.service import Principal
from beredskab.directory import service
from beredskab.directory.models import (
    MunicipalityContact,
    Organisation,
    Person,
    Role,
    RosterEntry,
    SteeringMember,
)
from beredskab.errors import Conflict, InvalidInput, NotFound
from beredskab.phones import normalise_phone

router = APIRouter(prefix="/directory", tags=["directory"])
ReadinessReader = Annotated[Principal, Depends(require_roles(R.admin, R.steering, R.crisis_staff))]


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=200)
    phone: str
    org_id: str
    title: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    active: bool = True

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalise_phone(value)


class PersonPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = None
    org_id: str | None = None
    title: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    active: bool | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalise_phone(value) if value is not None else None


class PersonIds(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_ids: list[str] = Field(description="in order: primary first")


class GapOut(BaseModel):
    kind: str
    subject: str
    detail: str


class ReadinessOut(BaseModel):
    ready: bool
    gaps: list[GapOut]


@router.get("/readiness", summary="Gaps that would hurt on the night (admin, steering, staff)")
async def get_readiness(_: ReadinessReader, session: SessionDep) -> ReadinessOut:
    result = await service.readiness(session)
    return ReadinessOut(ready=result.ready, gaps=[GapOut(**g.__dict__) for g in result.gaps])


@router.get("/organisations", summary="Organisations")
async def list_organisations(_: AdminDep, session: SessionDep) -> list[Organisation]:
    return list((await session.exec(select(Organisation).order_by(Organisation.id))).all())


@router.get("/people", summary="People")
async def list_people(_: AdminDep, session: SessionDep) -> list[Person]:
    return list((await session.exec(select(Person).order_by(Person.id))).all())


async def _check_person(
    session: SessionDep, org_id: str | None, phone: str | None, person_id: str | None
) -> None:
    if org_id is not None and await session.get(Organisation, org_id) is None:
        raise InvalidInput("org_id", f"unknown organisation {org_id!r}")
    if phone is not None:
        holder = (await session.exec(select(Person).where(Person.phone == phone))).first()
        if holder is not None and holder.id != person_id:
            raise InvalidInput("phone", f"{phone} is already the phone of {holder.id!r}")


@router.post("/people", status_code=201, summary="Add a person")
async def create_person(body: PersonIn, _: AdminDep, session: SessionDep) -> Person:
    if await session.get(Person, body.id) is not None:
        raise Conflict(f"person {body.id!r} exists")
    await _check_person(session, body.org_id, body.phone, None)
    person = Person(**body.model_dump())
    session.add(person)
    await session.commit()
    return person


@router.patch("/people/{person_id}", summary="Change a person (active=false takes them off duty)")
async def update_person(
    person_id: str, body: PersonPatch, _: AdminDep, session: SessionDep
) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id!r}")
    changes = body.model_dump(exclude_unset=True)
    await _check_person(session, changes.get("org_id"), changes.get("phone"), person_id)
    for key, value in changes.items():
        setattr(person, key, value)
    session.add(person)
    await session.commit()
    return person


@router.get("/roster/{role}", summary="A role's ranked roster (rank 0 is the primary)")
async def get_roster(role: Role, _: AdminDep, session: SessionDep) -> PersonIds:
    rows = await session.exec(
        select(RosterEntry).where(RosterEntry.role == role).order_by(RosterEntry.rank)
    )
    return PersonIds(person_ids=[r.person_id for r in rows.all()])


@router.put("/roster/{role}", summary="Replace a role's roster, primary first")
async def put_roster(role: Role, body: PersonIds, _: AdminDep, session: SessionDep) -> PersonIds:
    await service.set_roster(session, role, body.person_ids)
    await session.commit()
    return body


@router.get("/steering-group", summary="The steering group")
async def get_steering(_: AdminDep, session: SessionDep) -> PersonIds:
    rows = await session.exec(select(SteeringMember).order_by(SteeringMember.position))
    return PersonIds(person_ids=[r.person_id for r in rows.all()])


@router.put("/steering-group", summary="Replace the steering group")
async def put_steering(body: PersonIds, _: AdminDep, session: SessionDep) -> PersonIds:
    await service.set_steering(session, body.person_ids)
    await session.commit()
    return body


@router.get("/municipality-contacts/{org_id}", summary="A municipality's primary and secondary")
async def get_contacts(org_id: str, _: AdminDep, session: SessionDep) -> PersonIds:
    rows = await session.exec(
        select(MunicipalityContact)
        .where(MunicipalityContact.org_id == org_id)
        .order_by(MunicipalityContact.rank)
    )
    return PersonIds(person_ids=[r.person_id for r in rows.all()])


@router.put("/municipality-contacts/{org_id}", summary="Replace a municipality's contacts")
async def put_contacts(org_id: str, body: PersonIds, _: AdminDep, session: SessionDep) -> PersonIds:
    await service.set_municipality_contacts(session, org_id, body.person_ids)
    await session.commit()
    return body
