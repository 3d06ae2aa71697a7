"""Aktivering: one activation's status board, live, with the actions a person's roles allow.

Every action calls the same use case as the API route (api/routers/activations.py) and is
allowed to the same roles; the buttons shown are only a courtesy, the use cases decide."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from beredskab.activations import repository as visibility
from beredskab.activations.models import Activation, ActivationStatus
from beredskab.activations.schemas import Handover, Reason, Rejection
from beredskab.auth.identity import Identity
from beredskab.auth.models import TokenRole as R
from beredskab.crisis_staff import delegates
from beredskab.errors import Conflict, InvalidInput, NotFound
from beredskab.flows import board, board_page, closing
from beredskab.lifecycle import endorsement, staff
from beredskab.metadata import utcnow
from beredskab.roles import Role
from web import live
from web.deps import (
    Me,
    ReadSession,
    WriteSession,
    acting,
    activation_tabs,
    allow,
    viewer,
)
from web.forms import invalid_input_errors, parse
from web.render import render

router = APIRouter()

VIA = "konsollen"  # how the log says it was done ("Aktivering godkendt af … (konsollen).")
# who may act, as the API allows it; a person with several roles acts in the first they hold
ENDORSE = (R.steering,)
REJECT = (R.steering,)
CANCEL = (R.authority, R.steering, R.admin)
STAND_DOWN = (R.steering, R.crisis_staff)  # crisis staff: only the activation's crisis leader
HANDOVER = (R.steering, R.admin, R.crisis_staff)  # likewise
STAND_DOWN_CONFIRM = "stand_down_confirm"  # the checkbox that makes ending it two steps
Endorser = Annotated[Identity, Depends(allow(*ENDORSE))]
Rejecter = Annotated[Identity, Depends(allow(*REJECT))]
Canceller = Annotated[Identity, Depends(allow(*CANCEL))]
StandingDown = Annotated[Identity, Depends(allow(*STAND_DOWN))]
HandingOver = Annotated[Identity, Depends(allow(*HANDOVER))]
Delegating = Annotated[Identity, Depends(allow(R.crisis_staff))]  # the service: only the leader


def phone_shown(phone: str) -> str:
    """+4520123456 -> +45 20 12 34 56 (a Danish number in pairs; others as they are)."""
    if phone.startswith("+45") and len(phone) == 11:
        rest = phone[3:]
        return "+45 " + " ".join(rest[i : i + 2] for i in range(0, 8, 2))
    return phone


async def _live_context(session, request: Request, activation: Activation) -> dict:  # noqa: ANN001
    playbook = request.app.state.runtime.activation_config.playbook
    shown = await board.build(session, playbook, activation)
    return {
        "activation": activation,
        "board": shown,
        "phones": await board_page.phones(session, shown),
        "authority_name": await board_page.authority_name(session, activation.authority_id),
        "phone_shown": phone_shown,
        "now": utcnow(),
    }


async def _page(
    request: Request,
    session,  # noqa: ANN001
    me: Identity,
    activation: Activation,
    *,
    form: dict | None = None,
    errors: dict | None = None,
    status: int = 200,
) -> Response:
    context = await _live_context(session, request, activation)
    allowed = board.allowed_actions(context["board"], me.roles, me.person_id)
    candidates = await board_page.handover_candidates(session) if allowed["handover"] else []
    standing = await delegates.visible_delegates(session, activation.id, viewer(me))
    may_delegate = allowed["delegate"]
    named = {d.person_id for d in standing}
    people = await board_page.active_people(session) if may_delegate else []
    return render(
        request,
        "board.html",
        {
            **context,
            "may": allowed,
            "candidates": candidates,
            "delegates": standing,
            "may_delegate": may_delegate,
            "delegate_candidates": [p for p in people if p.id not in named],
            "roles": list(Role),
            "page_status": activation.status,
            "form": form or {},
            "errors": errors or {},
            "tab": "status",
            "tabs": activation_tabs(me, activation.id),
            "tab_title": "Status",
        },
        status=status,
    )


@router.get("/aktivering/{activation_id}", include_in_schema=False)
async def board_page_view(
    activation_id: str, request: Request, me: Me, session: ReadSession
) -> Response:
    activation = await visibility.get_visible(session, viewer(me), activation_id)
    return await _page(request, session, me, activation)


@router.get("/aktivering/{activation_id}/live", include_in_schema=False)
async def board_live(
    activation_id: str, request: Request, me: Me, session: ReadSession
) -> Response:
    """The board's live part as SSE events `board` (htmx swaps it in), when anything on it
    changes; the forms around it are left alone."""
    principal = viewer(me)
    activation = await visibility.get_visible(session, principal, activation_id)
    page_status = activation.status
    await session.close()  # a stream lives long: each poll takes a short reader's session
    runtime = request.app.state.runtime

    async def mark() -> object:
        async with runtime.read_sessionmaker() as s:
            return await board.fingerprint(s, activation_id)

    async def fragment(_: object) -> str:
        async with runtime.read_sessionmaker() as s:
            now = await visibility.get_visible(s, principal, activation_id)
            context = await _live_context(s, request, now)
        context["page_status"] = page_status
        return render(request, "board_live.html", context).body.decode()

    return live.stream(request, mark, fragment, "board", live.signed_in(request))


def _back(activation_id: str) -> RedirectResponse:
    return RedirectResponse(f"/aktivering/{activation_id}", status_code=303)


@router.post("/aktivering/{activation_id}/godkend", include_in_schema=False)
async def endorse(
    activation_id: str, request: Request, me: Endorser, session: WriteSession
) -> Response:
    principal = acting(me, *ENDORSE)
    await endorsement.endorse(
        session,
        request.app.state.runtime.activation_config,
        activation_id,
        by=principal.display_name,
        person_id=principal.person_id,
        via=VIA,
        now=utcnow(),
    )
    return _back(activation_id)


async def _reason(  # noqa: ANN001 - session as _page takes it
    request: Request,
    session,
    me: Identity,
    activation: Activation,
    model: type[Reason] | type[Rejection],
    field: str,
    *,
    confirm: str | None = None,
) -> tuple[str | None, Response | None]:
    """The form's reason, or the page again with the Danish complaint under `field`; with
    `confirm` (a field name) the form's checkbox of that name must be ticked too."""
    raw = await request.form()
    form = {"reason": str(raw.get("reason", "")).strip()}
    data, problems = parse(model, form)
    errors = {} if data is not None else {field: problems.get("reason", "Værdien kan ikke bruges.")}
    if confirm and raw.get(confirm) != "ja":
        errors[confirm] = "Sæt kryds for at bekræfte, at aktiveringen skal afsluttes."
    if not errors:
        return data.reason, None
    again = await _page(request, session, me, activation, form=form, errors=errors, status=422)
    return None, again


