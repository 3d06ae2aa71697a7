"""Phone calls after an unanswered page: what the call says (TwiML), the key pressed, how the
call ended, and whether a queued call is still wanted (placing one is `lifecycle.calls`).

A key press has exactly the effect of the SMS reply (`inbound.answer_page`, via "opringning"). Busy,
no answer, a failed call or voicemail count as no answer: the page stays open and its own
timeout escalates as for an unanswered SMS. Each call's outcome is one `VoiceAnswer` row keyed
by CallSid, written with the outcome's effects in one transaction, so a replayed webhook does
nothing twice. Every call and its outcome is in the activation's log.

A drill's call (`drills.calls`: no page, no activation) answers its drill page instead: 1 or 2
is an answer by key, thanked; an end without a key leaves the person not answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import quoteattr

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.config import ActivationConfig
from beredskab.activations.models import OPEN_STATUSES, Activation, Page, PageState
from beredskab.activations.repository import lock_activation
from beredskab.activations.voicecalls import CallOutcome, VoiceAnswer, commit_once
from beredskab.directory.models import Person
from beredskab.drills import calls as drill_calls
from beredskab.drills.answers import key_answer
from beredskab.drills.models import DrillPage
from beredskab.eventlog import service as eventlog
from beredskab.flows.inbound import answer_page
from beredskab.outbox import Channel, OutboxMessage, enqueue_sms
from beredskab.playbook import Playbook
from beredskab.unit_of_work import racing

VIA = "opringning"
DIGITS = {"1": True, "2": False}  # 1 = ja, 2 = nej
GATHER_SECONDS = 8
_NOT_ANSWERED = {
    CallOutcome.no_key: "ingen gyldig tast",
    CallOutcome.machine: "telefonsvarer",
    CallOutcome.busy: "optaget",
    CallOutcome.no_answer: "intet svar",
    CallOutcome.failed: "opringningen kunne ikke gennemføres",
}
_ENDED = {  # Twilio's final CallStatus values
    "busy": CallOutcome.busy,
    "no-answer": CallOutcome.no_answer,
    "failed": CallOutcome.failed,
    "canceled": CallOutcome.failed,
}


def _is_machine(answered_by: str) -> bool:
    return answered_by.startswith("machine") or answered_by == "fax"


async def call_still_wanted(session: AsyncSession, row: OutboxMessage) -> bool:
    """Just before the call is placed: is its page still open, in an open activation? (A drill
    call: is its drill page unanswered, its drill open?)"""
    if row.page_id is None:
        return not drill_calls.is_drill_call(row) or await drill_calls.call_still_wanted(
            session, row
        )
    page = await session.get(Page, row.page_id)
    if page is None or page.state != PageState.open:
        return False
    return await _activation_open(session, page.activation_id)


async def _activation_open(session: AsyncSession, activation_id: str) -> bool:
    activation = await session.get(Activation, activation_id)
    return activation is not None and activation.status in OPEN_STATUSES


async def call_not_placed(
    session: AsyncSession, cfg: ActivationConfig, outbox_id: int, reason: str, now: datetime
) -> None:
    """The provider refused the call for good: logged; the page's timeout escalates. Commits."""
    row = await session.get(OutboxMessage, outbox_id)
    if row is None or row.page_id is None or row.activation_id is None:
        return
    activation = await lock_activation(session, row.activation_id)
    eventlog.append(
        session,
        activation,
        "call_unanswered",
        f"{await _name(session, row.person_id)} kunne ikke ringes op; eskaleringen fortsætter.",
        data={"page_id": row.page_id, "outcome": CallOutcome.failed, "reason": reason},
        now=now,
    )
    await session.commit()


# --- the webhooks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallUrls:
    """Where Twilio posts this call's webhooks: `{base}/{outbox id}/{code}` and below."""

    base: str
    outbox_id: str
    code: str

    @property
    def here(self) -> str:
        return f"{self.base.rstrip('/')}/{self.outbox_id}/{self.code}"

    def gather(self, attempt: int) -> str:
        return f"{self.here}/gather?attempt={attempt}"


