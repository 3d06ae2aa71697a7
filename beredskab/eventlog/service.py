"""Appending to and verifying an activation's log. Callers hold the activation row lock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation
from beredskab.eventlog.chain import VerifyResult, entry_hash, verify
from beredskab.eventlog.models import LogEntry
from beredskab.metadata import utcnow

SYSTEM = "system"


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
) -> LogEntry:
    """Append one entry. `activation` must have been loaded with `lock_activation` in this
    transaction: the lock is what keeps two writers from taking the same seq."""
    recorded_at = now or utcnow()
    fields: dict[str, Any] = {
        "activation_id": activation.id,
        "seq": activation.log_seq + 1,
        "occurred_at": occurred_at or recorded_at,
        "recorded_at": recorded_at,
        "actor": actor,
        "kind": kind,
        "text": text,
        "data": data,
        "corrects": corrects,
    }
    digest = entry_hash(activation.log_head_hash, **fields)
    entry = LogEntry(prev_hash=activation.log_head_hash, hash=digest, **fields)
    activation.log_seq += 1
    activation.log_head_hash = digest
    session.add(entry)
    session.add(activation)
    return entry


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
