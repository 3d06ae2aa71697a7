"""Contact-centre shifts: request, approve/reject, cancel, confirm/withdraw, calendar files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlmodel import select

from api.deps import RowId, RuntimeDep, SessionDep, attachment, require_roles
from beredskab.activations import repository as activations
from beredskab.activations.models import Activation
from beredskab.activations.repository import lock_activation
from beredskab.auth.models import TokenRole as R
from beredskab.auth.service import Principal
from beredskab.directory.models import Organisation, OrgKind
from beredskab.errors import Forbidden, NotFound
from beredskab.metadata import utcnow
from beredskab.shifts import service, views
from beredskab.shifts.models import Shift, VolunteerAllocation
from beredskab.shifts.schemas import (
    AllocationConfirm,
    FeedOut,
    ShiftCreate,
    ShiftOut,
    ShiftReason,
)

router = APIRouter(tags=["shifts"])
ICS = "text/calendar; charset=utf-8"

Requester = Annotated[Principal, Depends(require_roles(R.crisis_staff, R.authority))]
Steering = Annotated[Principal, Depends(require_roles(R.steering))]
Viewer = Annotated[
    Principal,
    Depends(require_roles(R.authority, R.steering, R.crisis_staff, R.finance, R.admin)),
]
Volunteer = Annotated[Principal, Depends(require_roles(R.crisis_staff, R.authority))]
FeedAdmin = Annotated[Principal, Depends(require_roles(R.crisis_staff, R.admin))]


async def _one(session: SessionDep, runtime: RuntimeDep, shift: Shift) -> ShiftOut:
    return (await views.describe_many(session, runtime.activation_config, [shift]))[0]


async def _locked(session: SessionDep, activation_id: str, shift_id: int):  # noqa: ANN202
    activation = await lock_activation(session, activation_id)
    return activation, await service.get_shift(session, activation, shift_id)


async def _done(session: SessionDep, runtime: RuntimeDep, shift: Shift) -> ShiftOut:
    await session.commit()
    return await _one(session, runtime, shift)


@router.post(
    "/activations/{activation_id}/shifts",
    status_code=201,
    summary="Request a contact-centre shift; the answer shows its in-/out-of-hours split",
)
async def request_shift(
    activation_id: str,
    body: ShiftCreate,
    principal: Requester,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ShiftOut:
    await activations.get_visible(session, principal, activation_id)  # an authority: its own
    activation = await lock_activation(session, activation_id)
    shift = await service.request_shift(
        session,
        runtime.activation_config,
        activation,
        service.ShiftRequest(body.start, body.end, body.agents_needed),
        by=principal.display_name,
        now=utcnow(),
    )
    return await _done(session, runtime, shift)


@router.get("/activations/{activation_id}/shifts", summary="The activation's shifts")
async def list_shifts(
    activation_id: str, principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> list[ShiftOut]:
    activation = await activations.get_visible(session, principal, activation_id)
    shifts = await views.shifts_of(session, activation.id)
    return await views.describe_many(session, runtime.activation_config, shifts)


@router.get("/activations/{activation_id}/shifts/{shift_id}", summary="One shift")
async def get_shift(
    activation_id: str, shift_id: RowId, principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> ShiftOut:
    activation = await activations.get_visible(session, principal, activation_id)
    return await _one(session, runtime, await service.get_shift(session, activation, shift_id))


@router.post(
    "/activations/{activation_id}/shifts/{shift_id}/approve",
    summary="Approve a shift's out-of-hours part (steering group); volunteers are paged",
)
async def approve_shift(
    activation_id: str,
    shift_id: RowId,
    principal: Steering,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ShiftOut:
    activation, shift = await _locked(session, activation_id, shift_id)
    await service.approve(
        session,
        runtime.activation_config,
        activation,
        shift,
        by=principal.display_name,
        via="API",
        now=utcnow(),
    )
    return await _done(session, runtime, shift)


@router.post(
    "/activations/{activation_id}/shifts/{shift_id}/reject",
    summary="Reject a shift awaiting approval, with a reason (steering group)",
)
async def reject_shift(
    activation_id: str,
    shift_id: RowId,
    body: ShiftReason,
    principal: Steering,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ShiftOut:
    activation, shift = await _locked(session, activation_id, shift_id)
    await service.reject(
        session,
        runtime.activation_config,
        activation,
        shift,
        by=principal.display_name,
        reason=body.reason,
        now=utcnow(),
    )
    return await _done(session, runtime, shift)


@router.post(
    "/activations/{activation_id}/shifts/{shift_id}/cancel",
    summary="Cancel a shift; the municipalities and the staffing lead are told",
)
async def cancel_shift(
    activation_id: str,
    shift_id: RowId,
    body: ShiftReason,
    principal: Requester,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ShiftOut:
    await activations.get_visible(session, principal, activation_id)
    activation, shift = await _locked(session, activation_id, shift_id)
    await service.cancel(
        session,
        runtime.activation_config,
        activation,
        shift,
        by=principal.display_name,
        reason=body.reason,
        now=utcnow(),
    )
    return await _done(session, runtime, shift)


async def _locked_allocation(
    session: SessionDep, principal: Principal, allocation_id: int
) -> tuple[Activation, VolunteerAllocation]:
    """The allocation, read under its activation's lock (one look first, to find which)."""
    found = (
        await session.exec(
            select(VolunteerAllocation.org_id, Shift.activation_id)
            .join(Shift, Shift.id == VolunteerAllocation.shift_id)
            .where(VolunteerAllocation.id == allocation_id)
        )
    ).first()
    # an authority token acts for its own municipality's places only; others see "absent"
    if found is None or (principal.role is R.authority and principal.org_id != found[0]):
        raise NotFound(f"no allocation {allocation_id}")
    activation = await lock_activation(session, found[1])
    allocation = await session.get(VolunteerAllocation, allocation_id, populate_existing=True)
    assert allocation is not None
    return activation, allocation


