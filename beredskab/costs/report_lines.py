"""The lines of the finance report for a period, one `ReportLine` each: final statements read
from their stored groups, drafts recomputed from the raw records and summed as they go
(drafts.py, a chunk of activations at a time), adjustments, and training sessions.

An activation belongs to the period in which it ended (local date of stand-down); a training
session to its day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation
from beredskab.billing import Policy, RateTable
from beredskab.calendar import OpeningRules, local_midnight
from beredskab.costs import statement as statements
from beredskab.costs.drafts import part_sums
from beredskab.costs.models import CostAdjustment, CostFinal, CostFinalGroup, TrainingSession
from beredskab.costs.training import MICROS_PER_MINUTE, priced_session
from beredskab.directory.models import Organisation
from beredskab.shifts.models import Shift

CHUNK = 500  # draft activations summed per round of queries (one scan of the allocations)
MICROS_PER_HOUR = 3_600_000_000


@dataclass
class ReportLine:
    """One summed line: an activation's parts of one kind, or a training session, or an
    adjustment."""

    activation_id: str | None
    ref: str
    title: str
    status: str  # final | draft | training
    category: str  # crisis_staff | contact_centre_shift | expense | training | adjustment
    in_hours: bool | None
    rate_ore_per_hour: int | None
    debtor_id: str
    creditor_id: str
    agent_micros: int
    amount_ore: int
    text: str = ""
    authority_id: str | None = None

    @property
    def hours(self) -> float:
        return round(self.agent_micros / MICROS_PER_HOUR, 4)


async def _activations(session: AsyncSession, start: datetime, end: datetime) -> list[Activation]:
    rows = await session.exec(
        select(Activation)
        .where(
            Activation.ended_at >= start,  # type: ignore[operator]
            Activation.ended_at < end,  # type: ignore[operator]
        )
        .order_by(Activation.ended_at)
    )
    return list(rows.all())


def _line(a: Activation, status: str, **kw) -> ReportLine:
    return ReportLine(
        activation_id=a.id,
        ref=a.ref,
        title=a.title,
        status=status,
        authority_id=a.authority_id,
        **kw,
    )


async def _final_lines(
    session: AsyncSession, by_id: dict[str, Activation], start: datetime, end: datetime
) -> list[ReportLine]:
    rows = await session.exec(
        select(
            CostFinalGroup.activation_id,
            CostFinalGroup.category,
            CostFinalGroup.in_hours,
            CostFinalGroup.rate_ore_per_hour,
            CostFinalGroup.debtor_id,
            CostFinalGroup.creditor_id,
            CostFinalGroup.agent_micros,
            CostFinalGroup.amount_ore,
        )
        .join(Activation, Activation.id == CostFinalGroup.activation_id)
        .where(
            Activation.ended_at >= start,  # type: ignore[operator]
            Activation.ended_at < end,  # type: ignore[operator]
        )
        .order_by(CostFinalGroup.id)
    )
    return [
        _line(
            by_id[activation_id],
            "final",
            category=category,
            in_hours=in_hours,
            rate_ore_per_hour=rate,
            debtor_id=debtor,
            creditor_id=creditor,
            agent_micros=micros,
            amount_ore=amount,
        )
        for activation_id, category, in_hours, rate, debtor, creditor, micros, amount in rows.all()
    ]


async def _draft_lines(
    session: AsyncSession,
    drafts: list[Activation],
    orgs: dict[str, Organisation],
    ddh: str,
    rates: RateTable,
    rules: OpeningRules,
    now: datetime,
) -> list[ReportLine]:
    out: list[ReportLine] = []
    for i in range(0, len(drafts), CHUNK):
        chunk = drafts[i : i + CHUNK]
        approved = set(
            (
                await session.exec(
                    select(Shift.activation_id)
                    .where(
                        Shift.activation_id.in_([a.id for a in chunk]),  # type: ignore[attr-defined]
                        Shift.approved_at.is_not(None),  # type: ignore[union-attr]
                    )
                    .distinct()
                )
            ).all()
        )
        policies = {}
        for a in chunk:
            authority = orgs.get(a.authority_id)
            policies[a.id] = Policy(
                exercise=a.exercise,
                authority_id=a.authority_id,
                authority_is_member=bool(authority and authority.ddh_member),
                out_of_hours_approved=a.id in approved,
                ddh_id=ddh,
            )
        found = await part_sums(session, chunk, policies, rates, rules, now)
        for a in chunk:
            for key, (micros, amount) in found[a.id].sums.items():
                category, in_hours, rate, debtor, creditor = key
                out.append(
                    _line(
                        a,
                        "draft",
                        category=category,
                        in_hours=in_hours,
                        rate_ore_per_hour=rate,
                        debtor_id=debtor,
                        creditor_id=creditor,
                        agent_micros=micros,
                        amount_ore=amount,
                    )
                )
    return out


async def _adjustment_lines(
    session: AsyncSession, by_id: dict[str, Activation], final: set[str]
) -> list[ReportLine]:
    rows = await session.exec(
        select(CostAdjustment)
        .where(CostAdjustment.activation_id.in_(list(by_id)))  # type: ignore[attr-defined]
        .order_by(CostAdjustment.id)
    )
    return [
        _line(
            by_id[adj.activation_id],
            "final" if adj.activation_id in final else "draft",
            category="adjustment",
            in_hours=None,
            rate_ore_per_hour=None,
            debtor_id=adj.debtor_id,
            creditor_id=adj.creditor_id,
            agent_micros=0,
            amount_ore=adj.amount_ore,
            text=adj.reason,
        )
        for adj in rows.all()
    ]


async def training_lines(
    session: AsyncSession,
    first: date,
    last: date,
    ddh: str,
    rates: RateTable,
    rules: OpeningRules,
) -> list[ReportLine]:
    """Training is reimbursed from DDH's common budget at the rate in force on its day."""
    rows = await session.exec(
        select(TrainingSession)
        .where(
            TrainingSession.day >= first,
            TrainingSession.day <= last,
            TrainingSession.people > 0,  # 0: withdrawn
        )
        .order_by(TrainingSession.day, TrainingSession.id)
    )
    out = []
    for t in rows.all():
        rate, amount = priced_session(t, rates, rules)
        if rate is None or amount is None:
            raise statements.no_rate(local_midnight(t.day, rules.tz), rules)
        out.append(
            ReportLine(
                activation_id=None,
                ref=f"uddannelse-{t.id}",
                title=t.text,
                status="training",
                category="training",
                in_hours=None,
                rate_ore_per_hour=rate,
                debtor_id=ddh,
                creditor_id=t.org_id,
                agent_micros=t.people * t.minutes * MICROS_PER_MINUTE,
                amount_ore=amount,
                text=f"{t.day}: {t.people} pers. × {t.minutes / 60:g} t",
            )
        )
    return out


