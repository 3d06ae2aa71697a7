"""Twilio webhooks: inbound SMS, delivery status and phone calls. Signature-checked; never a 500
to Twilio."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request, Response
from twilio.request_validator import RequestValidator

from api.errors import problem
from api.openapi import problems
from beredskab.activations.models import REPLY_IN_LINE
from beredskab.errors import RACE_TRIES, TryAgain
from beredskab.flows.delivery import record_delivery_status
from beredskab.flows.inbound import handle_inbound_sms, record_unprocessed
from beredskab.flows.voice import (
    CallUrls,
    call_answered,
    call_ended,
    call_gathered,
    spoken_error,
)
from beredskab.metadata import utcnow

log = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks/twilio", tags=["webhooks"])

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def _verified_form(request: Request) -> dict[str, str] | None:
    """The form Twilio posted, or None if the X-Twilio-Signature does not match."""
    settings = request.app.state.settings
    form = {k: str(v) for k, v in (await request.form()).multi_items()}
    # behind a proxy the URL Twilio called is PUBLIC_BASE_URL + path (+ query), not ours
    url = settings.public_base_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    signature = request.headers.get("X-Twilio-Signature", "")
    if not settings.twilio_auth_token or not signature:
        return None
    if not RequestValidator(settings.twilio_auth_token).validate(url, form, signature):
        return None
    # signed as sent; stored without NUL characters, which PostgreSQL cannot hold in text
    return {k: v.replace("\x00", "") for k, v in form.items()}


def _forbidden(request: Request) -> Response:
    log.warning(
        "rejected a Twilio webhook with a missing or bad signature from %s",
        request.client.host if request.client else "?",
    )
    return problem(403, "missing or invalid X-Twilio-Signature", instance=request.url.path)


@router.post(
    "/sms",
    summary="Inbound SMS (Twilio, signed)",
    description="A form Twilio posts, signed with X-Twilio-Signature. Answered with TwiML: empty, "
    "or a message to the sender when the SMS could not be processed (it is kept).",
    response_class=Response,
    responses={
        200: {
            "description": "TwiML",
            "content": {"application/xml": {"schema": {"type": "string"}}},
        },
        **problems(403, s403="Missing or invalid X-Twilio-Signature"),
    },
)
async def inbound_sms(request: Request) -> Response:
    form = await _verified_form(request)
    if form is None:
        return _forbidden(request)
    runtime = request.app.state.runtime
    settings = request.app.state.settings
    sid = form.get("MessageSid") or form.get("SmsSid")
    if not sid:
        return problem(422, "MessageSid: is required", instance=request.url.path)
    body = form.get("Body", "")
    own = {n for n in (settings.twilio_from, form.get("To", "")) if n}
    # PostgreSQL: stored in line and answered at once, a drain does it; SQLite: done here, in
    # turn (docs/architecture.md, "Replies in line")
    keep_in_line = runtime.keeps_replies_in_line
    try:
        async with runtime.sms_turn(), runtime.sessionmaker() as session:
            result = await handle_inbound_sms(
                session,
                runtime.activation_config,
                message_sid=sid,
                from_number=form.get("From", ""),
                to_number=form.get("To", ""),
                body=body,
                own_numbers=own,
                now=utcnow(),
                keep_in_line=keep_in_line,
            )
        if result.outcome == REPLY_IN_LINE:
            runtime.kick_in_line()
    except Exception as exc:  # noqa: BLE001 - never a 500 to Twilio; keep the message, answer
        log.exception("inbound SMS %s could not be processed", sid)
        async with runtime.sessionmaker() as session:
            await record_unprocessed(
                session,
                message_sid=sid,
                from_number=form.get("From", ""),
                to_number=form.get("To", ""),
                body=body,
                error=type(exc).__name__,
                now=utcnow(),
            )
        # answered inline by Twilio, not through our outbox, which may be what failed
        text = escape(runtime.activation_config.playbook.render("reply_error"))
        return Response(
            f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{text}</Message></Response>',
            media_type="application/xml",
        )
    log.info("inbound SMS %s: %s", sid, result.outcome)
    return Response(EMPTY_TWIML, media_type="application/xml")


@router.post(
    "/status",
    summary="Delivery status callback (Twilio, signed)",
    status_code=204,
    response_class=Response,
    responses=problems(403, s403="Missing or invalid X-Twilio-Signature"),
)
async def delivery_status(request: Request) -> Response:
    form = await _verified_form(request)
    if form is None:
        return _forbidden(request)
    runtime = request.app.state.runtime
    async with runtime.sessionmaker() as session:
        await record_delivery_status(
            session,
            runtime.activation_config,
            provider_id=form.get("MessageSid", ""),
            status=form.get("MessageStatus", ""),
            error_code=form.get("ErrorCode") or None,
            now=utcnow(),
        )
    return Response(status_code=204)


_TWIML = {
    200: {"description": "TwiML", "content": {"application/xml": {"schema": {"type": "string"}}}},
    **problems(403, s403="Missing or invalid X-Twilio-Signature"),
}


async def _call_webhook(
    request: Request,
    call_id: str,
    code: str,
    flow: Callable[..., Awaitable[Any]],
    fields: dict[str, str],
    *,
    twiml: bool = True,
    **given: object,
) -> Response:
    """A call's webhook: signature first, then `flow(session, config, urls, call_sid=…, …)` with
    the form's `fields` (argument name → form field) and `given`. A TwiML webhook waits for an
    inbound slot, and a failure says the SMS error text and hangs up (never a 500 to Twilio);
    the status callback answers 204."""
    form = await _verified_form(request)
    if form is None:
        return _forbidden(request)
    runtime = request.app.state.runtime
    cfg = runtime.activation_config
    urls = CallUrls(runtime.voice_url, call_id, code)
    args = {name: form.get(field, "") for name, field in fields.items()}

    async def once() -> Any:
        async with runtime.sessionmaker() as session:
            call_sid = form.get("CallSid", "")
            return await flow(session, cfg, urls, call_sid=call_sid, **args, **given, now=utcnow())

    async def step() -> Any:
        # a key that paged the next person can meet a race for a reply code (`TryAgain`,
        # nothing written): the same answer again, in a new transaction, a few times
        for _race in range(RACE_TRIES - 1):
            with contextlib.suppress(TryAgain):
                return await once()
        return await once()

    if not twiml:
        await step()
        return Response(status_code=204)
    try:
        async with runtime.inbound_slots:
            answer = await step()
    except Exception:  # noqa: BLE001 - never a 500 to Twilio: say so and hang up
        log.exception("call %s/%s: the webhook could not be processed", call_id, code)
        answer = spoken_error(cfg.playbook)
    return Response(answer, media_type="application/xml")


@router.post(
    "/voice/{call_id}/{code}",
    summary="A call was answered (Twilio, signed): what it says",
    description="Twilio fetches the call's TwiML here once it is answered, with `AnsweredBy` "
    "from answering-machine detection: the page's Danish text twice and one key (1 = ja, "
    "2 = nej); voicemail is hung up on and counts as no answer. The call's id and its page's "
    "code are in the path, so a call can only answer its own page.",
    response_class=Response,
    responses=_TWIML,
)
async def voice_answered(request: Request, call_id: str, code: str) -> Response:
    return await _call_webhook(request, call_id, code, call_answered, {"answered_by": "AnsweredBy"})


@router.post(
    "/voice/{call_id}/{code}/gather",
    summary="The key pressed in a call (Twilio, signed)",
    description="1 accepts and 2 declines the call's page, exactly as the SMS reply would "
    "(once per CallSid: a replay has no second effect); anything else or silence asks once "
    "more (`attempt=2`), then says goodbye.",
    response_class=Response,
    responses=_TWIML,
)
async def voice_gathered(request: Request, call_id: str, code: str, attempt: str = "1") -> Response:
    return await _call_webhook(
        request,
        call_id,
        code,
        call_gathered,
        {"digits": "Digits"},
        attempt=2 if attempt == "2" else 1,
    )


@router.post(
    "/voice/{call_id}/{code}/status",
    summary="A call's status callback (Twilio, signed)",
    description="Busy, no-answer, failed, or completed without a key (or by voicemail) is "
    "logged as not answered; the page's escalation goes on.",
    status_code=204,
    response_class=Response,
    responses=problems(403, s403="Missing or invalid X-Twilio-Signature"),
)
async def voice_status(request: Request, call_id: str, code: str) -> Response:
    fields = {"status": "CallStatus", "answered_by": "AnsweredBy"}
    return await _call_webhook(request, call_id, code, call_ended, fields, twiml=False)