async def _shift_of(session: SessionDep, allocation: VolunteerAllocation) -> Shift:
    shift = await session.get(Shift, allocation.shift_id)  # read under the lock by the service
    assert shift is not None
    return shift


@router.post(
    "/allocations/{allocation_id}/confirm",
    summary="Confirm a municipality's agents by name or count (staffing lead or the municipality)",
)
async def confirm_allocation(
    allocation_id: RowId,
    body: AllocationConfirm,
    principal: Volunteer,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ShiftOut:
    activation, allocation = await _locked_allocation(session, principal, allocation_id)
    outcome = await service.confirm(
        session,
        runtime.activation_config,
        activation,
        allocation,
        agents=body.agents,
        names=body.names,
        by=principal.display_name,
        via="API",
        now=utcnow(),
    )
    service.raise_if_refused(outcome)
    return await _done(session, runtime, await _shift_of(session, allocation))


@router.post(
    "/allocations/{allocation_id}/withdraw",
    summary="Withdraw a municipality's places (AFMELD); the call-out resumes",
)
async def withdraw_allocation(
    allocation_id: RowId, principal: Volunteer, session: SessionDep, runtime: RuntimeDep
) -> ShiftOut:
    activation, allocation = await _locked_allocation(session, principal, allocation_id)
    outcome = await service.withdraw(
        session,
        runtime.activation_config,
        activation,
        allocation,
        by=principal.display_name,
        via="API",
        now=utcnow(),
    )
    service.raise_if_refused(outcome)
    return await _done(session, runtime, await _shift_of(session, allocation))


@router.get(
    "/shifts/{shift_id}.ics",
    summary="One shift as an iCalendar file",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
async def shift_ics(
    shift_id: RowId, principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> Response:
    shift = await session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"no shift {shift_id}")
    activation = await activations.get_visible(session, principal, shift.activation_id)
    body = views.shift_ics(runtime.activation_config, shift, activation, utcnow())
    return attachment(body, ICS, f"ddh-vagt-{shift_id}.ics")


@router.post(
    "/municipalities/{org_id}/calendar-feed",
    status_code=201,
    summary="Make (or replace) a municipality's secret calendar-feed URL; shown once",
)
async def create_feed(
    org_id: str, principal: FeedAdmin, session: SessionDep, request: Request
) -> FeedOut:
    org = await session.get(Organisation, org_id)
    if org is None or org.kind != OrgKind.municipality:
        raise NotFound(f"no municipality {org_id}")
    key = await views.rotate_feed_key(session, org_id, by=principal.display_name, now=utcnow())
    await session.commit()
    base = request.app.state.settings.public_base_url
    return FeedOut(org_id=org_id, url=f"{base}/calendar/feeds/{org_id}.ics?key={key}")


@router.get(
    "/calendar/feeds/{org_id}.ics",
    summary="A municipality's shifts as a calendar feed (the secret key in the URL is the access)",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
async def municipality_feed(
    org_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    key: Annotated[str, Query(min_length=10, max_length=200)],
) -> Response:
    org = await views.feed_org(session, org_id, key)
    if org is None:
        raise Forbidden("this calendar feed URL is not valid; ask DDH for a new one")
    body = await views.municipality_feed(session, runtime.activation_config, org, utcnow())
    return Response(body, media_type=ICS)
