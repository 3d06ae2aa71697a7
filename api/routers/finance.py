"""Finance outside one activation: the DDH hourly rate, training sessions, the finance report."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import FirstDay, LastDay, RowId, Rules, SessionDep, attachment, require_roles
from api.openapi import NO_RATE, problems
from beredskab.auth.models import TokenRole as R
from beredskab.auth.service import Principal
from beredskab.costs import export, report, tariffs, training
from beredskab.costs.schemas import (
    TariffCreate,
    TariffOut,
    TrainingCreate,
    TrainingOut,
    TrainingUpdate,
)
from beredskab.instants import Day
from beredskab.metadata import utcnow

router = APIRouter(tags=["finance"])

FinanceOrAdmin = Annotated[Principal, Depends(require_roles(R.finance, R.admin))]
ReportReader = Annotated[Principal, Depends(require_roles(R.finance, R.authority))]
XLSX = export.XLSX


# The report's JSON as `costs.export.to_json` writes it: declared here so a client generated
# from /openapi.json reads it (the schemathesis test checks the two agree).
class ReportLineOut(BaseModel):
    activation_id: str | None = Field(description="null for a training session")
    ref: str
    title: str
    status: str = Field(examples=["final", "draft", "training"])
    category: str = Field(examples=["crisis_staff", "contact_centre_shift", "expense"])
    in_hours: bool | None
    hours: float = Field(description="agent hours")
    rate_ore_per_hour: int | None
    amount_ore: int
    amount_dkk: str
    debtor_id: str
    creditor_id: str
    text: str


class ReportPartyOut(BaseModel):
    org_id: str
    name: str
    cvr: str | None
    ean: str | None
    amount_ore: int
    amount_dkk: str
    lines: list[ReportLineOut]


class ReportTotalsOut(BaseModel):
    invoiced_ore: int
    invoiced_dkk: str
    ddh_share_ore: int
    ddh_share_dkk: str
    reimbursed_ore: int
    reimbursed_dkk: str


class FinanceReportOut(BaseModel):
    from_: str = Field(alias="from", description="first local date, YYYY-MM-DD")
    to: str = Field(description="last local date, included")
    generated_at: str
    invoices: list[ReportPartyOut] = Field(description="per authority: what it is invoiced")
    reimbursements: list[ReportPartyOut] = Field(description="per organisation: reimbursed")
    ddh_share: ReportPartyOut
    totals: ReportTotalsOut


REPORT = {
    "description": "The report as JSON (format=json), CSV (csv) or an Excel workbook (xlsx)",
    "model": FinanceReportOut,
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        XLSX: {"schema": {"type": "string", "format": "binary"}},
    },
}


@router.get("/tariffs", summary="The DDH hourly rate by the date it takes effect")
async def list_tariffs(_: FinanceOrAdmin, session: SessionDep) -> list[TariffOut]:
    return await tariffs.list_tariffs(session)


@router.post(
    "/tariffs",
    status_code=201,
    summary="Set the DDH hourly rate from a date (a past date or a replacement needs a reason)",
    responses=problems(409),
)
async def add_tariff(
    body: TariffCreate, principal: FinanceOrAdmin, session: SessionDep, rules: Rules
) -> TariffOut:
    return await tariffs.add_tariff(session, body, rules, by=principal.display_name, now=utcnow())


@router.get("/training-sessions", summary="Training sessions (reimbursed outside activations)")
async def list_training(
    _: FinanceOrAdmin,
    session: SessionDep,
    rules: Rules,
    first: Annotated[Day | None, Query(alias="from")] = None,
    last: Annotated[Day | None, Query(alias="to")] = None,
) -> list[TrainingOut]:
    return await training.list_sessions(session, rules, first, last)


@router.post("/training-sessions", status_code=201, summary="Register a training session")
async def add_training(
    body: TrainingCreate, principal: FinanceOrAdmin, session: SessionDep, rules: Rules
) -> TrainingOut:
    return await training.add_session(session, body, rules, by=principal.display_name, now=utcnow())


@router.get(
    "/training-sessions/{training_id}",
    summary="One training session and its history",
    responses=problems(404),
)
async def get_training(
    training_id: RowId, _: FinanceOrAdmin, session: SessionDep, rules: Rules
) -> TrainingOut:
    return await training.get_session(session, rules, training_id)


@router.patch(
    "/training-sessions/{training_id}",
    summary="Correct a training session (reason required; kept in its history)",
    responses=problems(404),
)
async def update_training(
    training_id: RowId,
    body: TrainingUpdate,
    principal: FinanceOrAdmin,
    session: SessionDep,
    rules: Rules,
) -> TrainingOut:
    return await training.update_session(
        session, training_id, body, rules, by=principal.display_name, now=utcnow()
    )


@router.get(
    "/costs/report",
    summary="Finance report: invoices per authority, reimbursements, DDH's share, line detail",
    description="Activations that ended on local dates from..to (both included) and training "
    "sessions held then. Finance sees everything; an authority its own invoice, its own "
    "reimbursement and DDH's share of its own activations. `to` must not be before `from`, and "
    "the period may be at most 400 days.",
    response_class=Response,
    responses={200: REPORT, **problems(409, s409=NO_RATE)},
)
async def finance_report(
    principal: ReportReader,
    session: SessionDep,
    rules: Rules,
    first: FirstDay,
    last: LastDay,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Response:
    now = utcnow()
    built = await report.for_reader(session, rules, principal, first, last, now=now)
    if format in ("csv", "xlsx"):
        return attachment(*export.as_file(built, format, now))
    return JSONResponse(export.to_json(built, now))
