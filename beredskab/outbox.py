"""The durable outbox: each SMS, phone call and status callback is a row written with the change
behind it.

Rows are claimed with a lease (`status='sending'`, `lease_until`), so a crashed sender's rows come
back; a row is sent at most once more than the provider accepted it (the in-flight ones at a crash).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String, bindparam, func, select, update
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import staged
from beredskab.metadata import utcnow
from beredskab.queue import claim_due


class Channel(StrEnum):
    sms = "sms"
    callback = "callback"
    voice = "voice"  # a phone call: `body` is the Danish text it speaks, `ref` the code it answers


class OutboxStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    cancelled = "cancelled"


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    # the status board counts an activation's messages; delivery reports find a page's SMS
    __table_args__ = (
        Index("ix_outbox_activation_channel_status", "activation_id", "channel", "status"),
        Index("ix_outbox_page_id", "page_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: Channel = Field(default=Channel.sms, sa_type=String(10))
    recipient: str = Field(max_length=500, index=True)
    body: str = Field(max_length=10_000)
    activation_id: str | None = Field(default=None, foreign_key="activation.id", max_length=36)
    page_id: int | None = Field(default=None, foreign_key="page.id")
    person_id: str | None = Field(default=None, max_length=64)
    auto_reply: bool = False
    status: OutboxStatus = Field(default=OutboxStatus.pending, sa_type=String(10), index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    lease_until: datetime | None = None
    # a call's answer code, carried in its webhooks' URLs so the call can only answer its own page
    ref: str | None = Field(default=None, max_length=64)
    provider_id: str | None = Field(default=None, max_length=64, index=True)
    provider_status: str | None = Field(default=None, max_length=40)
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClaimedSms:
    """A staged SMS claimed at birth, as the dispatcher reads it: built from the staged values
    and the new id, cheaper than an `OutboxMessage` on the page path."""

    id: int
    recipient: str
    body: str
    attempts: int
    lease_until: datetime
    page_id: int | None
    activation_id: str | None
    person_id: str | None


def _sms(
    to: str,
    body: str,
    activation_id: str | None,
    page_id: int | None,
    person_id: str | None,
    auto_reply: bool = False,
    channel: Channel = Channel.sms,
) -> dict:
    """An SMS row's own fields (or a callback's, `channel`); the rest are the table's defaults."""
    return {
        "channel": channel,
        "recipient": to,
        "body": body,
        "activation_id": activation_id,
        "page_id": page_id,
        "person_id": person_id,
        "auto_reply": auto_reply,
    }


def enqueue_sms(
    session: AsyncSession,
    to: str,
    body: str,
    *,
    activation_id: str | None = None,
    page_id: int | None = None,
    person_id: str | None = None,
    auto_reply: bool = False,
) -> OutboxMessage:
    row = OutboxMessage(**_sms(to, body, activation_id, page_id, person_id, auto_reply))
    session.add(row)
    return row


def stage_sms(
    session: AsyncSession,
    to: str,
    body: str,
    *,
    activation_id: str | None = None,
    page_id: int | None = None,
    person_id: str | None = None,
) -> None:
    """`enqueue_sms` for a caller that needs no row back: written with the transaction's other
    staged rows, one INSERT for all (`staged`), and claimed at birth like the ORM's."""
    _stage(session, _sms(to, body, activation_id, page_id, person_id))


def _stage(session: AsyncSession, fields: dict[str, Any]) -> None:
    """A new outbox row, every column set (the rows of one table staged together share their
    keys), pending and due now."""
    now = utcnow()
    staged.stage(
        session,
        OutboxMessage.__table__,
        {
            **fields,
            "status": OutboxStatus.pending,
            "attempts": 0,
            "next_attempt_at": now,
            "lease_until": None,
            "ref": None,
            "provider_id": None,
            "provider_status": None,
            "last_error": None,
            "created_at": now,
            "sent_at": None,
        },
    )


def enqueue_call(
    session: AsyncSession,
    to: str,
    text: str,
    *,
    ref: str,
    activation_id: str | None = None,
    page_id: int | None = None,
    person_id: str | None = None,
) -> OutboxMessage:
    """A phone call to `to` that speaks `text`; its key press answers `ref` (a page's code)."""
    row = OutboxMessage(
        channel=Channel.voice,
        recipient=to,
        body=text,
        ref=ref,
        activation_id=activation_id,
        page_id=page_id,
        person_id=person_id,
    )
    session.add(row)
    return row


def enqueue_callback(
    session: AsyncSession, url: str, payload_json: str, activation_id: str
) -> None:
    """A status callback to the authority's system, staged like an SMS (`stage_sms`): written
    with the transaction's other staged rows, so with a new activation staged too (`staged`)."""
    _stage(session, _sms(url, payload_json, activation_id, None, None, channel=Channel.callback))


async def cancel_pending(session: AsyncSession, activation_id: str) -> int:
    """Cancel unsent SMS and calls of an activation (stand-down); callbacks still go out."""
    result = await session.exec(
        update(OutboxMessage)
        .where(
            OutboxMessage.activation_id == activation_id,
            OutboxMessage.status == OutboxStatus.pending,
            OutboxMessage.channel.in_([Channel.sms, Channel.voice]),
        )
        .values(status=OutboxStatus.cancelled)
    )
    return result.rowcount or 0


async def auto_replies_since(session: AsyncSession, to: str, since: datetime) -> int:
    return (
        await session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.recipient == to,
                OutboxMessage.auto_reply.is_(True),
                OutboxMessage.created_at >= since,
            )
        )
    ).scalar_one()


async def claim(
    session: AsyncSession, *, channel: Channel, now: datetime, lease: timedelta, limit: int
) -> list[OutboxMessage]:
    """Claim due rows of one channel (pending and due, or sending with an expired lease)."""
    return await claim_due(
        session,
        OutboxMessage,
        due_column=OutboxMessage.next_attempt_at,
        claimed_status=OutboxStatus.sending,
        now=now,
        lease=lease,
        limit=limit,
        where=OutboxMessage.channel == channel,
    )


Claim = tuple[int | None, int, dict[str, Any]]  # a claimed row's id, its attempts, its outcome


async def settle(session: AsyncSession, claims: list[Claim]) -> int | None:
    """Write what became of claimed rows, each `(id, attempts, values)` fenced on its own claim:
    a row another worker has claimed since (its lease ran out, so it counts another attempt) is
    theirs, and nothing is written to it. One statement for all (the values must have the same
    keys). Returns how many rows were written for a single claim; None for several (drivers do
    not all count the rows of an executemany)."""
    t = OutboxMessage.__table__
    fenced = (
        update(t)
        .where(
            t.c.id == bindparam("claimed_id"),
            t.c.status == OutboxStatus.sending,
            t.c.attempts == bindparam("claimed_attempts"),
        )
        .values({key: bindparam(f"new_{key}") for key in claims[0][2]})
    )
    params = [
        {"claimed_id": i, "claimed_attempts": n, **{f"new_{k}": v for k, v in values.items()}}
        for i, n, values in claims
    ]
    conn = await session.connection()
    if len(params) == 1:
        return (await conn.execute(fenced, params[0])).rowcount
    await conn.execute(fenced, params)
    return None
