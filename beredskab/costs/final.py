"""One activation's cost statement as finance works it: read, made final, adjusted after.

Writers lock the activation first (its log hangs off that row), log what they did, and commit
their own transaction; the answer is the statement read after the commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import OPEN_STATUSES
from beredskab.activations.repository import get_visible, lock_activation
from beredskab.auth.service import Principal
from beredskab.billing import Statement, format_dkk
from beredskab.calendar import OpeningRules
from beredskab.costs import statement as statements
from beredskab.costs.models import CostAdjustment, CostFinal, CostFinalGroup
from beredskab.costs.schemas import AdjustmentCreate, StatementOut
from beredskab.directory.service import known_org
from beredskab.errors import Conflict, InvalidInput
from beredskab.eventlog import service as eventlog
from beredskab.unit_of_work import transaction


async def debtor_ids(session: AsyncSession, authority_id: str) -> tuple[str, str]:
    """Who may owe an adjustment of an activation: its authority or DDH (the cooperation)."""
    return authority_id, await statements.ddh_id(session)


async def get_statement(
    session: AsyncSession,
    activation_id: str,
    principal: Principal,
    rules: OpeningRules,
    now: datetime,
) -> StatementOut:
    """The statement as it stands (an authority sees its own activations only)."""
    activation = await get_visible(session, principal, activation_id)
    return await statements.current(session, activation, rules, now)


def final_groups(activation_id: str, statement: Statement) -> list[CostFinalGroup]:
    return [
        CostFinalGroup(
            activation_id=activation_id,
            category=key.category,
            in_hours=key.in_hours,
            rate_ore_per_hour=key.rate_ore_per_hour,
            debtor_id=key.debtor,
            creditor_id=key.creditor,
            agent_micros=micros,
            amount_ore=amount,
        )
        for key, (micros, amount) in statements.group_parts(statement).items()
    ]


async def finalise(
    session: AsyncSession,
    activation_id: str,
    rules: OpeningRules,
    *,
    by: str,
    now: datetime,
) -> StatementOut:
    async with transaction(session):
        activation = await lock_activation(session, activation_id)
        if activation.status in OPEN_STATUSES:
            raise Conflict(
                f"activation {activation.ref} is {activation.status}: stand it down first"
            )
        if await session.get(CostFinal, activation.id) is not None:
            raise Conflict(f"the cost statement of {activation.ref} is already final")
        out, statement = await statements.recompute(session, activation, rules, now)
        out = out.model_copy(update={"status": "final", "finalised_at": now, "finalised_by": by})
        session.add(
            CostFinal(
                activation_id=activation.id,
                finalised_at=now,
                finalised_by=by,
                snapshot=out.model_dump(mode="json"),
            )
        )
        await session.flush()
        session.add_all(final_groups(activation.id, statement))
        eventlog.append(
            session,
            activation,
            "cost_statement_final",
            f"Omkostningsopgørelsen er endelig: {format_dkk(out.total_ore)} kr. "
            f"i {len(out.lines)} linjer.",
            actor=by,
            data={
                "total_ore": out.total_ore,
                "by_debtor": {t.org_id: t.amount_ore for t in out.by_debtor},
            },
            now=now,
        )
    return await statements.current(session, activation, rules, now)


async def add_adjustment(
    session: AsyncSession,
    activation_id: str,
    body: AdjustmentCreate,
    rules: OpeningRules,
    *,
    by: str,
    now: datetime,
) -> StatementOut:
    async with transaction(session):
        activation = await lock_activation(session, activation_id)
        if body.amount_ore == 0:
            raise InvalidInput("amount_ore", "must not be 0")
        authority, ddh = await debtor_ids(session, activation.authority_id)
        if body.debtor_id not in (authority, ddh):
            raise InvalidInput("debtor_id", f"must be the authority ({authority}) or DDH ({ddh})")
        await known_org(session, "debtor_id", body.debtor_id)
        await known_org(session, "creditor_id", body.creditor_id)
        session.add(
            CostAdjustment(
                activation_id=activation.id,
                amount_ore=body.amount_ore,
                debtor_id=body.debtor_id,
                creditor_id=body.creditor_id,
                reason=body.reason,
                created_at=now,
                created_by=by,
            )
        )
        eventlog.append(
            session,
            activation,
            "cost_adjustment",
            f"Reguleringslinje {format_dkk(body.amount_ore)} kr.: {body.debtor_id} betaler, "
            f"{body.creditor_id} modtager. Begrundelse: {body.reason}",
            actor=by,
            data=body.model_dump(),
            now=now,
        )
    return await statements.current(session, activation, rules, now)
