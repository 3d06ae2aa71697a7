"""Who may write in an activation's log, read from its role tenures and delegates and decided by
`write_rule.decide`.

`refusals` is the check the log's group writer (`eventlog.appender`) runs once per round,
inside the round's transaction and under the activation lock: one query for the whole round,
and no staleness. `may_write_log` is the same rule for one person (the web console asks it).
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.crisis_staff.models import LogDelegate, RoleTenure
from beredskab.crisis_staff.write_rule import Delegation, MayNotWrite, Tenure, decide


async def _facts(
    conn: AsyncConnection, activation_id: str, person_ids: Collection[str]
) -> tuple[list[Tenure], list[Delegation]]:
    """The tenures and delegations of `person_ids` in one activation, in one query."""
    t, d = RoleTenure.__table__.c, LogDelegate.__table__.c
    rows = await conn.execute(
        union_all(
            select(literal("t"), t.person_id, t.role, t.ended_at, t.end_reason).where(
                t.activation_id == activation_id, t.person_id.in_(person_ids)
            ),
            select(literal("d"), d.person_id, literal(""), d.removed_at, literal("")).where(
                d.activation_id == activation_id, d.person_id.in_(person_ids)
            ),
        )
    )
    tenures: list[Tenure] = []
    delegations: list[Delegation] = []
    for kind, person_id, role, ended_at, end_reason in rows:
        if kind == "t":
            tenures.append(Tenure(person_id, role, ended_at, end_reason))
        else:
            delegations.append(Delegation(person_id, ended_at))
    return tenures, delegations


async def refusals(
    conn: AsyncConnection, activation_id: str, person_ids: Collection[str | None]
) -> dict[str | None, str]:
    """Why each of `person_ids` (None: a caller bound to no person) may not write in the log;
    those who may are absent. Runs inside the caller's transaction."""
    known = [p for p in set(person_ids) if p is not None]
    tenures, delegations = await _facts(conn, activation_id, known) if known else ([], [])
    out: dict[str | None, str] = {}
    for person_id in set(person_ids):
        decision = decide(person_id, tenures, delegations)
        if isinstance(decision, MayNotWrite):
            out[person_id] = decision.reason
    return out


async def may_write_log(session: AsyncSession, activation_id: str, person_id: str | None) -> bool:
    """May this person write in the activation's log now?"""
    conn = await session.connection()
    return person_id not in await refusals(conn, activation_id, [person_id])
