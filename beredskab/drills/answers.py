"""Answers to a drill page: an SMS `OK <kode>` (routed here by flows/inbound.py when no page of a
real activation fits), or a key pressed in the drill's phone call. Any answer counts: it proves
the number reaches the person. The first answer stands; a later one is thanked again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.pages import ReplyOutcome
from beredskab.activations.voicecalls import VoiceAnswer
from beredskab.drills.models import AnswerChannel, Drill, DrillPage, DrillStatus
from beredskab.errors import NotFound
from beredskab.unit_of_work import transaction


async def open_page(session: AsyncSession, person_id: str) -> DrillPage | None:
    """The person's page in the open drill, if any."""
    rows = await session.exec(
        select(DrillPage)
        .join(Drill, Drill.id == DrillPage.drill_id)
        .where(DrillPage.person_id == person_id, Drill.status == DrillStatus.open)
    )
    return rows.first()


async def page_by_code(session: AsyncSession, person_id: str, code: str) -> DrillPage | None:
    """The person's latest drill page with this code, open or closed (a late answer counts)."""
    rows = await session.exec(
        select(DrillPage)
        .where(DrillPage.person_id == person_id, DrillPage.code == code)
        .order_by(DrillPage.id.desc())
    )
    return rows.first()


async def record(
    session: AsyncSession, page: DrillPage, channel: AnswerChannel, now: datetime
) -> bool:
    """Record the first answer to `page` (False: it had one); inside the caller's transaction."""
    done = await session.exec(
        update(DrillPage)
        .where(DrillPage.id == page.id, DrillPage.answered_at.is_(None))
        .values(answered_at=now, channel=channel)
    )
    return bool(done.rowcount)


async def sms_answer(
    session: AsyncSession, person_id: str, code: str | None, now: datetime
) -> ReplyOutcome | None:
    """An OK/NEJ from `person_id` that answered no real page: the drill page it answers (by its
    code, or the open drill's page when no code was given), or None if there is none."""
    page = (
        await page_by_code(session, person_id, code)
        if code
        else await open_page(session, person_id)
    )
    if page is None:
        return None
    first = await record(session, page, AnswerChannel.sms, now)
    return ReplyOutcome(
        "drill_answered" if first else "drill_already_answered", "reply_drill_thanks"
    )


async def key_answer(
    session: AsyncSession, drill_page_id: int, now: datetime, *, call: VoiceAnswer | None = None
) -> bool:
    """A key pressed in the drill's phone call; commits. `call` is the call's outcome row, keyed
    by CallSid and written in the same transaction: a replayed webhook meets its key at the
    commit and changes nothing. False when the page had an answer already, or on a replay."""
    try:
        async with transaction(session):
            page = await session.get(DrillPage, drill_page_id)
            if page is None:
                raise NotFound(f"drill page {drill_page_id} not found")
            first = await record(session, page, AnswerChannel.key, now)
            if call is not None:
                session.add(call)  # last: a replay meets its key at the commit
    except IntegrityError:
        await session.rollback()  # the commit failed: `transaction` rolls back only its block
        if call is None or await session.get(VoiceAnswer, call.call_sid) is None:
            raise
        return False
    return first
