"""Handlingskort: the four roles' action cards of one activation; the crisis staff ticks a task
done or not applicable (or opens it again). The same service and roles as api/routers/tasks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import RowId
from beredskab.activations.repository import get_visible
from beredskab.auth.identity import Identity
from beredskab.auth.models import TokenRole as R
from beredskab.crisis_staff import action_cards
from beredskab.metadata import utcnow
from beredskab.roles import Role
from web.deps import Me, ReadSession, WriteSession, acting, activation_tabs, allow, viewer
from web.forms import parse
from web.render import render

Ticker = Annotated[Identity, Depends(allow(R.crisis_staff))]
router = APIRouter(prefix="/aktivering/{activation_id}/handlingskort", include_in_schema=False)


@router.get("")
async def cards_page(
    request: Request, activation_id: str, me: Me, session: ReadSession
) -> Response:
    activation = await get_visible(session, viewer(me), activation_id)
    tasks = await action_cards.list_tasks(session, activation.id)
    cards = [(role.value, [t for t in tasks if t.role == role.value]) for role in Role]
    return render(
        request,
        "cards.html",
        {
            "activation": activation,
            "tab": "handlingskort",
            "tab_title": "Handlingskort",
            "tabs": activation_tabs(me, activation_id),
            "cards": cards,
            "progress": action_cards.progress(tasks),
            "may_tick": me.has(R.crisis_staff) and activation.archived_at is None,
        },
    )


@router.post("/{task_id}")
async def tick(
    request: Request, activation_id: str, task_id: RowId, me: Ticker, session: WriteSession
) -> Response:
    principal = acting(me, R.crisis_staff)
    raw = await request.form()
    change, errors = parse(action_cards.TaskUpdate, {"state": str(raw.get("state", ""))})
    if change is None:  # only a forged form lacks a state: the page has buttons
        return RedirectResponse(f"/aktivering/{activation_id}/handlingskort", status_code=303)
    await action_cards.update_task(
        session,
        request.app.state.runtime.activation_config.playbook,
        activation_id,
        task_id,
        change,
        by=principal.display_name,
        now=utcnow(),
    )
    return RedirectResponse(
        f"/aktivering/{activation_id}/handlingskort#opgave-{task_id}", status_code=303
    )
