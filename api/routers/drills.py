"""Call-out drills (kaldeøvelser): start one over a group, list them, read a drill's result."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from api.deps import RowId, RuntimeDep, SessionDep, attachment, require_roles
from api.openapi import problems
from beredskab.auth.models import TokenRole as R
from beredskab.auth.service import Principal
from beredskab.drills import export, result, service
from beredskab.drills.schemas import DrillList, DrillRequest, DrillResult, DrillSummary
from beredskab.metadata import utcnow

router = APIRouter(prefix="/drills", tags=["drills"])

# The steering group owns readiness; the administrator runs the service.
Steering = Annotated[Principal, Depends(require_roles(R.steering, R.admin))]
CSV_CONTENT = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}


@router.post(
    "",
    status_code=201,
    summary="Start a call-out drill: page everyone in the group with an ØVELSE text and a code",
    description="Fills no role and bills nothing. `call_after_minutes`: those who have not "
    "answered by then are called. 409 while another drill is open or a real (non-exercise) "
    "activation is requested or active.",
    responses=problems(409, 422),
)
async def create_drill(
    body: DrillRequest, principal: Steering, session: SessionDep, runtime: RuntimeDep
) -> DrillSummary:
    return await service.create(
        session,
        runtime.activation_config.playbook,
        body.group,
        call_after_minutes=body.call_after_minutes,
        by=principal.display_name,
        now=utcnow(),
    )


@router.get("", summary="The drills, newest first")
async def list_drills(_: Steering, session: SessionDep) -> DrillList:
    return DrillList(drills=await service.summaries(session))


@router.get(
    "/{drill_id}.csv",
    summary="A drill's result as Danish CSV",
    response_class=Response,
    responses={**problems(404, 422), **CSV_CONTENT},
)
async def drill_csv(
    drill_id: RowId, _: Steering, session: SessionDep, runtime: RuntimeDep
) -> Response:
    found = await result.result(session, drill_id)
    body = export.to_csv(found, runtime.activation_config.timezone)
    return attachment(body, export.CSV, export.filename(found))


@router.get(
    "/{drill_id}",
    summary="A drill's result: per person, per group reached within 5, 15, 30 minutes, "
    "and those who did not answer",
    description="`format=csv` for Danish Excel (also `GET /drills/{id}.csv`).",
    response_model=DrillResult,
    responses={**problems(404, 422), **CSV_CONTENT},
)
async def get_drill(
    drill_id: RowId,
    _: Steering,
    session: SessionDep,
    runtime: RuntimeDep,
    format: Literal["json", "csv"] = "json",  # noqa: A002 - the documented name
) -> Response:
    found = await result.result(session, drill_id)
    if format == "csv":
        body = export.to_csv(found, runtime.activation_config.timezone)
        return attachment(body, export.CSV, export.filename(found))
    return Response(found.model_dump_json(), media_type="application/json")
