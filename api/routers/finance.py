"""Finance outside one activation: the DDH hourly rate, training sessions, the finance report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import SessionDep, require_roles
from api.routers.costs import Rules
from beredskab.auth.models import TokenRole as R
from beredskab.auth.service import Principal
from beredskab.costs import tariffs
from beredskab.costs.schemas import TariffCreate, TariffOut
from beredskab.metadata import utcnow

router = APIRouter(tags=["finance"])

FinanceOrAdmin = Annotated[Principal, Depends(require_roles(R.finance, R.admin))]


@router.get("/tariffs", summary="The DDH hourly rate by the date it takes effect")
async def list_tariffs(_: FinanceOrAdmin, session: SessionDep) -> list[TariffOut]:
    return await tariffs.list_tariffs(session)


@router.post(
    "/tariffs",
    status_code=201,
    summary="Set the DDH hourly rate from a date (a past date or a replacement needs a reason)",
)
async def add_tariff(
    body: TariffCreate, principal: FinanceOrAdmin, session: SessionDep, rules: Rules
) -> TariffOut:
    return await tariffs.add_tariff(session, body, rules, by=principal.display_name, now=utcnow())
