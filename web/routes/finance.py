"""Økonomi for one activation: its cost statement, corrections with a reason, final, adjustments.

Finance and admin read it; only finance changes it (as api/routers/costs.py allows). Each form
calls the service the API calls and comes back here (303), or is shown again with its faults.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from api.deps import RowId
from beredskab.activations.repository import get_visible
from beredskab.auth.identity import Identity
from beredskab.auth.models import TokenRole as R
from beredskab.costs import final, records
from beredskab.costs.schemas import AdjustmentCreate, ExpenseCreate, ExpenseUpdate, TenureCorrection
from beredskab.directory import service as directory
from beredskab.errors import Conflict, InvalidInput
from beredskab.metadata import utcnow
from web.deps import ReadSession, WriteSession, acting, activation_tabs, allow
from web.forms import invalid_input_errors, local_input, local_instant, ore, parse
from web.render import render

router = APIRouter()
Reader = Annotated[Identity, Depends(allow(R.finance, R.admin))]
Finance = Annotated[Identity, Depends(allow(R.finance))]
NO_RATE = (
    "Opgørelsen kan ikke beregnes: der er ingen DDH-timepris for en dag med arbejde. "
    "Indtast timeprisen under Økonomi."
)


def _base(activation_id: str) -> str:
    return f"/aktivering/{activation_id}/okonomi"


async def _page(
    request: Request,
    session,  # noqa: ANN001 - an AsyncSession
    me: Identity,
    activation_id: str,
    *,
    failed: str = "",
    form: dict | None = None,
    errors: dict | None = None,
    alert: str = "",
    status: int = 200,
) -> Response:
    principal = acting(me, R.finance, R.admin)
    activation = await get_visible(session, principal, activation_id)
    rules = request.app.state.runtime.activation_config.opening_rules
    problem = ""
    try:
        statement = await final.get_statement(session, activation_id, principal, rules, utcnow())
    except Conflict:
        statement, problem = None, NO_RATE
    may_edit = me.has(R.finance)
    orgs = await directory.list_organisations(session)
    debtors = await final.debtor_ids(session, activation.authority_id)
    context = {
        "activation": activation,
        "tab": "okonomi",
        "tabs": activation_tabs(me, activation_id),
        "tab_title": "Økonomi",
        "statement": statement,
        "problem": problem,
        "may_edit": may_edit,
        "orgs": orgs,
        "names": {o.id: o.name for o in orgs},
        "org_options": [(o.id, o.name) for o in orgs],
        "debtors": [(o.id, o.name) for o in orgs if o.id in debtors],
        "local_input": lambda moment: local_input(moment, request.app.state.settings.tz),
        "expenses": await records.list_expenses(session, activation_id) if may_edit else [],
        "tenures": await records.list_tenures(session, activation_id) if may_edit else [],
        "people": {p.id: p.name for p in await directory.list_people(session)},
        "failed": failed,
        "form": form or {},
        "errors": errors or {},
        "alert": alert,
    }
    return render(request, "finance_activation.html", context, status=status)


@router.get("/aktivering/{activation_id}/okonomi", include_in_schema=False)
async def statement_page(
    activation_id: str, request: Request, me: Reader, session: ReadSession
) -> Response:
    return await _page(request, session, me, activation_id)


async def _fields(request: Request, *names: str) -> dict[str, str]:
    raw = await request.form()
    return {name: str(raw.get(name, "")).strip() for name in names}


def _as_typed(errors: dict[str, str]) -> dict[str, str]:
    """Faults named by the form's fields: the amount is typed in kroner, not øre."""
    return {("amount" if k == "amount_ore" else k): v for k, v in errors.items()}


def _amount(form: dict[str, str], errors: dict[str, str]) -> dict:
    """The form's `amount` (kroner) as `amount_ore`, or a Danish fault for the field."""
    text = form.get("amount", "")
    if not text:
        return {}  # the model says it is missing, if it must be given
    value = ore(text)
    if value is None:
        errors["amount_ore"] = "Skriv et beløb i kroner, fx 1.250,50."
        return {}
    return {"amount_ore": value}


async def _act(
    request: Request,
    session,  # noqa: ANN001 - an AsyncSession
    me: Identity,
    activation_id: str,
    key: str,
    form: dict,
    errors: dict,
    call,  # noqa: ANN001 - an awaitable factory: the service call
) -> Response:
    """Run the service call unless the form already has faults; back to the page (303), or the
    page again with the faults (422) or the refusal (409) and nothing changed."""
    alert, status = "", 422
    errors = _as_typed(errors)
    if not errors:
        try:
            await call()
        except InvalidInput as exc:
            errors = _as_typed(invalid_input_errors(exc))
        except Conflict:
            alert, status = CONFLICTS.get(key.split("-")[0], CONFLICTS["default"]), 409
        else:
            return RedirectResponse(_base(activation_id), status_code=303)
    return await _page(
        request,
        session,
        me,
        activation_id,
        failed=key,
        form=form,
        errors=errors,
        alert=alert,
        status=status,
    )


