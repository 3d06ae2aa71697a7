"""The activation's debrief (JSON or PDF) and the crisis leader's evaluation."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.deps import RuntimeDep, SessionDep, attachment, require_roles
from api.openapi import problems
from beredskab.auth.models import TokenRole as R
from beredskab.auth.service import Principal
from beredskab.debrief import evaluation, files, report
from beredskab.debrief.schemas import Debrief, EvaluationIn, EvaluationOut
from beredskab.metadata import utcnow
from notifications.segments import segment_count

router = APIRouter(prefix="/activations/{activation_id}", tags=["debrief"])

# the authority too: it asked for the activation and pays for it (its own activations only)
Reader = Annotated[
    Principal,
    Depends(require_roles(R.steering, R.crisis_staff, R.admin, R.finance, R.authority)),
]
Leader = Annotated[Principal, Depends(require_roles(R.crisis_staff))]


@router.get(
    "/debrief",
    summary="The debrief: milestones, reach, shifts, costs, evaluation; ?format=pdf for the "
    "steering group's report",
    description="JSON by default. `pdf`: Danish, a one-page summary, then the detail, then the "
    "whole log as an appendix. An authority sees its own activations only.",
    responses={
        **problems(404),
        200: {
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Debrief"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            }
        },
    },
    response_model=Debrief,
)
async def get_debrief(
    activation_id: str,
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    request: Request,
    format: Literal["json", "pdf"] = "json",  # noqa: A002 - the documented name
) -> Response:
    cfg = runtime.activation_config
    found = await report.visible_debrief(
        session, cfg, activation_id, principal, segment_count=segment_count, now=utcnow()
    )
    if format == "json":
        return Response(found.model_dump_json(), media_type="application/json")
    file = await files.debrief_pdf(session, found, cfg.timezone)
    return attachment(file.body, file.media_type, file.filename)


@router.get(
    "/evaluation",
    summary="The crisis leader's evaluation (404 until written)",
    responses=problems(404),
)
async def get_evaluation(
    activation_id: str, principal: Reader, session: SessionDep
) -> EvaluationOut:
    return await evaluation.get_evaluation(session, activation_id, principal)


@router.put(
    "/evaluation",
    summary="Write the evaluation (the activation's crisis leader, after stand-down and before "
    "the log is archived); each change is logged",
    responses=problems(403, 404, 409),
)
async def put_evaluation(
    activation_id: str, body: EvaluationIn, principal: Leader, session: SessionDep
) -> EvaluationOut:
    return await evaluation.put_evaluation(session, activation_id, body, principal, now=utcnow())
