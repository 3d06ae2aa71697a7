"""Action cards: each role's checklist for one activation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import RowId, RuntimeDep, SessionDep, require_roles
from api.openapi import problems
from beredskab.activations import repository as activations
from beredskab.auth.models import TokenRole as R
from beredskab.auth.service import Principal
from beredskab.crisis_staff import action_cards as tasks
from beredskab.metadata import utcnow

router = APIRouter(prefix="/activations/{activation_id}/tasks", tags=["action cards"])

Reader = Annotated[
    Principal,
    Depends(require_roles(R.authority, R.steering, R.crisis_staff, R.finance, R.admin)),
]
CrisisStaff = Annotated[Principal, Depends(require_roles(R.crisis_staff))]


@router.get("", summary="The four roles' action cards and their state", responses=problems(404))
async def list_tasks(
    activation_id: str, principal: Reader, session: SessionDep
) -> list[tasks.TaskRead]:
    activation = await activations.get_visible(session, principal, activation_id)
    return await tasks.list_tasks(session, activation.id)


@router.post(
    "/{task_id}",
    summary="Mark a task done, not applicable, or open again (logged)",
    responses=problems(404, 409),
)
async def update_task(
    activation_id: str,
    task_id: RowId,
    body: tasks.TaskUpdate,
    principal: CrisisStaff,
    session: SessionDep,
    runtime: RuntimeDep,
) -> tasks.TaskRead:
    return await tasks.update_task(
        session,
        runtime.activation_config.playbook,
        activation_id,
        task_id,
        body,
        by=principal.display_name,
        now=utcnow(),
    )
