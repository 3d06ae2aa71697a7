"""The log keeper's side of the log: manual entries, corrections, the timeline query, archive.

No edit and no delete exist: a correction is a new entry pointing at the one it corrects.
Manual entries are written by the group writer (appender.py), which owns its transactions;
`archive` is a use case that commits its own; the rest only reads.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation, ActivationStatus
from beredskab.activations.repository import get_visible, lock_activation, require_crisis_leader
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.directory.models import Organisation
from beredskab.errors import Conflict, Forbidden, InvalidInput
from beredskab.eventlog import service as eventlog
from beredskab.eventlog.models import LogEntry
from beredskab.eventlog.schemas import LogEntryCreate, LogEntryRead
from beredskab.eventlog.service import LogHead
from beredskab.instants import MAX_YEAR, MIN_YEAR
from beredskab.metadata import MAX_INTEGER
from beredskab.unit_of_work import transaction

CLOCK_SKEW = timedelta(minutes=2)  # a phone's clock a little ahead is not "the future"
MAX_PAGE = 500


def manual_entry(
    head: LogHead, data: LogEntryCreate, *, author: str, now: datetime
) -> dict[str, Any]:
    """Check one manual entry against the head of a locked log and return its row, chained to
    that head. Pure: a refused entry changes nothing (the group writer relies on that)."""
    if head.archived_at is not None:
        raise Forbidden(
            f"the log of {head.ref} was archived {head.archived_at:%Y-%m-%d %H:%M} "
            f"UTC by {head.archived_by}; it is read-only"
        )
    occurred_at = data.occurred_at or now
    if occurred_at > now + CLOCK_SKEW:
        raise InvalidInput("occurred_at", "must not be in the future")
    if data.corrects is not None and not 1 <= data.corrects <= head.seq:
        raise InvalidInput("corrects", f"no entry {data.corrects} in the log of {head.ref}")
    extra: dict = {}
    if data.source is not None:
        extra["source"] = data.source.model_dump()
    if data.tags:
        extra["tags"] = data.tags
    return eventlog.chained(
        head.activation_id,
        head.seq,
        head.hash,
        data.kind,
        data.text,
        actor=author,
        data=extra or None,
        occurred_at=occurred_at,
        corrects=data.corrects,
        recorded_at=now,
    )


async def archive(
    session: AsyncSession, activation_id: str, principal: Principal, *, now: datetime
) -> Activation:
    """Make the log read-only, for good (steering, or the activation's crisis leader); logged."""
    by = principal.display_name
    async with transaction(session):
        visible = await get_visible(session, principal, activation_id)
        if principal.role is TokenRole.crisis_staff:
            await require_crisis_leader(session, visible, principal)
        activation = await lock_activation(session, visible.id)
        if activation.status in (ActivationStatus.requested, ActivationStatus.active):
            raise Conflict(
                f"{activation.ref} is {activation.status}; stand it down before archiving"
            )
        if activation.archived_at is not None:
            raise Conflict(f"{activation.ref} is already archived")
        eventlog.append(
            session,
            activation,
            "archived",
            f"Loggen arkiveret af {by}; herefter skrivebeskyttet.",
            actor=by,
            now=now,
        )
        activation.archived_at = now
        activation.archived_by = by
        session.add(activation)
    return activation


@dataclass(frozen=True)
class TimelineQuery:
    kind: str | None = None
    author: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    text: str | None = None
    order: str = "seq"  # or "occurred_at", or "newest" (seq, newest first: the console's page)
    cursor: str | None = None
    after_seq: int = 0  # entries after this seq (the live feed's Last-Event-ID, ?after=)
    limit: int = 100


def _encode_cursor(order: str, entry: LogEntry) -> str:
    key = [entry.occurred_at.isoformat(), entry.seq] if order == "occurred_at" else [entry.seq]
    return base64.urlsafe_b64encode(json.dumps([order, *key]).encode()).decode()


def _decode_cursor(cursor: str, order: str) -> list:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(decoded, list) or not decoded:
            raise ValueError("not a list")
        if decoded[0] != order:
            raise ValueError("cursor belongs to another ordering")
        seq = int(decoded[-1])
        if not 0 <= seq <= MAX_INTEGER:
            raise ValueError("seq out of range")
        if order != "occurred_at":
            return [seq]
        at = datetime.fromisoformat(decoded[1])
        if at.utcoffset() is None or not MIN_YEAR <= at.year <= MAX_YEAR:
            raise ValueError("time out of range")
        return [at, seq]
    except (ValueError, IndexError, TypeError, OverflowError) as exc:
        raise InvalidInput("cursor", f"is not a cursor from this timeline ({exc})") from None


def is_cursor(cursor: str, order: str) -> bool:
    """Whether `cursor` is one this timeline gave out for `order` (a page may start afresh)."""
    try:
        _decode_cursor(cursor, order)
    except InvalidInput:
        return False
    return True


async def visible_timeline(
    session: AsyncSession, activation_id: str, principal: Principal, q: TimelineQuery
) -> tuple[list[LogEntryRead], str | None]:
    """A page of the timeline of an activation the caller may see, and the next page's cursor."""
    activation = await get_visible(session, principal, activation_id)
    return await timeline(session, activation.id, q)


async def timeline(
    session: AsyncSession, activation_id: str, q: TimelineQuery
) -> tuple[list[LogEntryRead], str | None]:
    if q.order not in ("seq", "occurred_at", "newest"):
        raise InvalidInput("order", "must be seq, occurred_at or newest")
    if not 1 <= q.limit <= MAX_PAGE:
        raise InvalidInput("limit", f"must be between 1 and {MAX_PAGE}")
    stmt = select(LogEntry).where(LogEntry.activation_id == activation_id)
    if q.kind:
        stmt = stmt.where(LogEntry.kind == q.kind)
    if q.author:
        stmt = stmt.where(LogEntry.actor == q.author)
    if q.occurred_from:
        stmt = stmt.where(LogEntry.occurred_at >= q.occurred_from)
    if q.occurred_to:
        stmt = stmt.where(LogEntry.occurred_at < q.occurred_to)
    if q.text:
        stmt = stmt.where(LogEntry.text.icontains(q.text, autoescape=True))
    if q.after_seq:
        stmt = stmt.where(LogEntry.seq > q.after_seq)
    if q.order == "seq":
        if q.cursor:
            stmt = stmt.where(LogEntry.seq > _decode_cursor(q.cursor, "seq")[0])
        stmt = stmt.order_by(LogEntry.seq)
    elif q.order == "newest":
        if q.cursor:
            stmt = stmt.where(LogEntry.seq < _decode_cursor(q.cursor, "newest")[0])
        stmt = stmt.order_by(LogEntry.seq.desc())
    else:
        if q.cursor:
            at, seq = _decode_cursor(q.cursor, "occurred_at")
            stmt = stmt.where(
                or_(LogEntry.occurred_at > at, and_(LogEntry.occurred_at == at, LogEntry.seq > seq))
            )
        stmt = stmt.order_by(LogEntry.occurred_at, LogEntry.seq)
    rows = list((await session.exec(stmt.limit(q.limit + 1))).all())
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    corrections = await _corrections(session, activation_id, [r.seq for r in rows])
    entries = [to_read(r, corrections.get(r.seq, [])) for r in rows]
    return entries, (_encode_cursor(q.order, rows[-1]) if more and rows else None)


async def _corrections(
    session: AsyncSession, activation_id: str, seqs: list[int]
) -> dict[int, list[int]]:
    if not seqs:
        return {}
    # no ORDER BY here: with one, SQLite walks the (activation_id, seq) index over the whole
    # log instead of using (activation_id, corrects); corrections are few, sorted below
    rows = await session.exec(
        select(LogEntry.corrects, LogEntry.seq).where(
            LogEntry.activation_id == activation_id, LogEntry.corrects.in_(seqs)
        )
    )
    out: dict[int, list[int]] = {}
    for corrected, seq in sorted(rows.all(), key=lambda r: r[1]):
        out.setdefault(corrected, []).append(seq)
    return out


_READ_FIELDS = ("seq", "occurred_at", "recorded_at", "actor", "kind", "text", "data")
_READ_FIELDS += ("corrects", "hash")


def to_read(entry: LogEntry | Mapping[str, Any], corrected_by: list[int]) -> LogEntryRead:
    """An entry as the API shows it: a stored row, or the values just written by
    `manual_entry` (a mapping; nothing can correct it yet)."""
    if isinstance(entry, Mapping):
        values = {name: entry[name] for name in _READ_FIELDS}
    else:
        values = {name: getattr(entry, name) for name in _READ_FIELDS}
    return LogEntryRead(
        **values,
        corrected_by=corrected_by,
        superseded=bool(corrected_by),
    )


@dataclass(frozen=True)
class LogForExport:
    """What a file of the whole log shows: the activation, its authority's name, every entry."""

    activation: Activation
    authority: str
    entries: list[LogEntryRead]


async def for_export(
    session: AsyncSession, activation_id: str, principal: Principal
) -> LogForExport:
    activation = await get_visible(session, principal, activation_id)
    entries = await all_entries(session, activation.id)
    org = await session.get(Organisation, activation.authority_id)
    return LogForExport(activation, org.name if org else activation.authority_id, entries)


async def all_entries(session: AsyncSession, activation_id: str) -> list[LogEntryRead]:
    rows = list(
        (
            await session.exec(
                select(LogEntry)
                .where(LogEntry.activation_id == activation_id)
                .order_by(LogEntry.seq)
            )
        ).all()
    )
    corrected: dict[int, list[int]] = {}
    for r in rows:
        if r.corrects is not None:
            corrected.setdefault(r.corrects, []).append(r.seq)
    return [to_read(r, corrected.get(r.seq, [])) for r in rows]
