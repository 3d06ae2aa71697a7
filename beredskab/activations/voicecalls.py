"""Phone calls that follow an unanswered page: when one falls due, placing it, and the row that
makes each call's answer count once.

The call machinery is generic: a call is an outbox row (channel `voice`) to one person that speaks
a Danish text, and whose key press answers one page (its code travels in the webhooks' URLs).
Role pages and endorsement pages schedule a `page_call` deadline here; what an answer does is
decided by the page's purpose (`flows.inbound.answer_page`), so any page can be called.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import String, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import deadlines
from beredskab.activations.models import Activation, Page
from beredskab.calendar import OpeningRules, is_open
from beredskab.metadata import utcnow
from beredskab.outbox import Channel, OutboxMessage, OutboxStatus, enqueue_call
from beredskab.playbook import CallWhen
from beredskab.unit_of_work import commit

PAGE_CALL = "page_call"


class CallOutcome(StrEnum):
    accepted = "accepted"  # key 1
    declined = "declined"  # key 2
    no_key = "no_key"  # answered, but no valid key after the repeat
    machine = "machine"  # answered by voicemail (answering-machine detection)
    busy = "busy"
    no_answer = "no_answer"
    failed = "failed"  # the call could not be placed or connected


ANSWERED = frozenset({CallOutcome.accepted, CallOutcome.declined})


class VoiceAnswer(SQLModel, table=True):
    """The outcome of one call, keyed by the provider's CallSid: a replayed or late webhook of
    the same call meets this key at commit and has no second effect."""

    __tablename__ = "voice_answer"
    call_sid: str = Field(primary_key=True, max_length=64)
    outbox_id: int = Field(foreign_key="outbox.id", index=True)
    page_id: int | None = Field(default=None, foreign_key="page.id", index=True)
    activation_id: str | None = Field(default=None, foreign_key="activation.id", max_length=36)
    outcome: CallOutcome = Field(sa_type=String(20))
    detail: str | None = Field(default=None, max_length=200)
    received_at: datetime = Field(default_factory=utcnow)


async def commit_once(session: AsyncSession, call_sid: str) -> bool:
    """Commit a call's outcome (its `VoiceAnswer` added last), unless this call's outcome is in
    already: then roll back (False), so a replayed webhook has no second effect."""
    try:
        await commit(session)  # then an endorsement's action cards (`unit_of_work.later`)
    except IntegrityError:
        await session.rollback()
        if await session.get(VoiceAnswer, call_sid) is None:
            raise
        return False
    return True


def schedule_call(
    session: AsyncSession, activation: Activation, page: Page, delay: timedelta | None
) -> None:
    """Call the paged person `delay` after the page unless they answer first (None: never)."""
    if delay is None:
        return
    deadlines.schedule(
        session,
        PAGE_CALL,
        page.created_at + delay,
        activation_id=activation.id,
        subject_id=page.id,
    )


def call_now(when: CallWhen, at: datetime, rules: OpeningRules) -> bool:
    """Whether a call that fell due at `at` is placed (out-of-hours calls only when closed)."""
    if when is CallWhen.never:
        return False
    return when is CallWhen.always or not is_open(at, rules)


def queue_call(
    session: AsyncSession, activation: Activation, page: Page, text: str
) -> OutboxMessage:
    """The call to the page's person, in the outbox; its key press answers the page's code."""
    return enqueue_call(
        session,
        page.phone,
        text,
        ref=page.code,
        activation_id=activation.id,
        page_id=page.id,
        person_id=page.person_id,
    )


async def call_of_page(session: AsyncSession, page_id: int) -> OutboxMessage | None:
    """The page's call, if one was queued (a page is called at most once)."""
    rows = await session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.page_id == page_id, OutboxMessage.channel == Channel.voice)
        .order_by(OutboxMessage.id)
    )
    return rows.first()


async def calls_of_pages(session: AsyncSession, page_ids: list[int | None]) -> dict[int, str]:
    """Each open page's call: `queued`, `placed`, or how it ended (`busy`, `machine`, …)."""
    if not page_ids:
        return {}
    rows = await session.exec(
        select(OutboxMessage.page_id, OutboxMessage.status, VoiceAnswer.outcome)
        .outerjoin(VoiceAnswer, VoiceAnswer.outbox_id == OutboxMessage.id)
        .where(OutboxMessage.page_id.in_(page_ids), OutboxMessage.channel == Channel.voice)
        .order_by(OutboxMessage.id)
    )
    shown = {OutboxStatus.sent: "placed", OutboxStatus.failed: "failed"}
    return {
        page_id: outcome or shown.get(status, "queued") for page_id, status, outcome in rows.all()
    }


async def call_answer_counts(session: AsyncSession, activation_id: str) -> dict[bool, int]:
    """{answered with a key: n calls}: the activation's calls that have ended."""
    rows = await session.exec(
        select(VoiceAnswer.outcome, func.count())
        .where(VoiceAnswer.activation_id == activation_id)
        .group_by(VoiceAnswer.outcome)
    )
    out: dict[bool, int] = {}
    for outcome, n in rows.all():
        out[outcome in ANSWERED] = out.get(outcome in ANSWERED, 0) + n
    return out
