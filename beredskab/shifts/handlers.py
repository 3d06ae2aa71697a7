"""The shift deadlines: a silent municipality's secondary contact, the checkpoints before the
start, the end of the shift, and an unapproved shift's reminder.

Each handler locks the activation and runs one step; `deadlines.run_due` owns the transaction and
commits it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import deadlines
from beredskab.activations.models import Page, PageState
from beredskab.activations.repository import lock_activation
from beredskab.errors import NotFound
from beredskab.shifts import approval, callout, checkpoints, ending, repository, rules

if TYPE_CHECKING:
    from beredskab.activations.config import ActivationConfig


def deadline_handlers(cfg: ActivationConfig) -> dict[str, deadlines.Handler]:
    async def on_secondary(session: AsyncSession, row: deadlines.Deadline, now: datetime) -> None:
        page = await session.get(Page, row.subject_id)
        if page is None:
            raise NotFound(f"page {row.subject_id} is gone")
        if page.state != PageState.open:
            # answered or closed already, and a page never opens again: nothing to do, and no
            # need to queue on the activation's lock behind the replies (#18, P8)
            return
        activation = await lock_activation(session, row.activation_id or "")
        await session.refresh(page)
        await callout.page_secondary(session, cfg, activation, page, now)

    def on_checkpoint(kind: str) -> deadlines.Handler:
        async def handler(session: AsyncSession, row: deadlines.Deadline, now: datetime) -> None:
            activation, shift = await repository.lock_shift(
                session, row.activation_id or "", row.subject_id or 0
            )
            await checkpoints.checkpoint(session, cfg, activation, shift, kind, now)

        return handler

    async def on_shift_over(session: AsyncSession, row: deadlines.Deadline, now: datetime) -> None:
        activation, shift = await repository.lock_shift(
            session, row.activation_id or "", row.subject_id or 0
        )
        await ending.shift_over(session, cfg, activation, shift, now)

    async def on_approval_reminder(
        session: AsyncSession, row: deadlines.Deadline, now: datetime
    ) -> None:
        activation, shift = await repository.lock_shift(
            session, row.activation_id or "", row.subject_id or 0
        )
        await approval.remind_approval(session, cfg, activation, shift, now)

    handlers = {
        rules.VOLUNTEER_SECONDARY: on_secondary,
        rules.SHIFT_OVER: on_shift_over,
        rules.APPROVAL_REMINDER: on_approval_reminder,
    }
    for kind, _ in rules.CHECKPOINTS:
        handlers[kind] = on_checkpoint(kind)
    return handlers
