"""Delivery: what the provider reports about an SMS we sent, and what an undeliverable page does.

Both ways of learning that a page cannot reach its person (a delivery report from Twilio, or the
dispatcher giving up on a send) end in `_undeliverable`: the call-out moves on at once. Either way,
an error saying the number itself is unusable (directory.verification.UNREACHABLE_CODES) marks the
person holding it unreachable, whatever the message was.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.config import ActivationConfig
from beredskab.activations.models import Page
from beredskab.activations.repository import lock_activation
from beredskab.crisis_staff import callout as callouts
from beredskab.directory import verification
from beredskab.outbox import OutboxMessage
from beredskab.unit_of_work import transaction

FAILED_STATUSES = {"failed", "undelivered"}
# Twilio's message life cycle: a report is applied only if it is later in it than the one we
# hold (reports arrive in any order: a late "sent" must not overwrite "delivered"). The final
# states share a rank: the first one reported stands. Unknown statuses rank first.
LIFE_CYCLE = {
    **dict.fromkeys(("accepted", "scheduled", "queued"), 1),
    "sending": 2,
    "sent": 3,
    **dict.fromkeys(("delivered", "undelivered", "failed", "canceled"), 4),
    "read": 5,
}


def supersedes(new: str, held: str | None) -> bool:
    """Whether a report of `new` moves a message on from `held` in its life cycle."""
    return held is None or LIFE_CYCLE.get(new, 0) > LIFE_CYCLE.get(held, 0)


async def _undeliverable(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation_id: str,
    page_id: int,
    reason: str,
    now: datetime,
) -> None:
    activation = await lock_activation(session, activation_id)
    page = await session.get(Page, page_id)
    if page is not None:
        await callouts.page_undeliverable(session, cfg.playbook, activation, page, reason, now)


async def page_undeliverable(
    session: AsyncSession,
    cfg: ActivationConfig,
    *,
    page_id: int,
    activation_id: str,
    reason: str,
    now: datetime,
) -> None:
    """The dispatcher gave up sending a page's SMS: escalate as for a failed delivery report."""
    async with transaction(session):
        await _undeliverable(session, cfg, activation_id, page_id, reason, now)


async def number_refused(
    session: AsyncSession, *, phone: str, error_code: int, now: datetime
) -> None:
    """The dispatcher gave up an SMS to `phone` with a provider error: mark the number unreachable
    if the error says so (else nothing changes)."""
    async with transaction(session):
        await verification.mark_unreachable(session, phone, error_code, now)


async def record_delivery_status(
    session: AsyncSession,
    cfg: ActivationConfig,
    *,
    provider_id: str,
    status: str,
    error_code: str | None,
    now: datetime,
) -> bool:
    """Store a provider's delivery report; an undeliverable page moves its call-out on."""
    async with transaction(session):
        # locked: two reports of one message at once are applied one after the other, each
        # judged against what the other left (else a late "sent" could still win the race)
        row = (
            await session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.provider_id == provider_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).first()
        if row is None:
            return False
        if not supersedes(status, row.provider_status):
            return True  # an older report arriving late: what we hold is newer
        if status in FAILED_STATUSES:
            await verification.mark_unreachable(session, row.recipient, error_code, now)
        if row.page_id is not None and status in FAILED_STATUSES and row.activation_id:
            reason = f"leveringsstatus {status}" + (f", fejl {error_code}" if error_code else "")
            await _undeliverable(session, cfg, row.activation_id, row.page_id, reason, now)
        await session.refresh(row)
        row.provider_status = status
        if error_code:
            row.last_error = f"delivery {status}: {error_code}"
        session.add(row)
    return True