@router.post("/aktivering/{activation_id}/afvis", include_in_schema=False)
async def reject(
    activation_id: str, request: Request, me: Rejecter, session: WriteSession
) -> Response:
    return await _end_early(
        activation_id, request, me, session, REJECT, Rejection, ActivationStatus.rejected
    )


@router.post("/aktivering/{activation_id}/annuller", include_in_schema=False)
async def cancel(
    activation_id: str, request: Request, me: Canceller, session: WriteSession
) -> Response:
    return await _end_early(
        activation_id, request, me, session, CANCEL, Reason, ActivationStatus.cancelled
    )


async def _end_early(
    activation_id: str,
    request: Request,
    me: Identity,
    session,  # noqa: ANN001
    roles: tuple[R, ...],
    model: type[Reason] | type[Rejection],
    status: ActivationStatus,
) -> Response:
    """Reject (steering) or cancel (the authority) before endorsement, as the API does."""
    principal = acting(me, *roles)
    activation = await visibility.get_visible(session, principal, activation_id)
    field = "reject_reason" if status == ActivationStatus.rejected else "cancel_reason"
    reason, again = await _reason(request, session, me, activation, model, field)
    if again is not None:
        return again
    await closing.end_before_endorsement(
        session,
        request.app.state.runtime.activation_config,
        activation_id,
        status=status,
        by=principal.display_name,
        reason=reason,
        now=utcnow(),
    )
    return _back(activation_id)