CONFLICTS = {
    "endelig": "Opgørelsen kan ikke gøres endelig: aktiveringen er ikke afsluttet, eller "
    "opgørelsen er allerede endelig. Intet er ændret.",
    "default": "Opgørelsen er endelig: brug en reguleringslinje i stedet. Intet er ændret.",
}


def _model(model: type[BaseModel], data: dict, errors: dict) -> BaseModel | None:
    found, faults = parse(model, data)
    for field, message in faults.items():
        errors.setdefault(field, message)
    return None if errors else found


@router.post("/aktivering/{activation_id}/okonomi/endelig", include_in_schema=False)
async def make_final(
    activation_id: str, request: Request, me: Finance, session: WriteSession
) -> Response:
    principal = acting(me, R.finance)
    form = await _fields(request, "confirm")
    errors = {} if form["confirm"] == "ja" else {"confirm": "Bekræft, at opgørelsen er gennemgået."}
    rules = request.app.state.runtime.activation_config.opening_rules

    async def call() -> object:
        return await final.finalise(
            session, activation_id, rules, by=principal.display_name, now=utcnow()
        )

    return await _act(request, session, me, activation_id, "endelig", form, errors, call)


@router.post("/aktivering/{activation_id}/okonomi/regulering", include_in_schema=False)
async def add_adjustment(
    activation_id: str, request: Request, me: Finance, session: WriteSession
) -> Response:
    principal = acting(me, R.finance)
    form = await _fields(request, "amount", "debtor_id", "creditor_id", "reason")
    errors: dict[str, str] = {}
    data = {**_amount(form, errors), **{k: form[k] for k in ("debtor_id", "creditor_id", "reason")}}
    body = _model(AdjustmentCreate, data, errors)
    rules = request.app.state.runtime.activation_config.opening_rules

    async def call() -> object:
        return await final.add_adjustment(
            session, activation_id, body, rules, by=principal.display_name, now=utcnow()
        )

    return await _act(request, session, me, activation_id, "regulering", form, errors, call)


@router.post("/aktivering/{activation_id}/okonomi/udgift", include_in_schema=False)
async def add_expense(
    activation_id: str, request: Request, me: Finance, session: WriteSession
) -> Response:
    principal = acting(me, R.finance)
    form = await _fields(request, "amount", "text", "creditor_id", "spent_on", "reason")
    errors: dict[str, str] = {}
    data = {
        **_amount(form, errors),
        "text": form["text"],
        "creditor_id": form["creditor_id"],
        **{k: form[k] for k in ("spent_on", "reason") if form[k]},
    }
    body = _model(ExpenseCreate, data, errors)

    async def call() -> object:
        return await records.add_expense(
            session, activation_id, body, by=principal.display_name, now=utcnow()
        )

    return await _act(request, session, me, activation_id, "udgift", form, errors, call)


@router.post("/aktivering/{activation_id}/okonomi/udgift/{expense_id}", include_in_schema=False)
async def correct_expense(
    activation_id: str, expense_id: RowId, request: Request, me: Finance, session: WriteSession
) -> Response:
    principal = acting(me, R.finance)
    form = await _fields(request, "amount", "text", "reason")
    errors: dict[str, str] = {}
    data = {**_amount(form, errors), "reason": form["reason"]}
    if form["text"]:
        data["text"] = form["text"]
    body = _model(ExpenseUpdate, data, errors)

    async def call() -> object:
        return await records.update_expense(
            session, activation_id, expense_id, body, by=principal.display_name, now=utcnow()
        )

    key = f"udgift-{expense_id}"
    return await _act(request, session, me, activation_id, key, form, errors, call)


@router.post("/aktivering/{activation_id}/okonomi/rolletid/{tenure_id}", include_in_schema=False)
async def correct_tenure(
    activation_id: str, tenure_id: RowId, request: Request, me: Finance, session: WriteSession
) -> Response:
    principal = acting(me, R.finance)
    form = await _fields(request, "started_at", "ended_at", "reason")
    tz = request.app.state.settings.tz
    data: dict[str, str] = {"reason": form["reason"]}
    for name in ("started_at", "ended_at"):
        if form[name]:
            data[name] = local_instant(form[name], tz)
    errors: dict[str, str] = {}
    body = _model(TenureCorrection, data, errors)

    async def call() -> object:
        return await records.correct_tenure(
            session, activation_id, tenure_id, body, by=principal.display_name, now=utcnow()
        )

    key = f"rolletid-{tenure_id}"
    return await _act(request, session, me, activation_id, key, form, errors, call)
