"""The debrief of one activation, read from every aggregate: the activation, its role pages and
tenures, the outbox, the shifts, the cost statement, the log and the evaluation. Reads only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.config import ActivationConfig
from beredskab.activations.models import Activation, ActivationStatus, Page, PagePurpose
from beredskab.activations.repository import get_visible
from beredskab.auth.service import Principal
from beredskab.costs import statement as statements
from beredskab.crisis_staff.models import RoleTenure
from beredskab.debrief.evaluation import to_out
from beredskab.debrief.models import ActivationEvaluation
from beredskab.debrief.reach import minutes, reach
from beredskab.debrief.schemas import (
    CostTotals,
    Debrief,
    Milestones,
    RoleMilestone,
    ShiftMilestones,
    TriedPage,
)
from beredskab.debrief.shift_figures import shift_figures
from beredskab.directory.models import Organisation, Person
from beredskab.errors import Conflict
from beredskab.escalation import PageState
from beredskab.roles import Role

SegmentCount = Callable[[str], int]


async def visible_debrief(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation_id: str,
    principal: Principal,
    *,
    segment_count: SegmentCount,
    now: datetime,
) -> Debrief:
    """The debrief of an activation the caller may see (an authority: its own only)."""
    activation = await get_visible(session, principal, activation_id)
    return await debrief(session, cfg, activation, segment_count=segment_count, now=now)


async def debrief(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    *,
    segment_count: SegmentCount,
    now: datetime,
) -> Debrief:
    """`segment_count` is the SMS segment arithmetic (notifications.segments, an adapter the
    domain may not import): handed in by the entrypoint."""
    authority = await session.get(Organisation, activation.authority_id)
    shifts, first_shift = await shift_figures(session, activation.id)
    evaluation = await session.get(ActivationEvaluation, activation.id)
    return Debrief(
        activation_id=activation.id,
        ref=activation.ref,
        title=activation.title,
        authority=authority.name if authority else activation.authority_id,
        exercise=activation.exercise,
        status=activation.status,
        computed_at=now,
        milestones=await milestones(session, activation, first_shift),
        reach=await reach(session, activation.id, segment_count),
        shifts=shifts,
        costs=await costs(session, cfg, activation, now),
        evaluation=to_out(evaluation) if evaluation else None,
        log_entries=activation.log_seq,
    )


async def milestones(
    session: AsyncSession, activation: Activation, first_shift: ShiftMilestones | None
) -> Milestones:
    roles = await role_milestones(session, activation)
    filled = [r.filled_at for r in roles if r.filled_at is not None]
    all_filled = max(filled) if len(filled) == len(roles) else None
    ended = activation.status not in (ActivationStatus.requested, ActivationStatus.active)
    return Milestones(
        requested_at=activation.created_at,
        requested_by=activation.created_by,
        endorsed_at=activation.endorsed_at,
        endorsed_by=activation.endorsed_by,
        endorsed_minutes_after_request=minutes(activation.created_at, activation.endorsed_at),
        roles=roles,
        all_filled_at=all_filled,
        all_filled_minutes_after_endorsement=minutes(activation.endorsed_at, all_filled),
        first_shift=first_shift,
        stood_down_at=activation.ended_at
        if activation.status == ActivationStatus.stood_down
        else None,
        ended_status=activation.status if ended else None,
        archived_at=activation.archived_at,
    )


async def role_milestones(session: AsyncSession, activation: Activation) -> list[RoleMilestone]:
    """Per role: who first held it and when, the page they answered (rank, pass), and the pages
    of that role sent before it that did not fill it (the deputies tried first)."""
    tenures = (
        await session.exec(
            select(RoleTenure)
            .where(RoleTenure.activation_id == activation.id)
            .order_by(RoleTenure.started_at, RoleTenure.id)
        )
    ).all()
    first: dict[str, RoleTenure] = {}
    for t in tenures:
        first.setdefault(t.role, t)
    pages = (
        await session.exec(
            select(Page)
            .where(Page.activation_id == activation.id, Page.purpose == PagePurpose.role)
            .order_by(Page.created_at, Page.id)
        )
    ).all()
    people = {p.person_id for p in pages} | {t.person_id for t in first.values()}
    names = dict(
        (
            await session.exec(
                select(Person.id, Person.name).where(Person.id.in_(sorted(people)))  # type: ignore[attr-defined]
            )
        ).all()
    )
    out = []
    for role in Role:
        tenure = first.get(role.value)
        if tenure is None:
            out.append(RoleMilestone(role=role.value, filled_at=None))
            continue
        mine = [p for p in pages if p.role == role.value]
        filler = next(
            (
                p
                for p in reversed(mine)
                if p.person_id == tenure.person_id
                and p.state == PageState.acked
                and (p.answered_at or p.created_at) <= tenure.started_at
            ),
            None,
        )
        cut = filler.created_at if filler else tenure.started_at
        tried = [p for p in mine if p is not filler and p.created_at <= cut]
        out.append(
            RoleMilestone(
                role=role.value,
                filled_at=tenure.started_at,
                person_id=tenure.person_id,
                name=names.get(tenure.person_id, tenure.person_id),
                rank=filler.rank if filler else None,
                pass_no=filler.pass_no if filler else None,
                via="page" if filler else "handover",
                minutes_after_endorsement=minutes(activation.endorsed_at, tenure.started_at),
                tried_before=[
                    TriedPage(
                        person_id=p.person_id,
                        name=names.get(p.person_id, p.person_id),
                        rank=p.rank,
                        pass_no=p.pass_no,
                        state=p.state,
                    )
                    for p in tried
                ],
            )
        )
    return out


async def costs(
    session: AsyncSession, cfg: ActivationConfig, activation: Activation, now: datetime
) -> CostTotals:
    """The statement's totals, as finance sees them (the final snapshot, else the draft now)."""
    try:
        statement = await statements.current(session, activation, cfg.opening_rules, now)
    except Conflict as refused:  # e.g. no hourly rate in force for a span
        return CostTotals(status="unavailable", note=str(refused))
    return CostTotals(
        status=statement.status,
        note="" if statement.status == "final" else "Kan ændre sig, til opgørelsen er endelig.",
        by_debtor=statement.by_debtor,
        by_creditor=statement.by_creditor,
        total_ore=statement.total_ore,
        total_dkk=statement.total_dkk,
    )
