"""Beredskab: the directory's readiness gaps and who is on duty (steering and admin); an admin
signs a person out of the console everywhere from here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from beredskab.auth.identity import Identity
from beredskab.auth.models import TokenRole as R
from beredskab.auth.signin import end_sessions_of
from beredskab.directory import service as directory
from beredskab.directory.readiness import on_duty, readiness
from beredskab.drills import result as drills
from beredskab.drills.rules import CALL_NAMES, OUTCOME_NAMES
from beredskab.metadata import utcnow
from web.deps import ReadSession, WriteSession, allow
from web.render import render

router = APIRouter()
Reader = Annotated[Identity, Depends(allow(R.steering, R.admin))]
Admin = Annotated[Identity, Depends(allow(R.admin))]


async def _page(
    request: Request,
    me: Identity,
    session,  # noqa: ANN001 - a read or write session
    signed_out: str = "",
    ended: int = 0,
) -> Response:
    people = {p.id: p.name for p in await directory.list_people(session)}
    context = {
        "ready": await readiness(session),
        "duty": await on_duty(session),
        "names": {o.id: o.name for o in await directory.list_organisations(session)},
        "people": people,
        "may_sign_out": me.has(R.admin),
        "signed_out": people.get(signed_out, ""),
        "ended": ended,
        "drill": await drills.latest(session),
        "outcome_names": OUTCOME_NAMES,
        "call_names": CALL_NAMES,
    }
    return render(request, "readiness.html", context)


@router.get("/beredskab", include_in_schema=False)
async def readiness_page(request: Request, me: Reader, session: ReadSession) -> Response:
    return await _page(request, me, session)


@router.post("/beredskab/log-ud/{person_id}", include_in_schema=False)
async def sign_out_everywhere(
    request: Request, person_id: str, me: Admin, session: WriteSession
) -> Response:
    """The page itself answers with what was done (the message is never read from an address,
    where anyone could write another)."""
    ended = await end_sessions_of(session, person_id, now=utcnow())
    return await _page(request, me, session, signed_out=person_id, ended=ended)
