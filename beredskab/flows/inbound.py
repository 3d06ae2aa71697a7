"""Inbound SMS: who sent it, which page it answers, what it does, and what we answer.

Every inbound message gets a useful answer (unknown numbers and garbled text included), except
messages from our own sender (loop guard) and senders over the hourly auto-answer budget.

Size: just over 400 lines: one SMS's whole route (sender, words, page, purpose, answer, the one
commit) reads top to bottom in one file; the replies kept in line are in `flows.in_line`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.config import ActivationConfig
from beredskab.activations.models import (
    OPEN_STATUSES,
    REPLY_IN_LINE,
    Activation,
    ActivationStatus,
    InboundSms,
    Page,
    PagePurpose,
    PageState,
)
from beredskab.activations.pages import ReplyOutcome
from beredskab.activations.repository import lock_activation
from beredskab.crisis_staff import answers
from beredskab.directory import verification
from beredskab.directory.models import Person
from beredskab.drills import answers as drill_answers
from beredskab.eventlog import service as eventlog
from beredskab.lifecycle.endorsement import apply_endorsement
from beredskab.outbox import OutboxMessage, auto_replies_since, enqueue_sms
from beredskab.phones import normalise_phone
from beredskab.replies import ParsedReply, ReplyKind, parse_reply
from beredskab.shifts import allocations as shift_allocations
from beredskab.shifts import approval as shift_approval
from beredskab.shifts import confirmation as shift_confirmation
from beredskab.shifts import repository as shifts
from beredskab.unit_of_work import commit

log = logging.getLogger(__name__)

AUTO_REPLIES_PER_HOUR = 6
SID_COLUMN = 64  # inbound_sms.message_sid


def message_key(message_sid: str) -> str:
    """The provider's id as stored: itself when it fits the column (Twilio's are 34 characters),
    else its head and a digest of the whole, so a copy still finds the first and two long ids
    sharing a head do not collide."""
    if len(message_sid) <= SID_COLUMN:
        return message_sid
    digest = hashlib.sha256(message_sid.encode()).hexdigest()[:32]
    return f"{message_sid[: SID_COLUMN - 33]}~{digest}"


@dataclass(frozen=True)
class InboundResult:
    outcome: str
    reply: str | None  # the text queued as answer, if any


async def handle_inbound_sms(
    session: AsyncSession,
    cfg: ActivationConfig,
    *,
    message_sid: str,
    from_number: str,
    to_number: str,
    body: str,
    own_numbers: set[str],
    now: datetime,
    keep_in_line: bool = False,
) -> InboundResult:
    """Parse and process one inbound SMS exactly once (per MessageSid); commits.

    The `inbound_sms` row, keyed by MessageSid, is written with the outcome in the same
    transaction as everything the message did: a redelivered message does its work again, fails
    on that key at commit, and all of it rolls back (one statement fewer on the common path than
    inserting first and updating the outcome later).

    With `keep_in_line` (the webhook, on PostgreSQL) the message is only stored, in line
    (outcome REPLY_IN_LINE, committed), and `in_line.process_next_in_line` does the rest.
    """
    phone = sender_phone(from_number)
    own = phone in own_numbers or from_number in own_numbers
    person = (
        None if own else (await session.exec(select(Person).where(Person.phone == phone))).first()
    )
    message_sid = message_key(message_sid)
    record = InboundSms(
        message_sid=message_sid,
        from_number=from_number[:32],
        to_number=to_number[:32],
        body=body[:2000],
        received_at=now,
        person_id=person.id if person else None,
        outcome="own_number_ignored" if own else "received",
        processed_at=now if own else None,
    )
    if own:
        session.add(record)
        if not await _commit_once(session, message_sid):
            return InboundResult("duplicate", None)
        log.warning("ignored an SMS from our own sender %s (loop guard)", from_number)
        return InboundResult(record.outcome, None)
    if keep_in_line:
        record.outcome = REPLY_IN_LINE
        session.add(record)
        if not await _commit_once(session, message_sid):
            return InboundResult("duplicate", None)
        return InboundResult(REPLY_IN_LINE, None)
    return await process_record(session, cfg, record, person, phone, now)


def sender_phone(from_number: str) -> str:
    try:
        return normalise_phone(from_number)
    except ValueError:
        return from_number


async def process_record(
    session: AsyncSession,
    cfg: ActivationConfig,
    record: InboundSms,
    person: Person | None,
    phone: str,
    now: datetime,
) -> InboundResult:
    """Route the message, queue its answer and commit with its record."""
    # the sender's answers this hour, counted before routing takes the activation's lock, so
    # that replies to one activation queue on one statement fewer (#18, P8)
    sent = await auto_replies_since(session, phone, now - timedelta(hours=1))
    if person is None:
        return await _finish(
            session, cfg, record, phone, sent, "unknown_sender", "reply_unknown_sender", {}, now
        )
    outcome = await _route(session, cfg, person, parse_reply(record.body), now)
    return await _finish(
        session, cfg, record, phone, sent, outcome.outcome, outcome.reply_key, outcome.values, now
    )


async def _finish(
    session: AsyncSession,
    cfg: ActivationConfig,
    record: InboundSms,
    phone: str,
    sent: int,
    outcome: str,
    reply_key: str | None,
    values: dict,
    now: datetime,
) -> InboundResult:
    """Queue the answer within the hourly budget (`sent` so far); commit with the record."""
    reply = None
    if reply_key is not None:
        if sent < AUTO_REPLIES_PER_HOUR - 1:
            reply = cfg.playbook.render(reply_key, **values)
        elif sent == AUTO_REPLIES_PER_HOUR - 1:
            reply = cfg.playbook.render("reply_rate_limited")
        else:
            log.warning("auto-answer budget spent for %s; not answering (%s)", phone, outcome)
        if reply is not None:
            row: OutboxMessage = enqueue_sms(
                session, phone, reply, person_id=record.person_id, auto_reply=True
            )
            row.created_at = now
    # added last, so no query above flushes it: a copy of a message we already have must meet
    # its key at the commit, where `_commit_once` knows it for a duplicate, not in a query
    record.outcome = outcome
    record.processed_at = now
    session.add(record)
    if not await _commit_once(session, record.message_sid):
        return InboundResult("duplicate", None)
    return InboundResult(outcome, reply)


async def _commit_once(session: AsyncSession, message_sid: str) -> bool:
    """Commit, unless this MessageSid was processed already (then roll back: False)."""
    try:
        await commit(session)  # then an endorsement's action cards (`unit_of_work.later`)
    except IntegrityError:
        await session.rollback()
        if await session.get(InboundSms, message_sid) is None:
            raise  # another constraint: a real fault, reported as such
        return False
    return True


async def _open_pages(session: AsyncSession, person: Person) -> list[Page]:
    rows = await session.exec(
        select(Page)
        .join(Activation, Activation.id == Page.activation_id)
        .where(
            Page.person_id == person.id,
            Page.state == PageState.open,
            Activation.status.in_(OPEN_STATUSES),
        )
        .order_by(Page.id)
    )
    return list(rows.all())


async def _unknown_code(session: AsyncSession, person: Person, code: str) -> ReplyOutcome:
    """A code that fits none of the sender's pages: tell them the codes that do (#14.7)."""
    codes = [p.code for p in await _open_pages(session, person)]
    if not codes:
        return ReplyOutcome("unknown_code", "reply_unknown_code_none", {"code": code})
    return ReplyOutcome(
        "unknown_code", "reply_unknown_code", {"code": code, "codes": ", ".join(codes[:4])}
    )


