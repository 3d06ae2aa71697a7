"""Oversigt: the activations a person may see, and an authority's request for activation."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from beredskab.activations.schemas import ActivationCreate
from beredskab.auth.identity import Identity
from beredskab.auth.models import TokenRole as R
from beredskab.errors import InvalidInput
from beredskab.flows import board
from beredskab.lifecycle.request import request_activation
from beredskab.metadata import utcnow
from web.deps import Me, ReadSession, WriteSession, acting, allow, viewer
from web.forms import invalid_input_errors, parse
from web.render import render

router = APIRouter()


def _blank_request(me) -> dict:  # noqa: ANN001 - an Identity
    return {
        "title": "",
        "description": "",
        "contact_name": me.name,
        "contact_phone": me.phone,
        "channels": ["phone"],
        "exercise": False,
        "out_of_hours_requested": False,
        "key": str(uuid.uuid4()),
    }


async def _page(
    request: Request,
    session,
    me,
    form: dict,
    errors: dict,
    *,
    status: int = 200,  # noqa: ANN001
) -> Response:
    rows = await board.overview(session, viewer(me))
    return render(
        request,
        "overview.html",
        {
            "rows": rows,
            "may_request": me.has(R.authority),
            "form": form,
            "errors": errors,
            "now": utcnow(),
        },
        status=status,
    )


@router.get("/oversigt", include_in_schema=False)
async def overview(request: Request, me: Me, session: ReadSession) -> Response:
    return await _page(request, session, me, _blank_request(me), {})


Requester = Annotated[Identity, Depends(allow(R.authority))]


@router.post("/oversigt/anmod", include_in_schema=False)
async def ask_for_activation(request: Request, me: Requester, session: WriteSession) -> Response:
    principal = acting(me, R.authority)
    raw = await request.form()
    form = {
        "title": str(raw.get("title", "")).strip(),
        "description": str(raw.get("description", "")).strip(),
        "contact_name": str(raw.get("contact_name", "")).strip(),
        "contact_phone": str(raw.get("contact_phone", "")).strip(),
        "channels": [str(c) for c in raw.getlist("channels")],
        "exercise": raw.get("exercise") == "ja",
        "out_of_hours_requested": raw.get("out_of_hours_requested") == "ja",
        "key": str(raw.get("key", ""))[:200] or str(uuid.uuid4()),
    }
    data, errors = parse(ActivationCreate, {k: v for k, v in form.items() if k != "key"})
    if data is not None:
        runtime = request.app.state.runtime
        try:
            activation, _ = await request_activation(
                session,
                runtime.activation_config,
                principal,
                data,
                idempotency_key=form["key"],
                now=utcnow(),
            )
        except InvalidInput as exc:
            errors = invalid_input_errors(exc)
        else:
            return RedirectResponse(f"/aktivering/{activation.id}", status_code=303)
    return await _page(request, session, me, form, errors, status=422)
