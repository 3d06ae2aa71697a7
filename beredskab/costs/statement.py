"""An activation's cost statement, recomputed from the raw records every time.

Raw records → `billing.CostLine`s (crisis-staff tenures, active volunteer allocations, expenses)
→ the pure `billing.compute` → the statement shape. A final statement is its stored snapshot;
adjustment lines are added on top of either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, TypeVar

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import danish
from beredskab.activations.models import OPEN_STATUSES, Activation
from beredskab.billing import CostLine, Policy, RateTable, Statement, compute, format_dkk
from beredskab.calendar import OpeningRules
from beredskab.costs.models import CostAdjustment, CostFinal, Expense, Tariff
from beredskab.costs.schemas import AdjustmentOut, LineOut, OrgTotal, PartOut, StatementOut
from beredskab.crisis_staff.models import RoleTenure
from beredskab.directory.models import Organisation, OrgKind, Person
from beredskab.directory.service import org_names
from beredskab.errors import Conflict
from beredskab.shifts.models import Shift, VolunteerAllocation

DEFAULT_DDH_ID = "ddh"
# Allocations whose places are worked and billed. A released one ("AFMELD") stays the
# municipality's responsibility until another takes the places over (it is then withdrawn).
BILLED_ALLOCATION_STATES = ("active", "released")
T = TypeVar("T", datetime, int)  # an instant, or µs since the epoch
OWN_EFFORT = "egen indsats"  # how a line of own effort (`billing.own_effort`) is shown


async def ddh_id(session: AsyncSession) -> str:
    """DDH's own organisation (the cooperation in the directory): debtor of the common share."""
    found = (
        await session.exec(
            select(Organisation.id)
            .where(Organisation.kind == OrgKind.cooperation)
            .order_by(Organisation.id)
        )
    ).first()
    return found or DEFAULT_DDH_ID


async def rate_table(session: AsyncSession, rules: OpeningRules) -> RateTable:
    rows = await session.exec(
        select(Tariff.valid_from, Tariff.rate_ore_per_hour).where(
            Tariff.superseded_at.is_(None)  # type: ignore[union-attr]
        )
    )
    return RateTable.from_dates(rows.all(), rules.tz)


async def policy_for(session: AsyncSession, activation: Activation, ddh: str) -> Policy:
    authority = await session.get(Organisation, activation.authority_id)
    approved = (
        await session.exec(
            select(func.count())
            .select_from(Shift)
            .where(
                Shift.activation_id == activation.id,
                Shift.approved_at.is_not(None),  # type: ignore[union-attr]
            )
        )
    ).one()
    return Policy(
        exercise=activation.exercise,
        authority_id=activation.authority_id,
        authority_is_member=bool(authority and authority.ddh_member),
        out_of_hours_approved=approved > 0,
        ddh_id=ddh,
    )


class GroupKey(NamedTuple):
    """How the finance report sums parts: per category, in/out of hours, rate, payer, payee."""

    category: str
    in_hours: bool | None
    rate_ore_per_hour: int | None
    debtor: str
    creditor: str


_MICROSECOND = timedelta(microseconds=1)


def group_parts(statement: Statement) -> dict[GroupKey, list[int]]:
    """Parts summed per GroupKey: [agents × elapsed µs, øre]."""
    sums: dict[GroupKey, list[int]] = {}
    for p in statement.parts:
        key = GroupKey(p.category.value, p.in_hours, p.rate_ore_per_hour, p.debtor, p.creditor)
        found = sums.setdefault(key, [0, 0])
        if p.start is not None and p.end is not None:
            found[0] += (p.end - p.start) // _MICROSECOND * p.agents
        found[1] += p.amount_ore
    return sums


@dataclass(frozen=True)
class Raw:
    """One activation's cost lines and a human description of each."""

    lines: list[CostLine]
    descriptions: dict[str, str]


def no_rate(start: datetime, rules: OpeningRules) -> Conflict:
    """Work without a rate in force is refused, naming the day: the rate is data."""
    day = start.astimezone(rules.tz).date()
    return Conflict(f"no DDH hourly rate is in force on {day}: finance must enter one (/tariffs)")


def _work(
    line_id: str,
    category: str,
    creditor: str,
    start: datetime,
    end: datetime,
    agents: int,
    rates: RateTable,
    rules: OpeningRules,
) -> CostLine:
    rate = rates.rate_at(start)
    if rate is None:
        raise no_rate(start, rules)
    return CostLine(
        line_id,
        category,  # type: ignore[arg-type]  # billing.Category coerces it
        creditor,
        start,
        end,
        rate,
        None,
        agents,
        rates.changes_inside(start, end),
    )