def _need_code(codes: list[str]) -> ReplyOutcome:
    """More than one thing the reply could be about: ask for the code (the first four)."""
    return ReplyOutcome("ambiguous", "reply_need_code", {"codes": " / ".join(codes[:4])})


async def _page_by_code(session: AsyncSession, person: Person, code: str) -> Page | None:
    """The person's latest page with this code, open or not (a late answer still gets its say)."""
    rows = await session.exec(
        select(Page).where(Page.person_id == person.id, Page.code == code).order_by(Page.id.desc())
    )
    return rows.first()


async def _route(
    session: AsyncSession,
    cfg: ActivationConfig,
    person: Person,
    parsed: ParsedReply,
    now: datetime,
) -> ReplyOutcome:
    kind = parsed.kind
    # verified numbers: "OK <kode>" with the code sent to the sender's own number (#15.2)
    if kind is ReplyKind.accept and verification.answer(session, person, parsed.code, now):
        return ReplyOutcome("phone_verified", "reply_phone_verified")
    if kind is ReplyKind.help:
        return ReplyOutcome("help", "reply_help")
    if kind in (ReplyKind.confirm, ReplyKind.withdraw):
        return await _allocation_reply(session, cfg, person, parsed, now)
    if kind not in (ReplyKind.accept, ReplyKind.decline):
        open_pages = await _open_pages(session, person)
        if len(open_pages) == 1:
            page = open_pages[0]
            key = "reply_volunteer_garbled" if page.purpose == PagePurpose.volunteer else None
            return ReplyOutcome("garbled", key or "reply_garbled", {"code": page.code})
        return ReplyOutcome("garbled", "reply_help")
    if parsed.code:
        page = await _page_by_code(session, person, parsed.code)
        if page is None:
            drill = await _drill_answer(session, person, parsed.code, now)
            return drill or await _unknown_code(session, person, parsed.code)
    elif len(open_pages := await _open_pages(session, person)) == 1:
        page = open_pages[0]
    elif not open_pages:
        drill = await _drill_answer(session, person, None, now)
        return drill or ReplyOutcome("no_open_page", "reply_no_open_page")
    else:
        return _need_code([p.code for p in open_pages])
    return await answer_page(
        session, cfg, person, page, accept=kind is ReplyKind.accept, count=parsed.count, now=now
    )