@router.post("/aktivering/{activation_id}/afslut", include_in_schema=False)
async def stand_down(
    activation_id: str, request: Request, me: StandingDown, session: WriteSession
) -> Response:
    principal = acting(me, *STAND_DOWN)
    activation = await visibility.get_visible(session, principal, activation_id)
    reason, again = await _reason(
        request, session, me, activation, Reason, "stand_down_reason", confirm=STAND_DOWN_CONFIRM
    )
    if again is not None:
        return again
    await closing.stand_down(
        session,
        request.app.state.runtime.activation_config,
        activation_id,
        principal,
        reason=reason,
        now=utcnow(),
    )
    return _back(activation_id)


@router.post("/aktivering/{activation_id}/overdrag", include_in_schema=False)
async def handover(
    activation_id: str, request: Request, me: HandingOver, session: WriteSession
) -> Response:
    principal = acting(me, *HANDOVER)
    activation = await visibility.get_visible(session, principal, activation_id)
    raw = await request.form()
    form = {
        "role": str(raw.get("role", "")),
        "person_id": str(raw.get("person_id", "")),
        "handover_reason": str(raw.get("handover_reason", "")).strip(),
    }
    errors: dict[str, str] = {}
    role = next((r for r in Role if r.value == form["role"]), None)
    if role is None:
        errors["role"] = "Vælg en rolle."
    if not form["person_id"]:
        errors["person_id"] = "Vælg en person."
    data, problems = parse(
        Handover, {"person_id": form["person_id"], "reason": form["handover_reason"]}
    )
    if problems:
        errors.update(
            {"person_id" if k == "person_id" else "handover_reason": v for k, v in problems.items()}
        )
    if data is not None and not errors:
        try:
            await staff.handover(
                session,
                request.app.state.runtime.activation_config,
                activation_id,
                role,
                principal,
                person_id=data.person_id,
                reason=data.reason,
                now=utcnow(),
            )
        except InvalidInput as exc:
            errors.update(invalid_input_errors(exc))
        else:
            return _back(activation_id)
    return await _page(request, session, me, activation, form=form, errors=errors, status=422)


@router.post("/aktivering/{activation_id}/logfoerere", include_in_schema=False)
async def add_delegate(
    activation_id: str, request: Request, me: Delegating, session: WriteSession
) -> Response:
    """The crisis leader lets a person write in the log (the API's delegates use case)."""
    principal = acting(me, R.crisis_staff)
    person_id = str((await request.form()).get("delegate_person_id", ""))
    if not person_id:
        errors = {"delegate_person_id": "Vælg en person."}
    else:
        try:
            await delegates.add_delegate(
                session, activation_id, principal, person_id=person_id, now=utcnow()
            )
        except (InvalidInput, Conflict) as exc:
            errors = {"delegate_person_id": _delegate_refusal(exc)}
        else:
            return RedirectResponse(f"/aktivering/{activation_id}#logfoerere", status_code=303)
    form = {"delegate_person_id": person_id}
    # loaded after the refused transaction (its rollback expires what was loaded in it)
    activation = await visibility.get_visible(session, principal, activation_id)
    return await _page(request, session, me, activation, form=form, errors=errors, status=422)


@router.post("/aktivering/{activation_id}/logfoerere/{person_id}/fjern", include_in_schema=False)
async def remove_delegate(
    activation_id: str, person_id: str, me: Delegating, session: WriteSession
) -> Response:
    """The crisis leader stops a delegate writing in the log; one already gone is no error."""
    principal = acting(me, R.crisis_staff)
    try:
        await delegates.remove_delegate(
            session, activation_id, principal, person_id=person_id, now=utcnow()
        )
    except NotFound:
        await visibility.get_visible(session, principal, activation_id)  # the activation: 404
    return RedirectResponse(f"/aktivering/{activation_id}#logfoerere", status_code=303)


def _delegate_refusal(exc: InvalidInput | Conflict) -> str:
    if isinstance(exc, Conflict):
        return "Personen kan allerede skrive i logbogen."
    return "Personen findes ikke som aktiv i kontaktoversigten."