async def period_lines(
    session: AsyncSession,
    rules: OpeningRules,
    first: date,
    last: date,
    *,
    ddh: str,
    orgs: dict[str, Organisation],
    now: datetime,
) -> tuple[list[Activation], list[ReportLine]]:
    """The activations that ended on local dates first..last (inclusive), in the order they
    ended, and every line of the period: theirs and the training held then."""
    start = local_midnight(first, rules.tz)
    end = local_midnight(last + timedelta(days=1), rules.tz)
    activations = await _activations(session, start, end)
    by_id = {a.id: a for a in activations}
    final = set(
        (
            await session.exec(
                select(CostFinal.activation_id)
                .join(Activation, Activation.id == CostFinal.activation_id)
                .where(
                    Activation.ended_at >= start,  # type: ignore[operator]
                    Activation.ended_at < end,  # type: ignore[operator]
                )
            )
        ).all()
    )
    lines = await _final_lines(session, by_id, start, end)
    drafts = [a for a in activations if a.id not in final]
    rates = await statements.rate_table(session, rules)
    lines += await _draft_lines(session, drafts, orgs, ddh, rates, rules, now)
    lines += await _adjustment_lines(session, by_id, final)
    lines += await training_lines(session, first, last, ddh, rates, rules)
    return activations, lines


@dataclass
class DebtorTotals:
    """One activation's statement summed per debtor (adjustments included), in øre."""

    status: str  # final | draft
    by_debtor: dict[str, int]


async def debtor_totals(
    session: AsyncSession, rules: OpeningRules, activations: list[Activation], *, now: datetime
) -> dict[str, DebtorTotals]:
    """What each activation costs each debtor, as finance sees it: the final statement's stored
    groups summed in SQL, else the draft recomputed now (an open activation: up to `now`)."""
    ids = [a.id for a in activations]
    out = {a.id: DebtorTotals("draft", {}) for a in activations}

    def add(activation_id: str, debtor: str, amount: int) -> None:
        sums = out[activation_id].by_debtor
        sums[debtor] = sums.get(debtor, 0) + amount

    final = set()
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        for table in (CostFinalGroup, CostAdjustment):
            grouped = await session.exec(
                select(table.activation_id, table.debtor_id, func.sum(table.amount_ore))
                .where(table.activation_id.in_(chunk))  # type: ignore[attr-defined]
                .group_by(table.activation_id, table.debtor_id)
            )
            for activation_id, debtor, amount in grouped.all():
                add(activation_id, debtor, int(amount))
        final |= set(
            (
                await session.exec(
                    select(CostFinal.activation_id).where(
                        CostFinal.activation_id.in_(chunk)  # type: ignore[attr-defined]
                    )
                )
            ).all()
        )
    for activation_id in final:
        out[activation_id].status = "final"
    drafts = [a for a in activations if a.id not in final]
    if drafts:
        ddh = await statements.ddh_id(session)
        orgs = {o.id: o for o in (await session.exec(select(Organisation))).all()}
        rates = await statements.rate_table(session, rules)
        for line in await _draft_lines(session, drafts, orgs, ddh, rates, rules, now):
            if line.activation_id is not None:
                add(line.activation_id, line.debtor_id, line.amount_ore)
    return out