async def answer_page(
    session: AsyncSession,
    cfg: ActivationConfig,
    person: Person,
    page: Page,
    *,
    accept: bool,
    count: int | None = None,
    via: str = "SMS",
    now: datetime,
) -> ReplyOutcome:
    """Yes or no to one page, by whatever way it came (an SMS, a key pressed in a call): locks
    the page's activation and does what the page's purpose says."""
    activation = await lock_activation(session, page.activation_id)
    if page.purpose == PagePurpose.role:
        # only the role call-out decides by the page's own state (a cancelled page cannot fill
        # the role), so only it re-reads the page now that the lock is held; the others decide
        # by the activation, the shift and its allocations, all read under the lock
        await session.refresh(page)
    if page.purpose == PagePurpose.endorse:
        return await _endorsement_reply(session, cfg, activation, page, person, accept, via, now)
    if page.purpose == PagePurpose.shift_approve:
        return await shift_approval.approval_reply(
            session, cfg, activation, page, person, accept=accept, now=now
        )
    if page.purpose == PagePurpose.volunteer:
        return await shift_allocations.volunteer_reply(
            session,
            cfg,
            activation,
            page,
            person,
            accept=accept,
            count=count,
            via=via,
            now=now,
        )
    if accept:
        return await answers.acknowledge(session, cfg.playbook, activation, page, now, via=via)
    return await answers.decline(session, cfg.playbook, activation, page, now, via=via)


async def _drill_answer(
    session: AsyncSession, person: Person, code: str | None, now: datetime
) -> ReplyOutcome | None:
    """Call-out drills: an OK/NEJ that fits none of the sender's real pages may answer their
    drill page (its code, or without a code the open drill's page). Real pages come first."""
    return await drill_answers.sms_answer(session, person.id, code, now)


async def _allocation_reply(
    session: AsyncSession,
    cfg: ActivationConfig,
    person: Person,
    parsed: ParsedReply,
    now: datetime,
) -> ReplyOutcome:
    """BEKRÆFT <kode> [antal] or AFMELD <kode> from a volunteering municipality."""
    if parsed.code:
        page = await _page_by_code(session, person, parsed.code)
        if page is None:
            return await _unknown_code(session, person, parsed.code)
        allocation = await shifts.allocation_for_page(session, page)
        activation_id = page.activation_id
    else:
        held = await shifts.open_allocations_of(session, person, now)
        if len(held) > 1:
            return _need_code([code for _, code, _ in held])
        allocation, _, activation_id = held[0] if held else (None, "", "")
    if allocation is None:
        return ReplyOutcome("nothing_to_confirm", "reply_nothing_to_confirm")
    if parsed.kind is ReplyKind.confirm and parsed.count == 0:
        return ReplyOutcome("garbled", "reply_help")
    activation = await lock_activation(session, activation_id)
    await session.refresh(allocation)  # under the lock; its shift is read there too
    if parsed.kind is ReplyKind.confirm:
        return await shift_confirmation.confirm(
            session,
            cfg,
            activation,
            allocation,
            agents=parsed.count,
            names=[],
            by=person.name,
            via="SMS",
            now=now,
        )
    return await shift_confirmation.withdraw(
        session, cfg, activation, allocation, by=person.name, via="SMS", now=now
    )


async def _endorsement_reply(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    page: Page,
    person: Person,
    accept: bool,
    via: str,
    now: datetime,
) -> ReplyOutcome:
    values = {"ref": activation.ref}
    if activation.status == ActivationStatus.active:
        return ReplyOutcome("already_endorsed", "reply_already_endorsed", values)
    if activation.status != ActivationStatus.requested:
        return ReplyOutcome("activation_closed", "page_closed", values)
    if not accept:
        page.state = PageState.declined
        page.answered_at = now
        session.add(page)
        eventlog.append(
            session,
            activation,
            "endorsement_declined",
            f"{person.name} godkender ikke aktiveringen ({via}).",
            actor=person.name,
            data={"person_id": person.id, "via": via},
            now=now,
        )
        return ReplyOutcome("endorse_declined", "page_closed", values)
    await apply_endorsement(
        session,
        cfg,
        activation,
        by=person.name,
        person_id=person.id,
        via=via,
        now=now,
    )
    return ReplyOutcome("endorsed", "reply_endorse_ack", values)


async def record_unprocessed(
    session: AsyncSession,
    *,
    message_sid: str,
    from_number: str,
    to_number: str,
    body: str,
    error: str,
    now: datetime,
) -> None:
    """Keep an SMS whose processing failed, so it is seen and not lost; commits."""
    session.add(
        InboundSms(
            message_sid=message_key(message_sid),
            from_number=from_number[:32],
            to_number=to_number[:32],
            body=body[:2000],
            received_at=now,
            outcome=f"error: {error}"[:40],
        )
    )
    try:
        await commit(session)  # then an endorsement's action cards (`unit_of_work.later`)
    except IntegrityError:  # the first attempt's row survived after all
        await session.rollback()
