"""Draft statements summed for the finance report, straight from the raw rows.

The same records, order and arithmetic as `statement.load_raw_many` → `billing.compute` →
`statement.group_parts`, without an object per time record (a year holds hundreds of thousands):
each shift comes back as one row with its allocations packed in a string, and each distinct span
is split and priced once for every municipality and agent count on it (`billing.PartSums`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, cast, func, or_
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation
from beredskab.billing import Category, PartSums, Policy, RateTable, SpanParts, span_parts
from beredskab.calendar import OpeningRules
from beredskab.costs.models import Expense, RoleTenure
from beredskab.costs.statement import BILLED_ALLOCATION_STATES, billed_span, no_rate
from beredskab.shifts.models import Shift, VolunteerAllocation

STAFF, SHIFT = Category.crisis_staff, Category.contact_centre_shift
# one allocation in a shift's packed row: "id:agents:org" (the org last: it may hold a colon)
_PACKED = (
    cast(VolunteerAllocation.id, String)
    + ":"
    + cast(VolunteerAllocation.agents, String)
    + ":"
    + VolunteerAllocation.org_id
)


class _Shift:
    """A shift's span, and its parts once an allocation without actuals has needed them."""

    __slots__ = ("start", "end", "ended_at", "planned", "parts")

    def __init__(self, start: datetime, end: datetime, ended_at: datetime | None) -> None:
        self.start, self.end, self.ended_at = start, end, ended_at
        # what one agent without actuals bills: the rule of billed_span, asked once
        self.planned = billed_span(start, end, ended_at, 1, "active", None, None, None)
        self.parts: SpanParts | None = None


_PARTITION = 5_000  # shift rows read at a time
# (allocation id, agents, creditor, activation, shift)
_Allocation = tuple[int, int, str, str, _Shift]


class _Spans:
    """Each distinct span's parts at the rates in force, worked out once."""

    def __init__(self, rates: RateTable, rules: OpeningRules) -> None:
        self.rates, self.rules = rates, rules
        self.seen: dict[tuple[datetime, datetime], SpanParts] = {}

    def parts(self, start: datetime, end: datetime) -> SpanParts:
        found = self.seen.get((start, end))
        if found is None:
            rate = self.rates.rate_at(start)
            if rate is None:
                raise no_rate(start, self.rules)
            changes = self.rates.changes_inside(start, end)
            found = self.seen[start, end] = span_parts(start, end, rate, changes, self.rules)
        return found


async def part_sums(
    session: AsyncSession,
    activations: list[Activation],
    policies: dict[str, Policy],
    rates: RateTable,
    rules: OpeningRules,
    now: datetime,
) -> dict[str, PartSums]:
    """Each activation's draft statement summed per category, in/out of hours, rate, debtor and
    creditor: crisis-staff tenures, then allocations by shift start, then expenses."""
    ids = [a.id for a in activations]
    sums = {a.id: PartSums(policies[a.id]) for a in activations}
    spans = _Spans(rates, rules)
    open_until = {a.id: a.ended_at or now for a in activations}
    tenures = await session.exec(
        select(
            RoleTenure.activation_id,
            RoleTenure.org_id,
            RoleTenure.started_at,
            RoleTenure.ended_at,
        )
        .where(RoleTenure.activation_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(RoleTenure.id)
    )
    for activation_id, org_id, started_at, ended_at in tenures.all():
        end = ended_at or open_until[activation_id]
        if end > started_at:
            sums[activation_id].add_work(STAFF, org_id, spans.parts(started_at, end), 1)
    await _add_allocations(session, ids, sums, spans)
    expenses = await session.exec(
        select(Expense.activation_id, Expense.creditor_id, Expense.amount_ore)
        .where(Expense.activation_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(Expense.id)
    )
    for activation_id, creditor_id, amount_ore in expenses.all():
        if amount_ore != 0:  # 0: withdrawn
            sums[activation_id].add_expense(creditor_id, amount_ore)
    return sums


async def _add_allocations(
    session: AsyncSession, ids: list[str], sums: dict[str, PartSums], spans: _Spans
) -> None:
    """Billed allocations in the order of `load_raw_many` (shift start, allocation id)."""
    billed = (
        Shift.activation_id.in_(ids),  # type: ignore[attr-defined]
        VolunteerAllocation.state.in_(BILLED_ALLOCATION_STATES),  # type: ignore[attr-defined]
    )
    actuals = {
        allocation_id: rest
        for allocation_id, *rest in (
            await session.exec(
                select(
                    VolunteerAllocation.id,
                    VolunteerAllocation.actual_start,
                    VolunteerAllocation.actual_end,
                    VolunteerAllocation.actual_agents,
                )
                .join(Shift, Shift.id == VolunteerAllocation.shift_id)
                .where(
                    *billed,
                    or_(
                        VolunteerAllocation.actual_start.is_not(None),  # type: ignore[union-attr]
                        VolunteerAllocation.actual_end.is_not(None),  # type: ignore[union-attr]
                        VolunteerAllocation.actual_agents.is_not(None),  # type: ignore[union-attr]
                    ),
                )
            )
        ).all()
    }
    shifts = await session.stream(
        select(
            Shift.id,
            Shift.activation_id,
            Shift.start,
            Shift.end,
            Shift.ended_at,
            func.count(VolunteerAllocation.id),
            func.aggregate_strings(_PACKED, ","),
        )
        .join(VolunteerAllocation, VolunteerAllocation.shift_id == Shift.id)
        .where(*billed)
        .group_by(Shift.start, Shift.id)  # in the order wanted: one sort, not two
        .order_by(Shift.start, Shift.id)
    )

    def add(run: list[_Allocation]) -> None:
        run.sort()  # by allocation id: shifts that start together interleave
        for allocation_id, agents, creditor, activation_id, shift in run:
            found = actuals.get(allocation_id)
            if found is None:  # the shift's planned span, worked out once per shift
                if agents < 1 or shift.planned is None:
                    continue
                if shift.parts is None:
                    shift.parts = spans.parts(*shift.planned[:2])
                sums[activation_id].add_work(SHIFT, creditor, shift.parts, agents)
                continue
            span = billed_span(shift.start, shift.end, shift.ended_at, agents, "active", *found)
            if span is not None:
                begins, ends, billed_agents = span
                sums[activation_id].add_work(
                    SHIFT, creditor, spans.parts(begins, ends), billed_agents
                )
        # spans are shared within a run (same start), hardly across: keep memory flat
        spans.seen.clear()

    run: list[_Allocation] = []
    async for rows in shifts.partitions(_PARTITION):
        for shift_id, activation_id, start, end, ended_at, count, packed in rows:
            if run and run[0][4].start != start:
                add(run)
                run = []
            shift = _Shift(start, end, ended_at)
            allocations = packed.split(",")
            if len(allocations) != count:  # an organisation id with a comma in it
                allocations = await _unpacked(session, shift_id)
            for allocation in allocations:
                allocation_id, agents, creditor = allocation.split(":", 2)
                run.append((int(allocation_id), int(agents), creditor, activation_id, shift))
    add(run)


async def _unpacked(session: AsyncSession, shift_id: int) -> list[str]:
    rows = await session.exec(
        select(_PACKED).where(
            VolunteerAllocation.shift_id == shift_id,
            VolunteerAllocation.state.in_(BILLED_ALLOCATION_STATES),  # type: ignore[attr-defined]
        )
    )
    return list(rows.all())
