"""E-invoices (#17): create them for a period, list them, the XML and its HTML rendering, send
one through the access point (FileDrop), and its state (by finance or the access point's
receipt)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.deps import FirstDay, LastDay, Rules, RuntimeDep, SessionDep, require_roles
from api.openapi import problems
from beredskab.auth.models import TokenRole as R
from beredskab.auth.service import Principal
from beredskab.invoices import render, sending, service
from beredskab.invoices.models import Invoice, InvoiceKind, InvoiceState
from beredskab.metadata import utcnow

router = APIRouter(tags=["invoices"])

Finance = Annotated[Principal, Depends(require_roles(R.finance))]
Reader = Annotated[Principal, Depends(require_roles(R.finance, R.authority))]
Number = Annotated[str, Path(pattern=r"^\d{4}-\d{5}$", description="e.g. 2026-00001")]


class InvoiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    number: str
    kind: InvoiceKind
    debtor_id: str
    refers_to: str | None = Field(description="the invoice a credit note or adjustment refers to")
    period_start: date
    period_end: date
    issue_date: date
    due_date: date | None
    total_ore: int
    state: InvoiceState
    state_at: datetime
    state_by: str
    state_note: str


class InvoiceRun(BaseModel):
    from_: date = Field(alias="from", description="first local date of stand-down")
    to: date = Field(description="last local date, included")


class StateChange(BaseModel):
    state: InvoiceState = Field(description="sent, accepted or rejected")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""


def _out(row: Invoice) -> InvoiceOut:
    return InvoiceOut.model_validate(row)


@router.post(
    "/invoices",
    status_code=201,
    summary="Create the e-invoices of a period's final statements, and credit notes",
    description="One Peppol BIS 3.0 invoice per authority for the final statements of "
    "activations that ended from..to and are not invoiced yet; each adjustment of an invoiced "
    "activation becomes a credit note (lowers) or an invoice (raises). Nothing new: [].",
    responses=problems(409, 422),
)
async def create_invoices(
    body: InvoiceRun, principal: Finance, session: SessionDep, rules: Rules, runtime: RuntimeDep
) -> list[InvoiceOut]:
    config = sending.config_from(runtime.settings)
    made = await service.create_for_period(
        session, rules, config, body.from_, body.to, by=principal.display_name, now=utcnow()
    )
    return [_out(row) for row in made]


@router.get(
    "/invoices",
    summary="The e-invoices and credit notes of runs for a period (an authority: its own)",
    responses=problems(422),
)
async def list_invoices(
    principal: Reader, session: SessionDep, first: FirstDay, last: LastDay
) -> list[InvoiceOut]:
    return [_out(r) for r in await service.list_for(session, principal, first, last)]


@router.get(
    "/invoices/{number}.xml",
    summary="The document as sent: UBL 2.1 XML (Peppol BIS Billing 3.0)",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}, **problems(404)},
)
async def invoice_xml(number: Number, principal: Reader, session: SessionDep) -> Response:
    row = await service.get(session, principal, number)
    return Response(row.xml, media_type="application/xml")


@router.get(
    "/invoices/{number}.html",
    summary="The same document for people: Danish HTML",
    response_class=HTMLResponse,
    responses=problems(404),
)
async def invoice_html(number: Number, principal: Reader, session: SessionDep) -> HTMLResponse:
    row = await service.get(session, principal, number)
    return HTMLResponse(render.html(row.xml, str(row.state)))


@router.post(
    "/invoices/{number}/send",
    summary="Validate the document against the official rules and hand it to the access point",
    responses=problems(404, 409),
)
async def send_invoice(
    number: Number, principal: Finance, session: SessionDep, runtime: RuntimeDep
) -> InvoiceOut:
    point = sending.access_point(runtime.settings)
    row = await sending.send(session, number, point, by=principal.display_name, now=utcnow())
    return _out(row)


class ReceiptsOut(BaseModel):
    applied: list[str] = Field(description="<number>: <state> for each receipt applied")
    ignored: list[str] = Field(description="<file>: why, for each receipt that changed nothing")


@router.post(
    "/invoices/receipts",
    summary="Apply the access point's receipts (Peppol Invoice Responses) to the states",
    description="AP, CA and PD accept a sent document, RE rejects it; other codes change "
    "nothing. Each receipt is applied once, then archived.",
)
async def collect_receipts(
    principal: Finance, session: SessionDep, runtime: RuntimeDep
) -> ReceiptsOut:
    point = sending.access_point(runtime.settings)
    found = await sending.collect_receipts(session, point, now=utcnow())
    return ReceiptsOut(applied=found.applied, ignored=found.ignored)


@router.post(
    "/invoices/{number}/state",
    summary="Set the state: sent, or accepted/rejected as the access point's receipt says",
    responses=problems(404, 409, 422),
)
async def set_invoice_state(
    number: Number, body: StateChange, principal: Finance, session: SessionDep
) -> InvoiceOut:
    row = await service.set_state(
        session, number, body.state, note=body.note, by=principal.display_name, now=utcnow()
    )
    return _out(row)
