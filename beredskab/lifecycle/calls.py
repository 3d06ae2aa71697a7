"""Placing the phone call that follows an unanswered role or endorsement page, when its
`page_call` deadline falls due (scheduled with the page: `activations.voicecalls.schedule_call`).

The call is an outbox row (channel `voice`); what it says comes from the playbook (`role_call`,
`endorse_call`). A page answered, closed or about to time out is not called; a page is never
called twice. What the call's key press does is in `flows.voice`.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.config import ActivationConfig
from beredskab.activations.models import OPEN_STATUSES, Page, PagePurpose, PageState
from beredskab.activations.repository import lock_activation
from beredskab.activations.voicecalls import PAGE_CALL, call_now, call_of_page, queue_call
from beredskab.deadlines import Deadline, Handler
from beredskab.directory.models import Organisation, Person
from beredskab.eventlog import service as eventlog
from beredskab.playbook import Playbook
from beredskab.roles import Role


def _call_text(playbook: Playbook, page: Page, ref: str, title: str, authority: str) -> str:
    if page.purpose == PagePurpose.endorse:
        return playbook.render(
            "endorse_call", ref=ref, authority=authority, title=title, code=page.code
        )
    name = playbook.roles[Role(page.role or "")].name
    return playbook.render("role_call", ref=ref, title=title, role_name=name, code=page.code)


def deadline_handlers(cfg: ActivationConfig) -> dict[str, Handler]:
    async def on_call_due(session: AsyncSession, row: Deadline, now: datetime) -> None:
        activation = await lock_activation(session, row.activation_id or "")
        page = await session.get(Page, row.subject_id)
        if page is None or page.id is None or page.state != PageState.open:
            return  # answered (or closed) in time: no call
        if activation.status not in OPEN_STATUSES:
            return
        if page.expires_at is not None and page.expires_at <= now:
            return  # its timeout escalates in this same tick: a call would come too late
        if await call_of_page(session, page.id) is not None:
            return  # never two calls for one page
        if page.purpose == PagePurpose.endorse:
            policy, what = cfg.playbook.endorsement, "styregruppemedlem"
        elif page.purpose == PagePurpose.role:
            policy = cfg.playbook.roles[Role(page.role or "")]
            what = policy.name
        else:
            return
        if not call_now(policy.call_when, now, cfg.opening_rules):
            return
        org = await session.get(Organisation, activation.authority_id)
        text = _call_text(
            cfg.playbook,
            page,
            activation.ref,
            activation.title,
            org.name if org else activation.authority_id,
        )
        if activation.exercise:
            text = cfg.playbook.exercise_prefix + text
        queue_call(session, activation, page, text)
        person = await session.get(Person, page.person_id)
        who = person.name if person else page.person_id
        minutes = round((now - page.created_at).total_seconds() / 60)
        eventlog.append(
            session,
            activation,
            "call_placed",
            f"{who} ringes op som {what}: intet svar på SMS efter {minutes} min.",
            data={"page_id": page.id, "person_id": page.person_id, "role": page.role},
            now=now,
        )

    return {PAGE_CALL: on_call_due}
