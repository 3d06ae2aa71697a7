"""Beredskab: the directory's readiness gaps and who is on duty (steering and admin); an admin
signs a person out of the console everywhere from here."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from beredskab.auth.identity import Identity
from beredskab.auth.models import TokenRole as R
from beredskab.auth.signin import end_sessions_of
from beredskab.directory import service as directory
from beredskab.directory.readiness import on_duty, readiness
from beredskab.metadata import utcnow
from web.deps import ReadSession, WriteSession, allow
from web.render import render

router = APIRouter()
Reader = Annotated[Identity, Depends(allow(R.steering, R.admin))]
Admin = Annotated[Identity, Depends(allow(R.admin))]


@router.get("/beredskab", include_in_schema=False)
async def readiness_page(request: Request, me: Reader, session: ReadSession) -> Response:
    signed_out = request.query_params.get("logget_ud", "")
    people = {p.id: p.name for p in await directory.list_people(session)}
    context = {
        "ready": await readiness(session),
        "duty": await on_duty(session),
        "names": {o.id: o.name for o in await directory.list_organisations(session)},
        "people": people,
        "may_sign_out": me.has(R.admin),
        "signed_out": people.get(signed_out, ""),
        "ended": request.query_params.get("antal", ""),
    }
    return render(request, "readiness.html", context)


@router.post("/beredskab/log-ud/{person_id}", include_in_schema=False)
async def sign_out_everywhere(person_id: str, me: Admin, session: WriteSession) -> Response:
    ended = await end_sessions_of(session, person_id, now=utcnow())
    query = urlencode({"logget_ud": person_id, "antal": ended})
    return RedirectResponse(f"/beredskab?{query}#besked", status_code=303)
