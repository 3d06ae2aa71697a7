"""A drill's phone call to those who have not answered after N minutes, placed exactly as a real
page's call (an outbox row, channel `voice`, the page's code as `ref`), but with no page and no
activation: that is what marks a call as a drill's. Its key (1 or 2) answers the drill page as
`AnswerChannel.key` (`answers.key_answer`); an end without a key (busy, no answer, voicemail)
is recorded as the call's outcome (`VoiceAnswer`) and the person stays not answered."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import ColumnElement, and_
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.voicecalls import CallOutcome, VoiceAnswer, commit_once
from beredskab.directory.models import Person
from beredskab.drill_schedule import GROUP_NAMES, DrillGroup
from beredskab.drills import rules
from beredskab.drills.models import Drill, DrillPage, DrillStatus
from beredskab.outbox import Channel, OutboxMessage, OutboxStatus, enqueue_call
from beredskab.playbook import Playbook

log = logging.getLogger(__name__)

_NOT_REACHED = frozenset({rules.Outcome.undeliverable, rules.Outcome.unsubscribed})


async def _reachable(session: AsyncSession, page: DrillPage) -> bool:
    """Not known unreachable: the drill's own SMS did not fail for good (invalid, STOP), nor is
    the person's number marked unreachable; and the SMS left at all (the drill did not give way
    to a real activation first)."""
    sms = await session.get(OutboxMessage, page.outbox_id) if page.outbox_id else None
    if sms is not None:
        got = rules.outcome(None, sms.status, sms.provider_status, sms.last_error)
        if got in _NOT_REACHED or got is rules.Outcome.not_paged:
            return False
    person = await session.get(Person, page.person_id)
    return not (person and person.phone == page.phone and person.phone_unreachable_at)


async def request_call(
    session: AsyncSession, playbook: Playbook, drill: Drill, page: DrillPage, now: datetime
) -> OutboxMessage | None:
    """Call the drill page's person (inside the caller's transaction, with `call_requested_at`:
    a page is called at most once). None when the number is known not to reach them."""
    if not await _reachable(session, page):
        log.info("drill %s: %s is not called (number not reachable)", drill.id, page.person_id)
        return None
    page.call_requested_at = now
    session.add(page)
    text = playbook.render("drill_call", group=GROUP_NAMES[DrillGroup(drill.group)])
    row = enqueue_call(session, page.phone, text, ref=page.code, person_id=page.person_id)
    log.info(
        "drill %s: %s called (no answer after %s min.)",
        drill.id,
        page.person_id,
        drill.call_after_minutes,
    )
    return row


def is_drill_call(row: OutboxMessage) -> bool:
    return (
        row.channel == Channel.voice
        and row.page_id is None
        and row.activation_id is None
        and row.person_id is not None
    )


def _calls_of() -> ColumnElement[bool]:
    """An outbox row is the call of a drill page: a drill call to its person and phone, with its
    code, queued after its drill started (a code a later drill gives the same person again)."""
    return and_(
        OutboxMessage.channel == Channel.voice,
        OutboxMessage.page_id.is_(None),
        OutboxMessage.activation_id.is_(None),
        OutboxMessage.person_id == DrillPage.person_id,
        OutboxMessage.recipient == DrillPage.phone,
        OutboxMessage.ref == DrillPage.code,
        OutboxMessage.created_at >= Drill.started_at,
    )


async def page_of_call(session: AsyncSession, row: OutboxMessage) -> DrillPage | None:
    """The drill page a drill call answers (that of the latest drill begun before the call)."""
    if not is_drill_call(row) or row.id is None:
        return None
    rows = await session.exec(
        select(DrillPage)
        .join(Drill, Drill.id == DrillPage.drill_id)
        .join(OutboxMessage, _calls_of())
        .where(OutboxMessage.id == row.id)
        .order_by(Drill.started_at.desc(), DrillPage.id.desc())
    )
    return rows.first()


async def call_states(session: AsyncSession, drill_id: int) -> dict[int, str]:
    """Each called drill page's call: `queued`, `cancelled` (not placed), `placed`, `failed`, or
    how it ended (`accepted`, `declined`, `busy`, `no_answer`, `no_key`, `machine`)."""
    rows = await session.exec(
        select(DrillPage.id, OutboxMessage.status, VoiceAnswer.outcome)
        .join(Drill, Drill.id == DrillPage.drill_id)
        .join(OutboxMessage, _calls_of())
        .outerjoin(VoiceAnswer, VoiceAnswer.outbox_id == OutboxMessage.id)
        .where(DrillPage.drill_id == drill_id)
        .order_by(OutboxMessage.id.desc())  # the first call of a page wins below
    )
    shown = {
        OutboxStatus.sent: "placed",
        OutboxStatus.failed: "failed",
        OutboxStatus.cancelled: "cancelled",  # answered (or the drill closed) before it left
    }
    states: dict[int, str] = {}
    for page_id, status, outcome in rows.all():
        states[page_id] = outcome or shown.get(status, "queued")
    return states


async def call_still_wanted(session: AsyncSession, row: OutboxMessage) -> bool:
    """Before placing a drill call: its page still unanswered, its drill still open."""
    page = await page_of_call(session, row)
    if page is None or page.answered_at is not None:
        return False
    drill = await session.get(Drill, page.drill_id)
    return drill is not None and drill.status == DrillStatus.open


async def call_unanswered(
    session: AsyncSession,
    row: OutboxMessage,
    call_sid: str,
    outcome: CallOutcome,
    now: datetime,
) -> bool:
    """The drill call ended without a key: its outcome recorded once per CallSid; commits."""
    session.add(
        VoiceAnswer(call_sid=call_sid[:64], outbox_id=row.id or 0, outcome=outcome, received_at=now)
    )
    return await commit_once(session, call_sid[:64])


async def open_call(session: AsyncSession, code: str) -> OutboxMessage | None:
    """The latest call for the open drill's page with `code` (development: /dev/voice/press)."""
    rows = await session.exec(
        select(OutboxMessage)
        .join(DrillPage, DrillPage.code == code)
        .join(Drill, Drill.id == DrillPage.drill_id)
        .where(_calls_of(), Drill.status == DrillStatus.open)
        .order_by(OutboxMessage.id.desc())
    )
    return rows.first()
