"""The crisis leader's log delegates: who may write in an activation's log without a role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from api.deps import SessionDep, require_roles
from api.openapi import problems
from beredskab.auth.models import TokenRole as R
from beredskab.auth.service import Principal
from beredskab.crisis_staff import delegates
from beredskab.crisis_staff.delegates import DelegateRead
from beredskab.metadata import utcnow

router = APIRouter(prefix="/activations/{activation_id}/delegates", tags=["log"])

Reader = Annotated[
    Principal,
    Depends(require_roles(R.authority, R.steering, R.crisis_staff, R.finance, R.admin)),
]
Leader = Annotated[Principal, Depends(require_roles(R.crisis_staff))]
PersonId = Annotated[str, Path(min_length=1, max_length=64)]


class DelegateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: str = Field(
        min_length=1,
        max_length=64,
        description="who may write in the log from now on: a person active in the directory",
        examples=["p021"],
    )


@router.get(
    "",
    summary="The crisis leader's delegates: who may write in the log besides the role holders",
    responses=problems(404),
)
async def list_delegates(
    activation_id: str, principal: Reader, session: SessionDep
) -> list[DelegateRead]:
    return await delegates.visible_delegates(session, activation_id, principal)


@router.post(
    "",
    status_code=201,
    summary="Let a person write in the log (the crisis leader); logged",
    responses=problems(403, 404, 409),
)
async def add_delegate(
    activation_id: str, body: DelegateIn, principal: Leader, session: SessionDep
) -> DelegateRead:
    return await delegates.add_delegate(
        session, activation_id, principal, person_id=body.person_id, now=utcnow()
    )


@router.delete(
    "/{person_id}",
    summary="Stop a delegate writing in the log (the crisis leader); logged",
    responses=problems(403, 404, 409),
)
async def remove_delegate(
    activation_id: str, person_id: PersonId, principal: Leader, session: SessionDep
) -> DelegateRead:
    return await delegates.remove_delegate(
        session, activation_id, principal, person_id=person_id, now=utcnow()
    )
