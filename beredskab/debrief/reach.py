"""Reach figures of one activation: pages and their answers, SMS and their segments. Counts are
GROUP BY queries; the answer times (medians need the values) read two columns of answered pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from statistics import median

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Page, PagePurpose
from beredskab.debrief.schemas import AnswerTimes, Reach
from beredskab.escalation import PageState
from beredskab.outbox import Channel, OutboxMessage, OutboxStatus
from beredskab.roles import Role

ANSWERED = (PageState.acked, PageState.declined)
STEERING = (PagePurpose.endorse, PagePurpose.shift_approve)
FAILED_REPORTS = ("failed", "undelivered")


def minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 60, 2)


def group_of(purpose: str, role: str | None) -> str:
    """Whom a page asked: the steering group, one crisis-staff role, or the municipalities."""
    if purpose in STEERING:
        return "steering"
    if purpose == PagePurpose.volunteer:
        return "municipalities"
    return role or "role"


GROUPS = ["steering", *(r.value for r in Role), "municipalities"]


async def reach(
    session: AsyncSession, activation_id: str, segment_count: Callable[[str], int]
) -> Reach:
    p = Page
    by_state: dict[tuple[str, str], int] = {}
    states: dict[str, int] = {}
    counted = await session.exec(
        select(p.purpose, p.role, p.state, func.count())
        .where(p.activation_id == activation_id)
        .group_by(p.purpose, p.role, p.state)
    )
    for purpose, role, state, n in counted.all():
        group = group_of(purpose, role)
        by_state[(group, state)] = by_state.get((group, state), 0) + n
        states[state] = states.get(state, 0) + n
    waits: dict[str, list[float]] = {}
    answered = await session.exec(
        select(p.purpose, p.role, p.created_at, p.answered_at).where(
            p.activation_id == activation_id,
            p.state.in_(ANSWERED),  # type: ignore[attr-defined]
            p.answered_at.is_not(None),  # type: ignore[union-attr]
        )
    )
    for purpose, role, created, at in answered.all():
        waits.setdefault(group_of(purpose, role), []).append(minutes(created, at) or 0.0)
    times = []
    for group in GROUPS:
        sent = sum(n for (g, _), n in by_state.items() if g == group)
        values = waits.get(group, [])
        times.append(
            AnswerTimes(
                group=group,
                pages=sent,
                answered=len(values),
                median_minutes=round(median(values), 2) if values else None,
                worst_minutes=max(values) if values else None,
            )
        )
    return Reach(
        pages=sum(states.values()),
        pages_answered=sum(states.get(s, 0) for s in ANSWERED),
        pages_expired=states.get(PageState.expired, 0),
        pages_failed=states.get(PageState.failed, 0),
        **await _sms(session, activation_id, segment_count),
        answer_times=times,
    )


async def _sms(
    session: AsyncSession, activation_id: str, segment_count: Callable[[str], int]
) -> dict[str, int]:
    o = OutboxMessage
    mine = (o.activation_id == activation_id, o.channel == Channel.sms)
    queued = sent = delivered = failed = 0
    rows = await session.exec(
        select(o.status, o.provider_status, func.count())
        .where(*mine)
        .group_by(o.status, o.provider_status)
    )
    for status, provider_status, n in rows.all():
        if status == OutboxStatus.cancelled:
            continue
        queued += n
        if status == OutboxStatus.sent:
            sent += n
        if provider_status == "delivered":
            delivered += n
        if status == OutboxStatus.failed or provider_status in FAILED_REPORTS:
            failed += n
    bodies = await session.exec(
        select(o.body, func.count()).where(*mine, o.status == OutboxStatus.sent).group_by(o.body)
    )
    segments = sum(segment_count(body) * n for body, n in bodies.all())
    return {
        "sms_queued": queued,
        "sms_sent": sent,
        "sms_delivered": delivered,
        "sms_failed": failed,
        "sms_segments": segments,
    }
