"""Directory admin: people, roster, steering group and contacts without editing YAML.

Every route names its roles with `require_roles`; readiness is also open to steering and staff.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from api.deps import SessionDep, require_roles
from api.openapi import problems
from beredskab.auth.models import TokenRole as R
from beredskab.auth.service import Principal
from beredskab.auth.signin import end_sessions_of
from beredskab.directory import service
from beredskab.directory.readiness import readiness
from beredskab.directory.schemas import OrganisationRead, PersonCreate, PersonRead, PersonUpdate
from beredskab.metadata import utcnow
from beredskab.roles import Role

router = APIRouter(prefix="/directory", tags=["directory"])

Admin = Annotated[Principal, Depends(require_roles(R.admin))]
ReadinessReader = Annotated[Principal, Depends(require_roles(R.admin, R.steering, R.crisis_staff))]


class PersonIds(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_ids: list[str] = Field(
        description="in order, the primary first: known, active people, each once (a "
        "municipality's contacts: 1 or 2)",
        examples=[["p003", "p004", "p005"]],
        json_schema_extra={"uniqueItems": True},
    )


class GapOut(BaseModel):
    kind: str = Field(examples=["too_few_deputies"])
    subject: str = Field(examples=["log_keeper"])
    detail: str = Field(examples=["log_keeper has 1 deputies, needs 2"])


class SessionsEnded(BaseModel):
    ended: int = Field(description="web console sessions that were live", examples=[2])


class ReadinessOut(BaseModel):
    ready: bool
    gaps: list[GapOut]


@router.get("/readiness", summary="Gaps that would hurt on the night (admin, steering, staff)")
async def get_readiness(_: ReadinessReader, session: SessionDep) -> ReadinessOut:
    result = await readiness(session)
    return ReadinessOut(ready=result.ready, gaps=[GapOut(**vars(g)) for g in result.gaps])


@router.get("/organisations", summary="Organisations")
async def list_organisations(_: Admin, session: SessionDep) -> list[OrganisationRead]:
    orgs = await service.list_organisations(session)
    return [OrganisationRead.model_validate(o) for o in orgs]


@router.get("/people", summary="People (filter with ?active=true|false)")
async def list_people(
    _: Admin, session: SessionDep, active: bool | None = None
) -> list[PersonRead]:
    people = await service.list_people(session, active=active)
    return [PersonRead.model_validate(p) for p in people]


@router.get("/people/{person_id}", summary="One person", responses=problems(404))
async def get_person(person_id: str, _: Admin, session: SessionDep) -> PersonRead:
    return PersonRead.model_validate(await service.get_person(session, person_id))


@router.post(
    "/people",
    status_code=201,
    summary="Add a person (phone stored as E.164)",
    responses=problems(409),
)
async def create_person(body: PersonCreate, _: Admin, session: SessionDep) -> PersonRead:
    person = await service.create_person(session, body)
    return PersonRead.model_validate(person)


@router.patch(
    "/people/{person_id}",
    summary="Change a person (active=false takes them off duty)",
    responses=problems(404),
)
async def update_person(
    person_id: str, body: PersonUpdate, _: Admin, session: SessionDep
) -> PersonRead:
    person = await service.update_person(session, person_id, body)
    return PersonRead.model_validate(person)


@router.post(
    "/people/{person_id}/sessions/end",
    summary="Sign a person out of the web console everywhere (deactivating them does it too)",
    responses=problems(404),
)
async def end_sessions(person_id: str, _: Admin, session: SessionDep) -> SessionsEnded:
    return SessionsEnded(ended=await end_sessions_of(session, person_id, now=utcnow()))


@router.get("/roster/{role}", summary="A role's ranked roster (the primary first)")
async def get_roster(role: Role, _: Admin, session: SessionDep) -> PersonIds:
    return PersonIds(person_ids=await service.get_roster(session, role))


@router.put("/roster/{role}", summary="Replace a role's roster, primary first")
async def put_roster(role: Role, body: PersonIds, _: Admin, session: SessionDep) -> PersonIds:
    ids = await service.set_roster(session, role, body.person_ids)
    return PersonIds(person_ids=ids)


@router.get("/steering-group", summary="The steering group")
async def get_steering_group(_: Admin, session: SessionDep) -> PersonIds:
    return PersonIds(person_ids=await service.get_steering_group(session))


@router.put("/steering-group", summary="Replace the steering group")
async def put_steering_group(body: PersonIds, _: Admin, session: SessionDep) -> PersonIds:
    ids = await service.set_steering_group(session, body.person_ids)
    return PersonIds(person_ids=ids)


@router.get(
    "/municipality-contacts/{org_id}",
    summary="A municipality's primary and secondary contact",
    responses=problems(404),
)
async def get_municipality_contacts(org_id: str, _: Admin, session: SessionDep) -> PersonIds:
    return PersonIds(person_ids=await service.get_municipality_contacts(session, org_id))


@router.put(
    "/municipality-contacts/{org_id}",
    summary="Replace a municipality's contacts",
    responses=problems(404),
)
async def put_municipality_contacts(
    org_id: str, body: PersonIds, _: Admin, session: SessionDep
) -> PersonIds:
    ids = await service.set_municipality_contacts(session, org_id, body.person_ids)
    return PersonIds(person_ids=ids)


@router.get(
    "/authority-contacts/{org_id}",
    summary="An authority's contact persons",
    responses=problems(404),
)
async def get_authority_contacts(org_id: str, _: Admin, session: SessionDep) -> PersonIds:
    return PersonIds(person_ids=await service.get_authority_contacts(session, org_id))


@router.put(
    "/authority-contacts/{org_id}",
    summary="Replace an authority's contact persons",
    responses=problems(404),
)
async def put_authority_contacts(
    org_id: str, body: PersonIds, _: Admin, session: SessionDep
) -> PersonIds:
    ids = await service.set_authority_contacts(session, org_id, body.person_ids)
    return PersonIds(person_ids=ids)