def billed_span(
    shift_start: T,
    shift_end: T,
    shift_ended_at: T | None,
    agents: int,
    actual_start: T | None,
    actual_end: T | None,
    actual_agents: int | None,
) -> tuple[T, T, int] | None:
    """(start, end, agents) billed for one volunteer allocation in a billed state
    (BILLED_ALLOCATION_STATES), or None if nothing is billed.

    Actuals win; else agents × the planned span, cut at the shift's end (cancelled, rejected or
    cut short by stand-down). A shift that ended before it began bills nothing. Instants are
    datetimes, or µs since the epoch (the finance report).
    """
    planned_end = shift_end if shift_ended_at is None else min(shift_end, shift_ended_at)
    start = shift_start if actual_start is None else actual_start
    end = planned_end if actual_end is None else actual_end
    billed = agents if actual_agents is None else actual_agents
    if billed < 1 or end <= start:
        return None
    return start, end, billed


async def load_raw(
    session: AsyncSession,
    activation: Activation,
    rates: RateTable,
    rules: OpeningRules,
    now: datetime,
) -> Raw:
    """The activation's cost lines, three queries in all (plain columns, no ORM objects):
    crisis-staff tenures, billed allocations by shift start, then expenses. The finance report
    sums drafts without lines (drafts.py)."""
    raw = Raw([], {})
    open_until = activation.ended_at or now
    tenures = await session.exec(
        select(
            RoleTenure.id,
            RoleTenure.role,
            RoleTenure.org_id,
            RoleTenure.started_at,
            RoleTenure.ended_at,
            Person.name,
        )
        .join(Person, Person.id == RoleTenure.person_id)
        .where(RoleTenure.activation_id == activation.id)
        .order_by(RoleTenure.id)
    )
    for tid, role, org_id, started_at, ended_at, name in tenures.all():
        end = ended_at or open_until
        if end <= started_at:
            continue
        line_id = f"staff-{tid}"
        raw.lines.append(_work(line_id, "crisis_staff", org_id, started_at, end, 1, rates, rules))
        raw.descriptions[line_id] = f"{role}: {name}"
    allocations = await session.exec(
        select(
            Shift.id,
            VolunteerAllocation.id,
            VolunteerAllocation.org_id,
            Shift.start,
            Shift.end,
            Shift.ended_at,
            VolunteerAllocation.agents,
            VolunteerAllocation.actual_start,
            VolunteerAllocation.actual_end,
            VolunteerAllocation.actual_agents,
        )
        .join(Shift, Shift.id == VolunteerAllocation.shift_id)
        .where(
            Shift.activation_id == activation.id,
            VolunteerAllocation.state.in_(BILLED_ALLOCATION_STATES),  # type: ignore[attr-defined]
        )
        .order_by(Shift.start, VolunteerAllocation.id)
    )
    for shift_id, aid, org_id, *times in allocations.all():
        span = billed_span(*times)
        if span is None:
            continue
        start, end, agents = span
        line_id = f"shift-{aid}"
        raw.lines.append(
            _work(line_id, "contact_centre_shift", org_id, start, end, agents, rates, rules)
        )
        raw.descriptions[line_id] = f"vagt {shift_id}: {danish.count(agents, 'agent', 'agenter')}"
    expenses = await session.exec(
        select(Expense).where(Expense.activation_id == activation.id).order_by(Expense.id)
    )
    for expense in expenses.all():
        if expense.amount_ore == 0:
            continue  # withdrawn
        line_id = f"expense-{expense.id}"
        raw.lines.append(
            CostLine(line_id, "expense", expense.creditor_id, amount_ore=expense.amount_ore)  # type: ignore[arg-type]
        )
        raw.descriptions[line_id] = expense.text
    return raw


def _hours(part_start: datetime | None, part_end: datetime | None) -> float | None:
    if part_start is None or part_end is None:
        return None
    return round((part_end - part_start).total_seconds() / 3600, 6)


