"""The trend across activations: per period, exercises apart from real activations."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from api.deps import FirstDay, LastDay, Rules, RuntimeDep, SessionDep, attachment, require_roles
from api.openapi import problems
from beredskab.auth.models import TokenRole as R
from beredskab.auth.service import Principal
from beredskab.metadata import utcnow
from beredskab.stats import export, trend
from beredskab.stats.schemas import Grouping, Stats

router = APIRouter(tags=["stats"])

# Not the authority (the figures span every authority and their costs), nor crisis staff as
# such: the steering group reports them, finance pays, the administrator runs the service.
Reader = Annotated[Principal, Depends(require_roles(R.steering, R.admin, R.finance))]


@router.get(
    "/stats",
    summary="The trend across activations: how fast endorsed and staffed, by whom, the shifts "
    "and the cost per activation, against the playbook's targets",
    description="Activations requested on local dates from..to (both included), exercises apart "
    "from real activations, optionally cut into months or quarters (`by`). Times in minutes: "
    "median and nearest-rank 90th percentile; a time target is met when the 90th percentile is "
    "within it. Costs: every endorsed activation's statement, final or draft (said which). "
    "`to` must not be before `from`; at most 400 days. `format=csv` for Danish Excel.",
    response_model=Stats,
    responses={
        **problems(422),
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
    },
)
async def get_stats(
    _: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    rules: Rules,
    first: FirstDay,
    last: LastDay,
    by: Grouping = "none",
    format: Literal["json", "csv"] = "json",  # noqa: A002 - the documented name
) -> Response:
    found = await trend.stats(
        session, runtime.activation_config.playbook, rules, first, last, by=by, now=utcnow()
    )
    if format == "csv":
        return attachment(export.to_csv(found), export.CSV, export.filename(found))
    return Response(found.model_dump_json(by_alias=True), media_type="application/json")
