"""Appending to and verifying an activation's log.

Appending runs inside the caller's transaction, which holds the activation row lock; verifying
only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import direct, staged
from beredskab.activations.models import Activation
from beredskab.activations.repository import get_visible
from beredskab.auth.service import Principal
from beredskab.errors import NotFound
from beredskab.eventlog.chain import VerifyResult, entry_hash, verify
from beredskab.eventlog.models import TEXT_MAX, LogEntry
from beredskab.metadata import utcnow

SYSTEM = "system"


def chained(
    activation_id: str,
    head_seq: int,
    head_hash: str,
    kind: str,
    text: str,
    *,
    actor: str,
    data: dict[str, Any] | None,
    occurred_at: datetime,
    corrects: int | None,
    recorded_at: datetime,
) -> dict[str, Any]:
    """The row of the entry that follows the head (`head_seq`, `head_hash`) of a log."""
    fields: dict[str, Any] = {
        "activation_id": activation_id,
        "seq": head_seq + 1,
        "occurred_at": occurred_at,
        "recorded_at": recorded_at,
        "actor": actor,
        "kind": kind,
        "text": text,
        "data": data,
        "corrects": corrects,
    }
    return {**fields, "prev_hash": head_hash, "hash": entry_hash(head_hash, **fields)}


def append(
    session: AsyncSession,
    activation: Activation,
    kind: str,
    text: str,
    *,
    actor: str = SYSTEM,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    corrects: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Append one entry; returns its row. `activation` must have been loaded with
    `lock_activation` in this transaction: the lock is what keeps two writers from taking the
    same seq. A text longer than the column is shortened, marked "…" (what it is made of is in
    `data`): the service writing its own log must not fail on what a caller named.

    The entry and the log's new head are staged (`staged`): a use case's entries are written in
    one INSERT and the head in one UPDATE, with its transaction."""
    recorded_at = now or utcnow()
    if len(text) > TEXT_MAX:
        text = text[: TEXT_MAX - 1] + "…"
    table = Activation.__table__
    head = staged.staged_update(session, table, activation.id)
    row = chained(
        activation.id,
        head.get("log_seq", activation.log_seq),
        head.get("log_head_hash", activation.log_head_hash),
        kind,
        text,
        actor=actor,
        data=data,
        occurred_at=occurred_at or recorded_at,
        corrects=corrects,
        recorded_at=recorded_at,
    )
    staged.stage(session, LogEntry.__table__, row)
    staged.stage_update(
        session, table, activation.id, log_seq=row["seq"], log_head_hash=row["hash"]
    )
    # the object shows the new head too, without the ORM writing it again
    set_committed_value(activation, "log_seq", row["seq"])
    set_committed_value(activation, "log_head_hash", row["hash"])
    return row


@dataclass(frozen=True)
class LogHead:
    """What appending needs of an activation: its name, whether it is archived, the chain's head."""

    activation_id: str
    ref: str
    archived_at: datetime | None
    archived_by: str | None
    seq: int
    hash: str


async def lock_head(conn: AsyncConnection, activation_id: str) -> LogHead:
    """Lock the activation row (as `lock_activation` does) and read only the log's head."""
    rows = await _HEAD.rows_on(conn, activation_id=activation_id)
    if not rows:
        raise NotFound(f"no activation {activation_id}")
    return LogHead(activation_id, *rows[0])


_A = Activation.__table__.c  # type: ignore[attr-defined]
_HEAD = direct.Query(
    lambda: (
        select(_A.ref, _A.archived_at, _A.archived_by, _A.log_seq, _A.log_head_hash)
        .where(_A.id == bindparam("activation_id"))
        .with_for_update()
    )
)


async def append_rows(conn: AsyncConnection, head: LogHead, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (made by `chained`, in order, after the locked head) and move the head:
    one direct INSERT for all of them and one UPDATE, where the ORM path takes a statement each."""
    if not rows:
        return
    await direct.insert_rows(conn, LogEntry.__table__, rows)
    await direct.update_row(
        conn,
        Activation.__table__,
        head.activation_id,
        {"log_seq": rows[-1]["seq"], "log_head_hash": rows[-1]["hash"]},
    )


async def verify_visible_log(
    session: AsyncSession, activation_id: str, principal: Principal
) -> VerifyResult:
    """Verify the log of an activation the caller may see."""
    return await verify_activation_log(
        session, await get_visible(session, principal, activation_id)
    )


# A log's chain is read whole to verify it (~0.3-0.5 s at 10,000 entries), and the Logbog page's
# badge asks on every load. A result is kept in this process per (activation, head) for a while:
# a new entry moves the head and so verifies afresh; rows changed behind the service's back are
# seen at the latest VERIFIED_FOR later (and at once on the full check, `verify_visible_log`).
VERIFIED_FOR = timedelta(minutes=5)
_VERIFIED_MAX = 256
_verified: dict[tuple[str, int, str | None], tuple[datetime, VerifyResult]] = {}


async def verify_visible_log_cached(
    session: AsyncSession, activation_id: str, principal: Principal, *, now: datetime
) -> VerifyResult:
    """`verify_visible_log`, answered from this process's recent result for the same head."""
    activation = await get_visible(session, principal, activation_id)
    key = (activation.id, activation.log_seq, activation.log_head_hash)
    kept = _verified.get(key)
    if kept is not None and now - kept[0] < VERIFIED_FOR:
        return kept[1]
    result = await verify_activation_log(session, activation)
    if len(_verified) >= _VERIFIED_MAX:
        _verified.pop(next(iter(_verified)))  # the oldest kept
    _verified.pop(key, None)
    _verified[key] = (now, result)
    return result


async def verify_log_by_reference(session: AsyncSession, ref: str) -> VerifyResult:
    """Verify the log of the activation with this reference or id (as the CLI names it)."""
    activation = (
        await session.exec(
            select(Activation).where(or_(Activation.ref == ref, Activation.id == ref))
        )
    ).first()
    if activation is None:
        raise NotFound(f"no activation {ref!r}")
    return await verify_activation_log(session, activation)


async def verify_activation_log(session: AsyncSession, activation: Activation) -> VerifyResult:
    entries = (
        await session.exec(
            select(LogEntry).where(LogEntry.activation_id == activation.id).order_by(LogEntry.seq)
        )
    ).all()
    result = verify(entries)
    if result.ok and (
        result.entries != activation.log_seq
        or (entries and entries[-1].hash != activation.log_head_hash)
    ):
        # the chain alone cannot see a removed tail; the head stored on the activation can
        return VerifyResult(ok=False, entries=result.entries, first_bad_seq=result.entries + 1)
    return result
