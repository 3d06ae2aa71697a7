"""Development only (DEV_MODE=true): inject an SMS reply as if it came from a phone, or press a
key in a call the console gateway printed."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from api.deps import SessionDep, require_roles
from api.openapi import problems
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.errors import NotFound
from beredskab.flows.inbound import handle_inbound_sms
from beredskab.flows.voice import press
from beredskab.metadata import utcnow

router = APIRouter(prefix="/dev", tags=["development"])


class InjectSms(BaseModel):
    from_number: str = Field(alias="from", examples=["+4550100001"])
    body: str = Field(max_length=2000, examples=["OK 4821"])


@router.post("/sms/inject", summary="Pretend a phone sent this SMS (console gateway demos)")
async def inject_sms(
    body: InjectSms,
    request: Request,
    _: Annotated[Principal, Depends(require_roles(TokenRole.admin))],
    session: SessionDep,
) -> dict:
    runtime = request.app.state.runtime
    # the request's own session: on SQLite a second one would wait for this one's write lock
    result = await handle_inbound_sms(
        session,
        runtime.activation_config,
        message_sid=f"DEV{uuid.uuid4().hex}",
        from_number=body.from_number,
        to_number="",
        body=body.body,
        own_numbers=set(),
        now=utcnow(),
    )
    return {"outcome": result.outcome, "reply": result.reply}


class PressKey(BaseModel):
    page_code: str = Field(pattern=r"^\d{4,8}$", examples=["4821"])
    digit: str = Field(pattern=r"^[0-9*#]$", examples=["1"])


@router.post(
    "/voice/press",
    summary="Press a key in the call for a page (console gateway demos)",
    responses=problems(404, s404="No call was placed for an open page with this code"),
)
async def press_key(
    body: PressKey,
    request: Request,
    _: Annotated[Principal, Depends(require_roles(TokenRole.admin))],
    session: SessionDep,
) -> dict:
    runtime = request.app.state.runtime
    twiml = await press(
        session,
        runtime.activation_config,
        runtime.voice_url,
        page_code=body.page_code,
        digit=body.digit,
        now=utcnow(),
    )
    if twiml is None:
        raise NotFound(f"no call for an open page with code {body.page_code}")
    return {"twiml": twiml}
