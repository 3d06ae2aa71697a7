"""Delivery: what the provider reports about an SMS we sent, and what an undeliverable page does.

Both ways of learning that a page cannot reach its person (a delivery report from Twilio, or the
dispatcher giving up on a send) end in `_undeliverable`: the call-out moves on at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.config import ActivationConfig
from beredskab.activations.models import Page
from beredskab.activations.repository import lock_activation
from beredskab.crisis_staff import callout as callouts
from beredskab.outbox import OutboxMessage
from beredskab.unit_of_work import transaction

FAILED_STATUSES = {"failed", "undelivered"}


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
        row = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.provider_id == provider_id)
            )
        ).first()
        if row is None:
            return False
        if row.page_id is not None and status in FAILED_STATUSES and row.activation_id:
            reason = f"leveringsstatus {status}" + (f", fejl {error_code}" if error_code else "")
            await _undeliverable(session, cfg, row.activation_id, row.page_id, reason, now)
        await session.refresh(row)
        row.provider_status = status
        if error_code:
            row.last_error = f"delivery {status}: {error_code}"
        session.add(row)
    return True
