"""The drills' deadline rows: a drill's end, the phone call to those who have not answered after
N minutes (`calls.request_call`), and the playbook's scheduled drills. Handlers run inside
`deadlines.run_due`'s transaction and never commit; `keep_schedule` commits (at start-up)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import deadlines
from beredskab.activations.config import ActivationConfig
from beredskab.db import DRILL_SCHEDULE_LOCK, serialise
from beredskab.deadlines import Deadline, DeadlineStatus
from beredskab.drill_schedule import Postpone, Skip, decide_scheduled, next_occurrence
from beredskab.drills import calls, service
from beredskab.drills.models import Drill, DrillPage, DrillStatus
from beredskab.unit_of_work import transaction

log = logging.getLogger(__name__)

SCHEDULED = "drill_scheduled"  # subject_id: the rule's position in the playbook's schedule


async def _lock_drill(session: AsyncSession, drill_id: int | None) -> Drill | None:
    return (
        await session.exec(
            select(Drill)
            .where(Drill.id == drill_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()


def deadline_handlers(cfg: ActivationConfig) -> dict[str, deadlines.Handler]:
    async def on_close(session: AsyncSession, row: Deadline, now: datetime) -> None:
        drill = await _lock_drill(session, row.subject_id)
        if drill is not None and drill.status == DrillStatus.open:
            drill.status, drill.closed_at = DrillStatus.closed, now
            session.add(drill)

    async def on_call_due(session: AsyncSession, row: Deadline, now: datetime) -> None:
        drill = await _lock_drill(session, row.subject_id)
        if drill is None:
            return
        pages = await session.exec(
            select(DrillPage).where(
                DrillPage.drill_id == drill.id,
                DrillPage.answered_at.is_(None),
                DrillPage.call_requested_at.is_(None),
            )
        )
        for page in pages.all():
            await calls.request_call(session, cfg.playbook, drill, page, now)

    async def on_scheduled(session: AsyncSession, row: Deadline, now: datetime) -> None:
        plans = cfg.playbook.drills.schedule
        index = row.subject_id if row.subject_id is not None else -1
        if not 0 <= index < len(plans):
            log.warning("scheduled drill %s is no longer in the playbook; dropped", index)
            return
        plan, tz = plans[index], cfg.timezone
        reason = await service.blocker(session, now)
        decision = decide_scheduled(
            plan.recurrence, row.due_at, now, tz, blocked=reason is not None
        )
        if isinstance(decision, Postpone):
            log.warning("scheduled drill %r postponed to %s: %s", plan.rule, decision.until, reason)
            deadlines.schedule(session, SCHEDULED, decision.until, subject_id=index)
            return
        if isinstance(decision, Skip):
            log.warning("scheduled drill %r skipped: %s", plan.rule, reason)
        else:
            await service.start(
                session,
                cfg.playbook,
                plan.group,
                call_after_minutes=plan.call_after_minutes,
                by="Planlagt kaldeøvelse",
                now=now,
                schedule_rule=plan.rule,
            )
        after = max(now, row.due_at)
        deadlines.schedule(
            session, SCHEDULED, next_occurrence(plan.recurrence, after, tz), subject_id=index
        )

    return {service.CLOSE: on_close, service.CALL_DUE: on_call_due, SCHEDULED: on_scheduled}


async def keep_schedule(session: AsyncSession, cfg: ActivationConfig, now: datetime) -> int:
    """One pending deadline row per scheduled drill of the playbook (added if missing, dropped if
    its rule is gone); commits. Returns how many were added. Two processes starting at once are
    serialised (an advisory lock on PostgreSQL; SQLite's writer lock)."""
    plans = cfg.playbook.drills.schedule
    async with transaction(session):
        await serialise(session, DRILL_SCHEDULE_LOCK)
        rows = await session.exec(
            select(Deadline).where(
                Deadline.kind == SCHEDULED,
                Deadline.status.in_([DeadlineStatus.pending, DeadlineStatus.claimed]),
            )
        )
        have = set()
        for row in rows.all():
            if row.subject_id is None or row.subject_id >= len(plans):
                row.status = DeadlineStatus.cancelled
                session.add(row)
            else:
                have.add(row.subject_id)
        added = 0
        for index, plan in enumerate(plans):
            if index not in have:
                due = next_occurrence(plan.recurrence, now, cfg.timezone)
                deadlines.schedule(session, SCHEDULED, due, subject_id=index)
                added += 1
    return added
