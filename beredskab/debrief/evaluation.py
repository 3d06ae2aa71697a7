"""The crisis leader's evaluation: written after stand-down and before the log is archived.

Every change is a log entry in the same transaction (what changed, from what to what), so no
edit is silent. The log is read-only once archived, and so is the evaluation: it is part of the
record, and an archive that could still change would not be one. Archive after evaluating.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import OPEN_STATUSES
from beredskab.activations.repository import get_visible, lock_activation, require_crisis_leader
from beredskab.auth.service import Principal
from beredskab.debrief.models import ActivationEvaluation
from beredskab.debrief.schemas import EvaluationIn, EvaluationOut
from beredskab.errors import Conflict, NotFound
from beredskab.eventlog import service as eventlog
from beredskab.unit_of_work import transaction

FIELDS = list(EvaluationIn.model_fields)
# the Danish names the log entry uses
FIELD_DA = {
    "average_wait_seconds": "gennemsnitlig ventetid",
    "longest_wait_seconds": "længste ventetid",
    "calls_answered": "besvarede opkald",
    "chats_answered": "besvarede chats",
    "guides": "vejledninger",
    "citizen_impact": "betydning for borgerne",
    "went_well": "hvad gik godt",
    "to_change": "hvad skal ændres",
    "notes": "fritekst",
}


def to_out(row: ActivationEvaluation) -> EvaluationOut:
    return EvaluationOut.model_validate(row, from_attributes=True)


async def get_evaluation(
    session: AsyncSession, activation_id: str, principal: Principal
) -> EvaluationOut:
    activation = await get_visible(session, principal, activation_id)
    row = await session.get(ActivationEvaluation, activation.id)
    if row is None:
        raise NotFound(f"{activation.ref} has no evaluation yet")
    return to_out(row)


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"from": old, "to": new}} for each field that differs."""
    return {
        name: {"from": before.get(name), "to": after[name]}
        for name in FIELDS
        if before.get(name) != after[name]
    }


async def put_evaluation(
    session: AsyncSession,
    activation_id: str,
    body: EvaluationIn,
    principal: Principal,
    *,
    now: datetime,
) -> EvaluationOut:
    """Write the whole evaluation (the activation's crisis leader only, after stand-down, before
    archive); the log gets what changed. An unchanged PUT writes nothing."""
    by = principal.display_name
    async with transaction(session):
        visible = await get_visible(session, principal, activation_id)
        await require_crisis_leader(session, visible, principal)
        activation = await lock_activation(session, visible.id)
        if activation.status in OPEN_STATUSES:
            raise Conflict(
                f"{activation.ref} is {activation.status}; the evaluation is written after "
                "stand-down"
            )
        if activation.archived_at is not None:
            raise Conflict(
                f"the log of {activation.ref} is archived and read-only; so is its evaluation "
                "(evaluate before archiving)"
            )
        after = body.model_dump(mode="json")
        row = await session.get(ActivationEvaluation, activation.id)
        before = {} if row is None else to_out(row).model_dump(mode="json", include=set(FIELDS))
        changed = changes(before, after)
        if row is not None and not changed:
            return to_out(row)
        if row is None:
            row = ActivationEvaluation(
                activation_id=activation.id,
                created_at=now,
                created_by=by,
                updated_at=now,
                updated_by=by,
            )
        for name in FIELDS:
            setattr(row, name, after[name])
        row.updated_at, row.updated_by = now, by
        session.add(row)
        names = ", ".join(FIELD_DA[n] for n in changed) or "ingen felter udfyldt"
        verb = "skrevet" if not before else "ændret"
        eventlog.append(
            session,
            activation,
            "evaluation",
            f"Evalueringen {verb} af {by}: {names}.",
            actor=by,
            data={"changed": changed},
            now=now,
        )
        await session.flush()
        out = to_out(row)
    return out