def _say(text: str) -> str:
    return f'<Say language="da-DK">{_xml(text)}</Say>'


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _twiml(*verbs: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?><Response>' + "".join(verbs) + "</Response>"


HANGUP = _twiml("<Hangup/>")


def spoken_error(playbook: Playbook) -> str:
    """The TwiML when a call's webhook failed: the SMS reply's error text, then hang up."""
    return _twiml(_say(playbook.render("reply_error")), "<Hangup/>")


def _ask(text: str, urls: CallUrls, attempt: int, lead: str = "") -> str:
    """The text twice inside a one-key Gather; silence redirects to the same answer URL."""
    action = quoteattr(urls.gather(attempt))
    inner = (_say(lead) if lead else "") + _say(text) + _say(text)
    return _twiml(
        f'<Gather numDigits="1" timeout="{GATHER_SECONDS}" method="POST" action={action}>'
        f"{inner}</Gather>",
        f'<Redirect method="POST">{_xml(urls.gather(attempt))}</Redirect>',
    )


async def _load(
    session: AsyncSession, outbox_id: str, code: str
) -> tuple[OutboxMessage, Page | DrillPage] | None:
    """The call and its page (a drill call's: its drill page), only if the URL's id and code
    belong together."""
    if not outbox_id.isdigit() or len(outbox_id) > 18:
        return None
    row = await session.get(OutboxMessage, int(outbox_id))
    if row is None or row.channel != Channel.voice or row.ref != code:
        return None
    if row.page_id is None:
        drill_page = await drill_calls.page_of_call(session, row)
        return None if drill_page is None else (row, drill_page)
    page = await session.get(Page, row.page_id)
    if page is None or page.code != code:
        return None
    return row, page


async def call_answered(
    session: AsyncSession,
    cfg: ActivationConfig,
    urls: CallUrls,
    *,
    call_sid: str,
    answered_by: str,
    now: datetime,
) -> str:
    """The TwiML for an answered call: its text twice, then one key; voicemail: hang up."""
    loaded = await _load(session, urls.outbox_id, urls.code)
    if loaded is None:
        return HANGUP
    row, page = loaded
    if _is_machine(answered_by):
        await _no_answer(session, row, page, call_sid, CallOutcome.machine, now)
        return HANGUP
    return _ask(row.body, urls, 1)


async def call_gathered(
    session: AsyncSession,
    cfg: ActivationConfig,
    urls: CallUrls,
    *,
    call_sid: str,
    digits: str,
    attempt: int,
    now: datetime,
) -> str:
    """A key (or silence): 1 or 2 answers the page as the SMS reply would; anything else asks
    once more, then says goodbye. Commits."""
    loaded = await _load(session, urls.outbox_id, urls.code)
    if loaded is None:
        return HANGUP
    row, page = loaded
    playbook = cfg.playbook
    if digits not in DIGITS:
        if attempt < 2:
            return _ask(row.body, urls, 2, lead=playbook.render("call_not_heard"))
        return _twiml(_say(playbook.render("call_goodbye")), "<Hangup/>")
    if isinstance(page, DrillPage):
        return await _drill_key(session, cfg, row, page, call_sid, digits, now)
    person = await session.get(Person, page.person_id)
    if person is None:
        return HANGUP
    accept = DIGITS[digits]
    async with racing(session):  # a 2 pages the next one, whose code may be taken meanwhile
        outcome = await answer_page(session, cfg, person, page, accept=accept, via=VIA, now=now)
    activation = await lock_activation(session, page.activation_id)
    eventlog.append(
        session,
        activation,
        "call_answered",
        f"{person.name} tastede {digits} ({'ja' if accept else 'nej'}) i opringningen.",
        actor=person.name,
        data={"page_id": page.id, "person_id": person.id, "digit": digits},
        now=now,
    )
    reply = None
    if outcome.reply_key is not None:
        reply = playbook.render(outcome.reply_key, **outcome.values)
        # the answer in writing too, as the SMS reply would have had
        enqueue_sms(session, page.phone, reply, activation_id=activation.id, person_id=person.id)
    record = VoiceAnswer(
        call_sid=call_sid[:64],
        outbox_id=row.id or 0,
        page_id=page.id,
        activation_id=activation.id,
        outcome=CallOutcome.accepted if accept else CallOutcome.declined,
        detail=outcome.outcome[:200],
        received_at=now,
    )
    session.add(record)  # last: a replay meets its key at the commit
    await commit_once(session, record.call_sid)
    return _twiml(_say(reply or "Tak."), "<Hangup/>")


async def _drill_key(
    session: AsyncSession,
    cfg: ActivationConfig,
    row: OutboxMessage,
    page: DrillPage,
    call_sid: str,
    digits: str,
    now: datetime,
) -> str:
    """1 or 2 in a drill call: an answer by key (once per CallSid), thanked."""
    outcome = CallOutcome.accepted if DIGITS[digits] else CallOutcome.declined
    record = VoiceAnswer(
        call_sid=call_sid[:64], outbox_id=row.id or 0, outcome=outcome, received_at=now
    )
    await key_answer(session, page.id or 0, now, call=record)
    return _twiml(_say(cfg.playbook.render("reply_drill_thanks")), "<Hangup/>")


async def call_ended(
    session: AsyncSession,
    cfg: ActivationConfig,
    urls: CallUrls,
    *,
    call_sid: str,
    status: str,
    answered_by: str,
    now: datetime,
) -> None:
    """The call's status callback: an end without a key is logged as not answered. Commits."""
    if status == "completed":
        outcome = CallOutcome.machine if _is_machine(answered_by) else CallOutcome.no_key
    elif status in _ENDED:
        outcome = _ENDED[status]
    else:
        return  # not an end (queued, ringing, in-progress)
    loaded = await _load(session, urls.outbox_id, urls.code)
    if loaded is None or await session.get(VoiceAnswer, call_sid[:64]) is not None:
        return  # unknown, or this call's outcome is in already (a key, or voicemail)
    row, page = loaded
    await _no_answer(session, row, page, call_sid, outcome, now)


async def _no_answer(
    session: AsyncSession,
    row: OutboxMessage,
    page: Page | DrillPage,
    call_sid: str,
    outcome: CallOutcome,
    now: datetime,
) -> None:
    if isinstance(page, DrillPage):
        await drill_calls.call_unanswered(session, row, call_sid, outcome, now)
        return
    activation = await lock_activation(session, page.activation_id)
    reason = _NOT_ANSWERED[outcome]
    eventlog.append(
        session,
        activation,
        "call_unanswered",
        f"{await _name(session, page.person_id)} svarede ikke på opringningen ({reason}); "
        "eskaleringen fortsætter.",
        data={"page_id": page.id, "person_id": page.person_id, "outcome": outcome},
        now=now,
    )
    session.add(
        VoiceAnswer(
            call_sid=call_sid[:64],
            outbox_id=row.id or 0,
            page_id=page.id,
            activation_id=activation.id,
            outcome=outcome,
            received_at=now,
        )
    )
    await commit_once(session, call_sid[:64])


async def _name(session: AsyncSession, person_id: str | None) -> str:
    person = await session.get(Person, person_id) if person_id else None
    return person.name if person else (person_id or "?")


async def press(
    session: AsyncSession,
    cfg: ActivationConfig,
    base: str,
    *,
    page_code: str,
    digit: str,
    now: datetime,
) -> str | None:
    """Development: the key `digit` pressed in the latest call for the open page (or the open
    drill's page) `page_code`, as if its person had answered. None when no call was placed."""
    rows = await session.exec(
        select(OutboxMessage)
        .join(Page, Page.id == OutboxMessage.page_id)
        .where(
            OutboxMessage.channel == Channel.voice,
            OutboxMessage.ref == page_code,
            Page.code == page_code,
            Page.state == PageState.open,
        )
        .order_by(OutboxMessage.id.desc())
    )
    row = rows.first() or await drill_calls.open_call(session, page_code)
    if row is None:
        return None
    urls = CallUrls(base, str(row.id), page_code)
    sid = row.provider_id or f"DEV{row.id}"
    return await call_gathered(session, cfg, urls, call_sid=sid, digits=digit, attempt=2, now=now)
