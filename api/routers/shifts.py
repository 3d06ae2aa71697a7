"""Contact-centre shifts: request, approve/reject, cancel, confirm/withdraw, calendar files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from api.deps import RowId, RuntimeDep, SessionDep, attachment, require_roles
from api.openapi import problems
from beredskab.auth.models import TokenRole as R
from beredskab.auth.service import Principal
from beredskab.metadata import utcnow
from beredskab.shifts import approval, confirmation, ending, feeds, requesting, views
from beredskab.shifts.schemas import (
    AllocationConfirm,
    FeedOut,
    ShiftCreate,
    ShiftOut,
    ShiftReason,
)

router = APIRouter(tags=["shifts"])
ICS = "text/calendar; charset=utf-8"
CALENDAR_FILE = {
    "description": "An iCalendar (RFC 5545) file",
    "content": {"text/calendar": {"schema": {"type": "string"}}},
}

Requester = Annotated[Principal, Depends(require_roles(R.crisis_staff, R.authority))]
Steering = Annotated[Principal, Depends(require_roles(R.steering))]
Viewer = Annotated[
    Principal,
    Depends(require_roles(R.authority, R.steering, R.crisis_staff, R.finance, R.admin)),
]
Volunteer = Annotated[Principal, Depends(require_roles(R.crisis_staff, R.authority))]
FeedAdmin = Annotated[Principal, Depends(require_roles(R.crisis_staff, R.admin))]


@router.post(
    "/activations/{activation_id}/shifts",
    status_code=201,
    summary="Request a contact-centre shift; the answer shows its in-/out-of-hours split",
    responses=problems(404, 409),
)
async def request_shift(
    activation_id: str,
    body: ShiftCreate,
    principal: Requester,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ShiftOut:
    cfg = runtime.activation_config
    wanted = requesting.ShiftRequest(body.start, body.end, body.agents_needed)
    shift = await requesting.request_shift(
        session, cfg, activation_id, wanted, principal, now=utcnow()
    )
    return await views.describe(session, cfg, shift)


@router.get(
    "/activations/{activation_id}/shifts",
    summary="The activation's shifts",
    responses=problems(404),
)
async def list_shifts(
    activation_id: str, principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> list[ShiftOut]:
    return await views.shifts_for(session, runtime.activation_config, principal, activation_id)


@router.get(
    "/activations/{activation_id}/shifts/{shift_id}", summary="One shift", responses=problems(404)
)
async def get_shift(
    activation_id: str, shift_id: RowId, principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> ShiftOut:
    cfg = runtime.activation_config
    return await views.shift_for(session, cfg, principal, activation_id, shift_id)


@router.post(
    "/activations/{activation_id}/shifts/{shift_id}/approve",
    summary="Approve a shift's out-of-hours part (steering group); volunteers are paged",
    responses=problems(404, 409),
)
async def approve_shift(
    activation_id: str,
    shift_id: RowId,
    principal: Steering,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ShiftOut:
    cfg = runtime.activation_config
    shift = await approval.approve_shift(
        session, cfg, activation_id, shift_id, principal, now=utcnow()
    )
    return await views.describe(session, cfg, shift)


@router.post(
    "/activations/{activation_id}/shifts/{shift_id}/reject",
    summary="Reject a shift awaiting approval, with a reason (steering group)",
    responses=problems(404, 409),
)
async def reject_shift(
    activation_id: str,
    shift_id: RowId,
    body: ShiftReason,
    principal: Steering,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ShiftOut:
    cfg = runtime.activation_config
    shift = await approval.reject_shift(
        session, cfg, activation_id, shift_id, principal, reason=body.reason, now=utcnow()
    )
    return await views.describe(session, cfg, shift)


@router.post(
    "/activations/{activation_id}/shifts/{shift_id}/cancel",
    summary="Cancel a shift; the municipalities and the staffing lead are told",
    responses=problems(404, 409),
)
async def cancel_shift(
    activation_id: str,
    shift_id: RowId,
    body: ShiftReason,
    principal: Requester,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ShiftOut:
    cfg = runtime.activation_config
    shift = await ending.cancel_shift(
        session, cfg, activation_id, shift_id, principal, reason=body.reason, now=utcnow()
    )
    return await views.describe(session, cfg, shift)


@router.post(
    "/allocations/{allocation_id}/confirm",
    summary="Confirm a municipality's agents by name or count (staffing lead or the municipality)",
    responses=problems(404, 409),
)
async def confirm_allocation(
    allocation_id: RowId,
    body: AllocationConfirm,
    principal: Volunteer,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ShiftOut:
    cfg = runtime.activation_config
    shift = await confirmation.confirm_allocation(
        session, cfg, allocation_id, principal, agents=body.agents, names=body.names, now=utcnow()
    )
    return await views.describe(session, cfg, shift)


@router.post(
    "/allocations/{allocation_id}/withdraw",
    summary="Withdraw a municipality's places (AFMELD); the call-out resumes",
    responses=problems(404, 409),
)
async def withdraw_allocation(
    allocation_id: RowId, principal: Volunteer, session: SessionDep, runtime: RuntimeDep
) -> ShiftOut:
    cfg = runtime.activation_config
    shift = await confirmation.withdraw_allocation(
        session, cfg, allocation_id, principal, now=utcnow()
    )
    return await views.describe(session, cfg, shift)


@router.get(
    "/shifts/{shift_id}.ics",
    summary="One shift as an iCalendar file",
    response_class=Response,
    responses={200: CALENDAR_FILE, **problems(404)},
)
async def shift_ics(
    shift_id: RowId, principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> Response:
    cfg = runtime.activation_config
    body = await views.shift_calendar(session, cfg, principal, shift_id, utcnow())
    return attachment(body, ICS, f"ddh-vagt-{shift_id}.ics")


@router.post(
    "/municipalities/{org_id}/calendar-feed",
    status_code=201,
    summary="Make (or replace) a municipality's secret calendar-feed URL; shown once",
    responses=problems(404),
)
async def create_feed(
    org_id: str, principal: FeedAdmin, session: SessionDep, request: Request
) -> FeedOut:
    key = await feeds.rotate_feed_key(session, org_id, by=principal.display_name, now=utcnow())
    base = request.app.state.settings.public_base_url
    return FeedOut(org_id=org_id, url=f"{base}/calendar/feeds/{org_id}.ics?key={key}")


@router.get(
    "/calendar/feeds/{org_id}.ics",
    summary="A municipality's shifts as a calendar feed (the secret key in the URL is the access)",
    response_class=Response,
    responses={200: CALENDAR_FILE, **problems(403, s403="The key is not this feed's")},
)
async def municipality_feed(
    org_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    key: Annotated[str, Query(min_length=10, max_length=200)],
) -> Response:
    body = await views.feed_calendar(session, runtime.activation_config, org_id, key, utcnow())
    return Response(body, media_type=ICS)
