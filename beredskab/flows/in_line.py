"""Replies kept in line (docs/architecture.md, "Replies in line"): on PostgreSQL the SMS webhook
only stores a reply; these take the line in the order the replies came, one per transaction, and
do each as the webhook does it on SQLite (`inbound.process_record`)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.config import ActivationConfig
from beredskab.activations.models import REPLY_IN_LINE, InboundSms
from beredskab.db import raced
from beredskab.directory.models import Person
from beredskab.errors import TryAgain
from beredskab.flows import inbound
from beredskab.outbox import enqueue_sms


async def process_next_in_line(
    session: AsyncSession, cfg: ActivationConfig, *, now: datetime
) -> str | None:
    """Process the oldest reply kept in line as if it had just come (waiting for its activation's
    lock this time); commits. Returns its MessageSid, or None when no reply waits. On PostgreSQL
    the row is taken FOR UPDATE SKIP LOCKED, so processes draining at once take one each and none
    is processed twice. If processing fails it raises InLineFailed: the caller rolls back and
    calls `in_line_failed`. If it met a race it raises InLineRaced: nothing of it was written,
    the reply stays in line, and the caller rolls back and takes the line again (up to
    `RACE_TRIES` times in a row, then it is failed as above: a race that keeps coming back is a
    fault, and the replies behind it must not wait for it)."""
    oldest = (
        select(InboundSms)
        .where(InboundSms.outcome == REPLY_IN_LINE)
        .order_by(InboundSms.received_at, InboundSms.message_sid)
        .limit(1)
    )
    if session.bind.dialect.name == "postgresql":
        oldest = oldest.with_for_update(skip_locked=True)
    record = (await session.exec(oldest)).first()
    if record is None:
        return None
    sid = record.message_sid
    person = await session.get(Person, record.person_id) if record.person_id else None
    try:
        await inbound.process_record(
            session, cfg, record, person, inbound.sender_phone(record.from_number), now
        )
    except Exception as exc:
        if isinstance(exc, TryAgain) or raced(exc):
            # a race with another transaction (`db.may_race`): it stays in line for a new try
            raise InLineRaced(sid) from exc
        raise InLineFailed(sid, type(exc).__name__) from exc
    return sid


class InLineRaced(TryAgain):
    """The reply first in line met a race; nothing of it was written."""

    def __init__(self, message_sid: str) -> None:
        super().__init__(f"inbound SMS {message_sid} in line met a race")
        self.message_sid = message_sid


class InLineFailed(Exception):  # noqa: N818 - names what failed, wraps the cause
    def __init__(self, message_sid: str, error: str) -> None:
        super().__init__(f"inbound SMS {message_sid} in line: {error}")
        self.message_sid = message_sid
        self.error = error


async def in_line_failed(
    session: AsyncSession, cfg: ActivationConfig, message_sid: str, error: str, now: datetime
) -> None:
    """A reply in line whose processing failed: kept with the error, out of the line, and its
    sender told to try again (as the webhook tells them when it fails inline); commits."""
    record = await session.get(InboundSms, message_sid, with_for_update=True)
    if record is None or record.outcome != REPLY_IN_LINE:
        return  # processed elsewhere after all
    record.outcome = f"error: {error}"[:40]
    session.add(record)
    enqueue_sms(
        session,
        inbound.sender_phone(record.from_number),
        cfg.playbook.render("reply_error"),
        person_id=record.person_id,
        auto_reply=True,
    ).created_at = now
    await session.commit()
