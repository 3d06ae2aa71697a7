"""One activation's costs: the statement, expenses, time actually worked, final, adjustments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import RowId, Rules, SessionDep, require_roles
from api.openapi import NO_RATE, problems
from beredskab.auth.models import TokenRole as R
from beredskab.auth.service import Principal
from beredskab.costs import final, records
from beredskab.costs.schemas import (
    AdjustmentCreate,
    AllocationActuals,
    AllocationOut,
    ExpenseCreate,
    ExpenseOut,
    ExpenseUpdate,
    StatementOut,
    TenureCorrection,
    TenureOut,
)
from beredskab.metadata import utcnow

router = APIRouter(prefix="/activations/{activation_id}", tags=["costs"])

Reader = Annotated[Principal, Depends(require_roles(R.finance, R.admin, R.authority))]
Finance = Annotated[Principal, Depends(require_roles(R.finance))]
Reporter = Annotated[Principal, Depends(require_roles(R.finance, R.crisis_staff))]


@router.get(
    "/costs",
    summary="Cost statement: lines, their split, debtor, creditor, totals",
    responses=problems(404, 409, s409=NO_RATE),
)
async def get_costs(
    activation_id: str, principal: Reader, session: SessionDep, rules: Rules
) -> StatementOut:
    return await final.get_statement(session, activation_id, principal, rules, utcnow())


@router.post(
    "/costs/final",
    summary="Mark the statement final (after stand-down); logged",
    responses=problems(404, 409),
)
async def finalise(
    activation_id: str, principal: Finance, session: SessionDep, rules: Rules
) -> StatementOut:
    return await final.finalise(
        session, activation_id, rules, by=principal.display_name, now=utcnow()
    )


@router.post(
    "/costs/adjustments",
    status_code=201,
    summary="Add a signed adjustment line (logged)",
    responses=problems(404, 409),
)
async def add_adjustment(
    activation_id: str,
    body: AdjustmentCreate,
    principal: Finance,
    session: SessionDep,
    rules: Rules,
) -> StatementOut:
    return await final.add_adjustment(
        session, activation_id, body, rules, by=principal.display_name, now=utcnow()
    )


@router.get("/expenses", summary="Expenses entered for this activation", responses=problems(404))
async def list_expenses(activation_id: str, _: Finance, session: SessionDep) -> list[ExpenseOut]:
    return await records.list_expenses(session, activation_id)


@router.post(
    "/expenses",
    status_code=201,
    summary="Enter an expense (amount, text, creditor)",
    responses=problems(404, 409),
)
async def add_expense(
    activation_id: str, body: ExpenseCreate, principal: Finance, session: SessionDep
) -> ExpenseOut:
    return await records.add_expense(
        session, activation_id, body, by=principal.display_name, now=utcnow()
    )


@router.patch(
    "/expenses/{expense_id}",
    summary="Correct an expense (reason required; logged)",
    responses=problems(404, 409),
)
async def update_expense(
    activation_id: str,
    expense_id: RowId,
    body: ExpenseUpdate,
    principal: Finance,
    session: SessionDep,
) -> ExpenseOut:
    return await records.update_expense(
        session, activation_id, expense_id, body, by=principal.display_name, now=utcnow()
    )


@router.get(
    "/role-tenures",
    summary="Who held each crisis-staff role, from when to when",
    responses=problems(404),
)
async def list_tenures(activation_id: str, _: Finance, session: SessionDep) -> list[TenureOut]:
    return await records.list_tenures(session, activation_id)


@router.patch(
    "/role-tenures/{tenure_id}",
    summary="Correct a role's start or end (reason required; logged)",
    responses=problems(404, 409),
)
async def correct_tenure(
    activation_id: str,
    tenure_id: RowId,
    body: TenureCorrection,
    principal: Finance,
    session: SessionDep,
) -> TenureOut:
    return await records.correct_tenure(
        session, activation_id, tenure_id, body, by=principal.display_name, now=utcnow()
    )


@router.patch(
    "/allocations/{allocation_id}/actuals",
    summary="Report a volunteer allocation's actual start, end and agents (logged)",
    responses=problems(404, 409),
)
async def report_actuals(
    activation_id: str,
    allocation_id: RowId,
    body: AllocationActuals,
    principal: Reporter,
    session: SessionDep,
    rules: Rules,
) -> AllocationOut:
    return await records.report_actuals(
        session, activation_id, allocation_id, body, principal, tz=rules.tz, now=utcnow()
    )