def lines_out(raw: Raw, statement: Statement) -> list[LineOut]:
    parts_of: dict[str, list[PartOut]] = {}
    for p in statement.parts:
        parts_of.setdefault(p.line_id, []).append(
            PartOut(
                start=p.start,
                end=p.end,
                in_hours=p.in_hours,
                hours=_hours(p.start, p.end),
                rate_ore_per_hour=p.rate_ore_per_hour,
                agents=p.agents,
                amount_ore=p.amount_ore,
                amount_dkk=format_dkk(p.amount_ore),
                debtor_id=p.debtor,
                creditor_id=p.creditor,
                own_effort=p.own_effort,
            )
        )

    def description(line_id: str) -> str:
        text = raw.descriptions.get(line_id, "")
        own = any(p.own_effort for p in parts_of.get(line_id, []))
        return f"{text} ({OWN_EFFORT})" if own else text

    return [
        LineOut(
            id=line.id,
            category=line.category.value,
            description=description(line.id),
            creditor_id=line.creditor,
            start=line.start,
            end=line.end,
            agents=line.agents,
            amount_ore=statement.by_line[line.id],
            amount_dkk=format_dkk(statement.by_line[line.id]),
            parts=parts_of.get(line.id, []),
        )
        for line in raw.lines
    ]


async def _totals(
    session: AsyncSession, flows: list[tuple[str, str, int]]
) -> tuple[list[OrgTotal], list[OrgTotal], int]:
    """(debtor, creditor, øre) flows → totals per debtor and per creditor, and the sum."""
    by_debtor: dict[str, int] = {}
    by_creditor: dict[str, int] = {}
    for debtor, creditor, amount in flows:
        by_debtor[debtor] = by_debtor.get(debtor, 0) + amount
        by_creditor[creditor] = by_creditor.get(creditor, 0) + amount
    names = await org_names(session, [*by_debtor, *by_creditor])

    def out(sums: dict[str, int]) -> list[OrgTotal]:
        return [
            OrgTotal(org_id=k, name=names.get(k, k), amount_ore=v, amount_dkk=format_dkk(v))
            for k, v in sorted(sums.items())
        ]

    return out(by_debtor), out(by_creditor), sum(a for _, _, a in flows)


async def adjustments_of(session: AsyncSession, activation_id: str) -> list[AdjustmentOut]:
    rows = await session.exec(
        select(CostAdjustment)
        .where(CostAdjustment.activation_id == activation_id)
        .order_by(CostAdjustment.id)
    )
    return [
        AdjustmentOut(
            id=a.id or 0,
            amount_ore=a.amount_ore,
            amount_dkk=format_dkk(a.amount_ore),
            debtor_id=a.debtor_id,
            creditor_id=a.creditor_id,
            reason=a.reason,
            created_at=a.created_at,
            created_by=a.created_by,
        )
        for a in rows.all()
    ]


async def recompute(
    session: AsyncSession,
    activation: Activation,
    rules: OpeningRules,
    now: datetime,
    adjustments: Sequence[AdjustmentOut] = (),
) -> tuple[StatementOut, Statement]:
    """The draft statement from the raw records, with `adjustments` in its totals."""
    policy = await policy_for(session, activation, await ddh_id(session))
    raw = await load_raw(session, activation, await rate_table(session, rules), rules, now)
    statement = compute(raw.lines, rules, policy)
    debtors, creditors, total = await _totals(
        session,
        [(p.debtor, p.creditor, p.amount_ore) for p in statement.parts if not p.own_effort]
        + [(a.debtor_id, a.creditor_id, a.amount_ore) for a in adjustments],
    )
    out = StatementOut(
        activation_id=activation.id,
        ref=activation.ref,
        title=activation.title,
        status="draft",
        running=activation.status in OPEN_STATUSES,
        computed_at=now,
        authority_id=activation.authority_id,
        authority_member=policy.authority_is_member,
        exercise=policy.exercise,
        out_of_hours_approved=policy.out_of_hours_approved,
        lines=lines_out(raw, statement),
        adjustments=list(adjustments),
        by_debtor=debtors,
        by_creditor=creditors,
        total_ore=total,
        total_dkk=format_dkk(total),
    )
    return out, statement


async def current(
    session: AsyncSession, activation: Activation, rules: OpeningRules, now: datetime
) -> StatementOut:
    """What GET shows: the draft recomputed now, or the final snapshot; plus adjustments."""
    final = await session.get(CostFinal, activation.id)
    adjustments = await adjustments_of(session, activation.id)
    if final is None:
        out, _ = await recompute(session, activation, rules, now, adjustments)
        return out
    base = StatementOut.model_validate(final.snapshot)
    if not adjustments:
        return base
    flows = [
        (p.debtor_id, p.creditor_id, p.amount_ore)
        for line in base.lines
        for p in line.parts
        if not p.own_effort
    ]
    flows += [(a.debtor_id, a.creditor_id, a.amount_ore) for a in adjustments]
    debtors, creditors, total = await _totals(session, flows)
    return base.model_copy(
        update={
            "adjustments": adjustments,
            "by_debtor": debtors,
            "by_creditor": creditors,
            "total_ore": total,
            "total_dkk": format_dkk(total),
        }
    )
