"""Vagter: the staffing lead's page. Request a shift (its split into time in and out of opening
hours shown before it is sent), watch each shift fill, approve or reject it (steering group),
cancel it, and take it home as a calendar file. The services and roles of api/routers/shifts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import RowId
from beredskab.activations.repository import get_visible
from beredskab.auth.identity import Identity
from beredskab.auth.models import TokenRole as R
from beredskab.errors import InvalidInput
from beredskab.metadata import utcnow
from beredskab.shifts import approval, ending, plan, requesting, rules, views
from beredskab.shifts.schemas import ShiftCreate, ShiftReason
from web.deps import Me, ReadSession, WriteSession, acting, activation_tabs, allow, viewer
from web.forms import danish_reason, local_instant, parse
from web.render import render

router = APIRouter(prefix="/aktivering/{activation_id}/vagter", include_in_schema=False)

REQUESTERS = (R.crisis_staff, R.authority)  # as the API: the crisis staff or the own authority
DECIDERS = (R.steering,)
Requester = Annotated[Identity, Depends(allow(*REQUESTERS))]
Decider = Annotated[Identity, Depends(allow(*DECIDERS))]
_REASONS = {  # the shift rules' reasons (English, for the API), as the form says them
    "must be after start": "Slut skal ligge efter start.",
    "at most 24 hours": "En vagt må højst vare 24 timer.",
    "already ended": "Vagten er allerede slut. Vælg et senere tidspunkt.",
    "already passed": "Starttidspunktet er passeret. Vælg et senere tidspunkt.",
    f"between 1 and {rules.MAX_AGENTS}": f"Skal være mellem 1 og {rules.MAX_AGENTS}.",
    "must lie in the years": "Vælg en dato i årene 2000-2199.",
}


def _danish(reason: str) -> str:
    return next((d for e, d in _REASONS.items() if e in reason), None) or danish_reason(reason)


def _blank_form() -> dict:
    return {"start": "", "end": "", "agents_needed": "1"}


async def _page(
    request: Request,
    session,  # noqa: ANN001
    me,  # noqa: ANN001
    activation_id: str,
    *,
    form: dict | None = None,
    errors: dict | None = None,
    status: int = 200,
) -> Response:
    cfg = request.app.state.runtime.activation_config
    now = utcnow()
    shown = await plan.shift_plan(session, cfg, viewer(me), activation_id, now)
    return render(
        request,
        "shifts.html",
        {
            "activation": shown.activation,
            "tab": "vagter",
            "tab_title": "Vagter",
            "tabs": activation_tabs(me, activation_id),
            "plan": shown,
            "may_request": shown.may_request and any(me.has(r) for r in REQUESTERS),
            "may_cancel": any(me.has(r) for r in REQUESTERS),
            "may_decide": any(me.has(r) for r in DECIDERS),
            "form": form or _blank_form(),
            "errors": errors or {},
            "max_agents": rules.MAX_AGENTS,
            "now": now,
        },
        status=status,
    )


@router.get("")
async def shifts_page(
    request: Request, activation_id: str, me: Me, session: ReadSession
) -> Response:
    return await _page(request, session, me, activation_id)


def _request_values(raw: dict, tz: ZoneInfo) -> dict:
    return {
        "start": local_instant(str(raw.get("start", "")), tz),
        "end": local_instant(str(raw.get("end", "")), tz),
        "agents_needed": str(raw.get("agents_needed", "")).strip(),
    }


@router.get("/fordeling")
async def split_preview(
    request: Request,
    activation_id: str,
    me: Me,
    session: ReadSession,
    start: Annotated[str, Query(max_length=40)] = "",
    end: Annotated[str, Query(max_length=40)] = "",
    agents_needed: Annotated[str, Query(max_length=10)] = "1",
) -> Response:
    """The split of the shift being typed, and what the request would meet (htmx partial)."""
    cfg = request.app.state.runtime.activation_config
    await get_visible(session, viewer(me), activation_id)  # another authority's: 404
    values = _request_values(
        {"start": start, "end": end, "agents_needed": agents_needed}, cfg.timezone
    )
    data, errors = parse(ShiftCreate, values)
    preview = None
    if data is not None:
        preview = rules.preview_request(
            data.start, data.end, data.agents_needed, cfg.opening_rules, utcnow()
        )
        errors = {field: _danish(reason) for field, reason in reversed(preview.problems)}
    return render(request, "shift_preview.html", {"preview": preview, "errors": errors})


@router.post("")
async def request_shift(
    request: Request, activation_id: str, me: Requester, session: WriteSession
) -> Response:
    principal = acting(me, *REQUESTERS)
    cfg = request.app.state.runtime.activation_config
    raw = await request.form()
    form = {k: str(raw.get(k, "")).strip()[:40] for k in ("start", "end", "agents_needed")}
    data, errors = parse(ShiftCreate, _request_values(form, cfg.timezone))
    if data is not None:
        wanted = requesting.ShiftRequest(data.start, data.end, data.agents_needed)
        try:
            shift = await requesting.request_shift(
                session, cfg, activation_id, wanted, principal, now=utcnow()
            )
        except InvalidInput as exc:
            errors = {}
            for problem in exc.problems:
                errors.setdefault(problem.field, _danish(problem.reason))
        else:
            return _back(activation_id, shift.id)
    return await _page(request, session, me, activation_id, form=form, errors=errors, status=422)


def _back(activation_id: str, shift_id: int) -> RedirectResponse:
    return RedirectResponse(f"/aktivering/{activation_id}/vagter#vagt-{shift_id}", status_code=303)


@router.post("/{shift_id}/godkend")
async def approve(
    request: Request, activation_id: str, shift_id: RowId, me: Decider, session: WriteSession
) -> Response:
    principal = acting(me, *DECIDERS)
    cfg = request.app.state.runtime.activation_config
    await approval.approve_shift(session, cfg, activation_id, shift_id, principal, now=utcnow())
    return _back(activation_id, shift_id)


@router.post("/{shift_id}/afvis")
async def reject(
    request: Request, activation_id: str, shift_id: RowId, me: Decider, session: WriteSession
) -> Response:
    return await _end_with_reason(
        request, session, me, activation_id, shift_id, DECIDERS, "afvis", approval.reject_shift
    )


@router.post("/{shift_id}/aflys")
async def cancel(
    request: Request, activation_id: str, shift_id: RowId, me: Requester, session: WriteSession
) -> Response:
    return await _end_with_reason(
        request, session, me, activation_id, shift_id, REQUESTERS, "aflys", ending.cancel_shift
    )


async def _end_with_reason(  # noqa: ANN001 - session and me as _page takes them
    request: Request,
    session,
    me,
    activation_id: str,
    shift_id: int,
    roles: tuple[R, ...],
    action: str,
    use_case: Callable[..., Awaitable[object]],
) -> Response:
    """Reject (steering) or cancel (the requesters) a shift with the form's reason; without one,
    the page again with the Danish complaint next to that shift's form."""
    principal = acting(me, *roles)
    raw = await request.form()
    data, errors = parse(ShiftReason, {"reason": str(raw.get("reason", ""))})
    if data is None:
        shown = {f"{action}-{shift_id}": errors.get("reason", "Skriv en begrundelse.")}
        return await _page(request, session, me, activation_id, errors=shown, status=422)
    cfg = request.app.state.runtime.activation_config
    await use_case(
        session, cfg, activation_id, shift_id, principal, reason=data.reason, now=utcnow()
    )
    return _back(activation_id, shift_id)


@router.get("/{shift_id}.ics")
async def calendar_file(
    request: Request, activation_id: str, shift_id: RowId, me: Me, session: ReadSession
) -> Response:
    cfg = request.app.state.runtime.activation_config
    body = await views.shift_calendar(session, cfg, viewer(me), shift_id, utcnow())
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="ddh-vagt-{shift_id}.ics"'},
    )
