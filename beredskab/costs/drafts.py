"""Draft statements summed for the finance report, straight from the raw rows.

The same records and arithmetic as `statement.load_raw` → `billing.compute` →
`statement.group_parts`, without an object per time record (a year holds hundreds of thousands):
each shift comes back as one row with its allocations packed in a string, its planned span is
split and priced once for every municipality on it, and spans are split on one timeline of the
calendar and the tariffs (`billing.PriceTimeline`). Each part is still rounded on its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, case, cast, func
from sqlalchemy.ext.asyncio import AsyncResult
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation
from beredskab.billing import (
    Category,
    PartSums,
    Policy,
    PricedParts,
    PriceTimeline,
    RateTable,
    SpanParts,
    from_micros,
    priced,
    to_micros,
)
from beredskab.calendar import OpeningRules
from beredskab.costs.models import Expense
from beredskab.costs.statement import BILLED_ALLOCATION_STATES, billed_span, no_rate
from beredskab.crisis_staff.models import RoleTenure
from beredskab.db import epoch_micros
from beredskab.shifts.models import Shift, VolunteerAllocation

STAFF, SHIFT = Category.crisis_staff, Category.contact_centre_shift


def _text(value: Any) -> Any:
    """A column as text for the packed rows; empty when NULL."""
    return func.coalesce(cast(value, String), "")


_VA = VolunteerAllocation
# One allocation in a shift's packed row: "agents:org", or with times or agents reported by the
# municipality "!start:end:actual agents:agents:org" (µs since the epoch; empty when not
# reported). The org comes last: it may hold a colon.
_PACKED = (
    case(
        (
            and_(
                _VA.actual_start.is_(None),  # type: ignore[union-attr]
                _VA.actual_end.is_(None),  # type: ignore[union-attr]
                _VA.actual_agents.is_(None),  # type: ignore[union-attr]
            ),
            "",
        ),
        else_="!"
        + _text(epoch_micros(_VA.actual_start))
        + ":"
        + _text(epoch_micros(_VA.actual_end))
        + ":"
        + _text(_VA.actual_agents)
        + ":",
    )
    + cast(_VA.agents, String)
    + ":"
    + _VA.org_id
)
# the timeline covers the activations' lives with room on both sides; work outside it is still
# priced right, only more slowly (PriceTimeline falls back to span_parts)
_MARGIN = timedelta(days=14)
_PARTITION = 2_000  # shift rows read at a time
_SEEN = 10_000  # priced parts kept


class _Spans:
    """The parts of a span at the rates in force; a span without one is refused, naming its day.
    Parts priced for a number of agents are kept: most shifts are wholly in or out of hours, so
    their parts depend only on their length and rate, and many shifts share them."""

    def __init__(self, timeline: PriceTimeline, rules: OpeningRules) -> None:
        self.timeline, self.rules = timeline, rules
        self.seen: dict[tuple[SpanParts, int], PricedParts] = {}

    def parts(self, start: int, end: int) -> SpanParts:
        """The parts of [start, end), in µs since the epoch."""
        found = self.timeline.parts_micros(start, end)
        if found is None:
            raise no_rate(from_micros(start), self.rules)
        return found

    def priced(self, parts: SpanParts, agents: int) -> PricedParts:
        found = self.seen.get((parts, agents))
        if found is None:
            if len(self.seen) >= _SEEN:  # keep memory flat whatever the spans
                self.seen.clear()
            found = self.seen[parts, agents] = priced(parts, agents)
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
    creditor: crisis-staff tenures, volunteer allocations and expenses."""
    if not activations:
        return {}
    ids = [a.id for a in activations]
    sums = {a.id: PartSums(policies[a.id]) for a in activations}
    open_until = {a.id: a.ended_at or now for a in activations}
    first = min(a.created_at for a in activations) - _MARGIN
    last = max(open_until.values()) + _MARGIN
    spans = _Spans(PriceTimeline(rates, rules, first, last), rules)
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
            parts = spans.parts(to_micros(started_at), to_micros(end))
            sums[activation_id].add_work(STAFF, org_id, parts, 1)
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


def _billed(ids: list[str]) -> tuple:
    return (
        Shift.activation_id.in_(ids),  # type: ignore[attr-defined]
        VolunteerAllocation.state.in_(BILLED_ALLOCATION_STATES),  # type: ignore[attr-defined]
    )


async def _shift_rows(session: AsyncSession, ids: list[str]) -> AsyncResult:
    """One row per shift of these activations, with its billed allocations packed."""
    # Core, not the ORM: plain rows, without the ORM's loading step for each
    connection = await session.connection()
    return await connection.stream(
        select(
            Shift.id,
            Shift.activation_id,
            epoch_micros(Shift.start),
            epoch_micros(Shift.end),
            epoch_micros(Shift.ended_at),
            func.count(VolunteerAllocation.id),
            func.aggregate_strings(_PACKED, ","),
        )
        .join(VolunteerAllocation, VolunteerAllocation.shift_id == Shift.id)
        .where(*_billed(ids))
        .group_by(Shift.id)
    )


async def _add_allocations(
    session: AsyncSession, ids: list[str], sums: dict[str, PartSums], spans: _Spans
) -> None:
    """Every billed allocation of these activations: agents × its shift's planned span, or what
    the municipality reported (`billed_span`)."""
    shifts = await _shift_rows(session, ids)
    odd = []  # shifts whose packed row cannot be split, read again once the stream is done
    # a partition at a time: a year's rows held at once would make each garbage collection pass
    # walk them all
    async for rows in shifts.partitions(_PARTITION):
        for row in rows:
            allocations = row[6].split(",")
            if len(allocations) != row[5]:  # an organisation id with a comma in it
                odd.append(row)
                continue
            _add_shift(row, allocations, sums, spans)
    for row in odd:
        _add_shift(row, await _unpacked(session, row[0]), sums, spans)


def _add_shift(
    row: tuple, allocations: list[str], sums: dict[str, PartSums], spans: _Spans
) -> None:
    _, activation_id, start, end, ended_at, _, _ = row
    add = sums[activation_id].add_priced
    # what an allocation without actuals bills, by its agents: the shift's planned span split
    # once, priced once for each number of agents on it; () for nothing
    split: SpanParts | None = None
    planned: dict[str, PricedParts] = {}
    for allocation in allocations:
        if allocation[0] != "!":
            agents, creditor = allocation.split(":", 1)
            parts = planned.get(agents)
            if parts is None:
                parts = ()
                span = billed_span(start, end, ended_at, int(agents), None, None, None)
                if span is not None:
                    if split is None:
                        split = spans.parts(span[0], span[1])
                    parts = spans.priced(split, span[2])
                planned[agents] = parts
            if parts:
                add(SHIFT, creditor, parts)
            continue
        begins, ends, actual_agents, agents, creditor = allocation[1:].split(":", 4)
        span = billed_span(
            start,
            end,
            ended_at,
            int(agents),
            int(begins) if begins else None,
            int(ends) if ends else None,
            int(actual_agents) if actual_agents else None,
        )
        if span is not None:
            add(SHIFT, creditor, spans.priced(spans.parts(span[0], span[1]), span[2]))


async def _unpacked(session: AsyncSession, shift_id: int) -> list[str]:
    rows = await session.exec(
        select(_PACKED).where(
            VolunteerAllocation.shift_id == shift_id,
            VolunteerAllocation.state.in_(BILLED_ALLOCATION_STATES),  # type: ignore[attr-defined]
        )
    )
    return list(rows.all())
