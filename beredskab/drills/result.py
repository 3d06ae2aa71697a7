"""A drill's result: per person answered (when, by SMS or key), not answered, undeliverable or
unsubscribed; per group the share reached within 5, 15 and 30 minutes; the non-answerers.
One query over the drill's pages, their people and their SMS."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.directory.models import Person
from beredskab.drill_schedule import GROUP_NAMES, MEMBER_GROUPS, DrillGroup
from beredskab.drills import rules
from beredskab.drills.calls import call_states
from beredskab.drills.models import DrillPage
from beredskab.drills.schemas import (
    Counts,
    DrillResult,
    GroupReach,
    PersonResult,
    ReachShare,
)
from beredskab.drills.service import summaries
from beredskab.outbox import OutboxMessage


async def result(session: AsyncSession, drill_id: int) -> DrillResult:
    summary = (await summaries(session, drill_id=drill_id))[0]
    calls = await call_states(session, drill_id)
    rows = await session.exec(
        select(
            DrillPage,
            Person.name,
            OutboxMessage.status,
            OutboxMessage.provider_status,
            OutboxMessage.last_error,
        )
        .join(Person, Person.id == DrillPage.person_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == DrillPage.outbox_id)
        .where(DrillPage.drill_id == drill_id)
        .order_by(Person.name, DrillPage.person_id)
    )
    people = [
        PersonResult(
            person_id=page.person_id,
            name=name,
            phone=page.phone,
            groups=[DrillGroup(g) for g in page.groups.split(",") if g],
            outcome=rules.outcome(page.answered_at, status, provider_status, error),
            answered_at=page.answered_at,
            minutes=rules.minutes_after(summary.started_at, page.answered_at),
            channel=page.channel,
            call_requested_at=page.call_requested_at,
            call=calls.get(page.id or 0),
        )
        for page, name, status, provider_status, error in rows.all()
    ]
    counts = {o: 0 for o in rules.Outcome}
    for p in people:
        counts[p.outcome] += 1
    groups = []
    for group in MEMBER_GROUPS[summary.group]:
        minutes = [p.minutes for p in people if group in p.groups]
        groups.append(
            GroupReach(
                group=group,
                name=GROUP_NAMES[group],
                people=len(minutes),
                reached=[
                    ReachShare(within_minutes=r.within, part=r.part, whole=r.whole, share=r.share)
                    for r in rules.reach(minutes)
                ],
            )
        )
    return DrillResult(
        drill=summary,
        counts=Counts(people=len(people), **{o.value: n for o, n in counts.items()}),
        groups=groups,
        people=people,
        not_answered=[p for p in people if p.outcome is not rules.Outcome.answered],
    )


async def latest(session: AsyncSession) -> DrillResult | None:
    """The newest drill's result (the readiness page shows it), or None before the first."""
    newest = await summaries(session, limit=1)
    return await result(session, newest[0].id) if newest else None
