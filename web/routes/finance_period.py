"""Økonomi outside one activation: the DDH hourly rate (tariffs) and the period report with its
downloads, as api/routers/finance.py allows (tariffs: finance and admin; the report: finance)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from api.deps import attachment
from beredskab.auth.identity import Identity
from beredskab.auth.models import TokenRole as R
from beredskab.costs import export, report, tariffs
from beredskab.costs.schemas import TariffCreate
from beredskab.errors import Conflict, FieldProblem, InvalidInput
from beredskab.instants import Day
from beredskab.metadata import utcnow
from web.deps import ReadSession, WriteSession, acting, allow
from web.forms import invalid_input_errors, ore, parse
from web.render import render

router = APIRouter()
Reader = Annotated[Identity, Depends(allow(R.finance, R.admin))]  # tariffs, as in the API
Finance = Annotated[Identity, Depends(allow(R.finance))]  # the report, as in the API
NO_RATE = (
    "Rapporten kan ikke beregnes: der er ingen DDH-timepris for en dag med arbejde i perioden. "
    "Indtast timeprisen nedenfor."
)


class Period(BaseModel):
    """The report's period: local dates, both included."""

    first: Day
    last: Day


def _default_period(request: Request) -> dict[str, str]:
    today = utcnow().astimezone(request.app.state.settings.tz).date()
    return {"first": str(today.replace(day=1)), "last": str(today)}


async def _page(
    request: Request,
    session,  # noqa: ANN001 - an AsyncSession
    me: Identity,
    *,
    period: dict[str, str],
    tariff_form: dict | None = None,
    tariff_errors: dict | None = None,
    status: int = 200,
) -> Response:
    context: dict = {
        "tariffs": await tariffs.list_tariffs(session),
        "tariff_form": tariff_form or {},
        "tariff_errors": tariff_errors or {},
        "may_report": me.has(R.finance),
        "period": period,
        "period_errors": {},
        "built": None,
        "problem": "",
    }
    if context["may_report"] and "vis" in period:
        chosen, errors = parse(Period, period)
        if chosen is not None:
            try:
                context["built"] = await _report(request, session, me, chosen)
            except InvalidInput as exc:  # the service names the period's end "to"
                errors = {"last": next(iter(invalid_input_errors(exc).values()))}
            except Conflict:
                context["problem"] = NO_RATE
        context["period_errors"] = errors
        if errors:
            status = 422
    return render(request, "finance_period.html", context, status=status)


async def _report(request: Request, session, me: Identity, chosen: Period) -> report.Report:  # noqa: ANN001
    rules = request.app.state.runtime.activation_config.opening_rules
    principal = acting(me, R.finance)
    return await report.for_reader(
        session, rules, principal, chosen.first, chosen.last, now=utcnow()
    )


@router.get("/okonomi", include_in_schema=False)
async def finance_page(request: Request, me: Reader, session: ReadSession) -> Response:
    period = dict(request.query_params) if "vis" in request.query_params else {}
    return await _page(request, session, me, period=period or _default_period(request))


@router.get("/okonomi/rapport.{kind}", include_in_schema=False)
async def download_report(
    kind: Literal["json", "csv", "xlsx"],
    first: str,
    last: str,
    request: Request,
    me: Finance,
    session: ReadSession,
) -> Response:
    chosen, errors = parse(Period, {"first": first, "last": last})
    if chosen is None:
        raise InvalidInput([FieldProblem(name, message) for name, message in errors.items()])
    now = utcnow()
    built = await _report(request, session, me, chosen)
    return attachment(*export.as_file(built, kind, now))


@router.post("/okonomi/timepris", include_in_schema=False)
async def add_tariff(request: Request, me: Reader, session: WriteSession) -> Response:
    principal = acting(me, R.finance, R.admin)
    raw = await request.form()
    form = {name: str(raw.get(name, "")).strip() for name in ("valid_from", "rate", "reason")}
    data: dict[str, object] = {"valid_from": form["valid_from"]}
    errors: dict[str, str] = {}
    if form["rate"]:
        rate = ore(form["rate"])
        if rate is None:
            errors["rate"] = "Skriv en timepris i kroner, fx 456,78."
        else:
            data["rate_ore_per_hour"] = rate
    if form["reason"]:
        data["reason"] = form["reason"]
    body, faults = parse(TariffCreate, data)
    errors = {**faults, **errors}
    if body is not None and not errors:
        rules = request.app.state.runtime.activation_config.opening_rules
        try:
            await tariffs.add_tariff(session, body, rules, by=principal.display_name, now=utcnow())
        except InvalidInput as exc:
            errors = invalid_input_errors(exc)
        else:
            return RedirectResponse("/okonomi#timepris", status_code=303)
    errors = {("rate" if k == "rate_ore_per_hour" else k): v for k, v in errors.items()}
    return await _page(
        request,
        session,
        me,
        period=_default_period(request),
        tariff_form=form,
        tariff_errors=errors,
        status=422,
    )
