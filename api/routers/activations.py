"""Activations: request, endorse, answer pages, hand over, stand down, and the status board."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from api.deps import RuntimeDep, SessionDep, require_roles
from api.openapi import problems
from beredskab.activations import repository as visibility
from beredskab.activations.models import ActivationStatus
from beredskab.activations.schemas import (
    ActivationBoard,
    ActivationCreate,
    ActivationSummary,
    Handover,
    Reason,
    Rejection,
    RoleStatus,
)
from beredskab.auth.models import TokenRole as R
from beredskab.auth.service import Principal
from beredskab.flows import board, closing
from beredskab.lifecycle import endorsement, staff
from beredskab.lifecycle.request import request_activation
from beredskab.metadata import utcnow
from beredskab.roles import Role
from beredskab.runtime import Runtime

router = APIRouter(prefix="/activations", tags=["activations"])

Requester = Annotated[Principal, Depends(require_roles(R.authority, R.steering, R.admin))]
Steering = Annotated[Principal, Depends(require_roles(R.steering))]
CrisisStaff = Annotated[Principal, Depends(require_roles(R.crisis_staff))]
Leader = Annotated[Principal, Depends(require_roles(R.crisis_staff, R.steering, R.admin))]
StandDown = Annotated[Principal, Depends(require_roles(R.crisis_staff, R.steering))]
Viewer = Annotated[
    Principal,
    Depends(require_roles(R.authority, R.steering, R.crisis_staff, R.finance, R.admin)),
]


@router.post(
    "",
    status_code=201,
    summary="Request an activation (a steering member's request counts as endorsed)",
    responses={
        200: {
            "description": "Replayed: the activation this Idempotency-Key made",
            "model": ActivationSummary,
        },
        **problems(409),
    },
)
async def create_activation(
    body: ActivationCreate,
    principal: Requester,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ActivationSummary:
    activation, created = await request_activation(
        session,
        runtime.activation_config,
        principal,
        body,
        idempotency_key=idempotency_key,
        now=utcnow(),
    )
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/activations/{activation.id}"
    return board.summary(activation)


@router.get("", summary="Activations you may see (an authority sees its own)")
async def list_activations(
    principal: Viewer, session: SessionDep, status: ActivationStatus | None = None
) -> list[ActivationSummary]:
    return await board.list_visible(session, principal, status)


@router.get(
    "/{activation_id}",
    summary="Status board: roles, open pages, counts, callbacks",
    responses=problems(404),
)
async def get_activation(
    activation_id: str, principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> ActivationBoard:
    activation = await visibility.get_visible(session, principal, activation_id)
    return await board.build(session, runtime.activation_config.playbook, activation)


@router.post(
    "/{activation_id}/endorse",
    summary="Endorse (steering group): requested → active",
    responses=problems(404, 409),
)
async def endorse(
    activation_id: str, principal: Steering, session: SessionDep, runtime: RuntimeDep
) -> ActivationSummary:
    activation = await endorsement.endorse(
        session,
        runtime.activation_config,
        activation_id,
        by=principal.display_name,
        person_id=principal.person_id,
        via="API",
        now=utcnow(),
    )
    return board.summary(activation)


@router.post(
    "/{activation_id}/reject",
    summary="Reject before endorsement (steering group)",
    responses=problems(404, 409),
)
async def reject(
    activation_id: str,
    body: Rejection,
    principal: Steering,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ActivationSummary:
    return await _end_early(
        activation_id, ActivationStatus.rejected, body.reason, principal, session, runtime
    )


@router.post(
    "/{activation_id}/cancel",
    summary="Withdraw a request before endorsement",
    responses=problems(404, 409),
)
async def cancel(
    activation_id: str,
    principal: Requester,
    session: SessionDep,
    runtime: RuntimeDep,
    body: Reason | None = None,
) -> ActivationSummary:
    await visibility.get_visible(session, principal, activation_id)  # an authority: its own only
    reason = body.reason if body else ""
    return await _end_early(
        activation_id, ActivationStatus.cancelled, reason, principal, session, runtime
    )


async def _end_early(
    activation_id: str,
    status: ActivationStatus,
    reason: str,
    principal: Principal,
    session: SessionDep,
    runtime: Runtime,
) -> ActivationSummary:
    activation = await closing.end_before_endorsement(
        session,
        runtime.activation_config,
        activation_id,
        status=status,
        by=principal.display_name,
        reason=reason,
        now=utcnow(),
    )
    return board.summary(activation)


@router.post(
    "/{activation_id}/roles/{role}/ack",
    summary="Accept a role page (the paged person)",
    responses=problems(404, 409),
)
async def ack(
    activation_id: str,
    role: Role,
    principal: CrisisStaff,
    session: SessionDep,
    runtime: RuntimeDep,
) -> dict:
    return await _answer(activation_id, role, True, principal, session, runtime)


@router.post(
    "/{activation_id}/roles/{role}/decline",
    summary="Decline a role page",
    responses=problems(404, 409),
)
async def decline(
    activation_id: str,
    role: Role,
    principal: CrisisStaff,
    session: SessionDep,
    runtime: RuntimeDep,
) -> dict:
    return await _answer(activation_id, role, False, principal, session, runtime)


async def _answer(
    activation_id: str,
    role: Role,
    accept: bool,
    principal: Principal,
    session: SessionDep,
    runtime: Runtime,
) -> dict:
    outcome = await staff.answer_role_page_via_api(
        session,
        runtime.activation_config,
        activation_id,
        role,
        principal,
        accept=accept,
        now=utcnow(),
    )
    return {"outcome": outcome.outcome}


@router.post(
    "/{activation_id}/roles/{role}/handover",
    summary="Hand a role over (the crisis leader): relieve the holder, assign another person",
    responses=problems(404, 409),
)
async def handover(
    activation_id: str,
    role: Role,
    body: Handover,
    principal: Leader,
    session: SessionDep,
    runtime: RuntimeDep,
) -> RoleStatus:
    await visibility.get_visible(session, principal, activation_id)
    callout = await staff.handover(
        session,
        runtime.activation_config,
        activation_id,
        role,
        principal,
        person_id=body.person_id,
        reason=body.reason,
        now=utcnow(),
    )
    return await board.role_status(session, runtime.activation_config.playbook, callout)


@router.post(
    "/{activation_id}/stand-down",
    summary="Stand down (the crisis leader or steering group): pages and deadlines cancelled",
    responses=problems(404, 409),
)
async def stand_down(
    activation_id: str,
    principal: StandDown,
    session: SessionDep,
    runtime: RuntimeDep,
    body: Reason | None = None,
) -> ActivationSummary:
    activation = await closing.stand_down(
        session,
        runtime.activation_config,
        activation_id,
        principal,
        reason=body.reason if body else "",
        now=utcnow(),
    )
    return board.summary(activation)
