"""Who pays what for one activation: cost lines in, parts with debtor, creditor and øre out.

Pure (docs/domain.md#billing): each work line is split by the opening-hours calendar
(and at tariff changes); each part is agents × real hours × rate, rounded half-up once, in øre.

Size: over 400 lines on purpose: one pure rule, the per-activation statement and the integer-µs
fast path the finance report sums with (span_parts, PriceTimeline, PartSums), kept side by side
so the two ways of pricing stay one rule (a property test checks they agree).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from zoneinfo import ZoneInfo

from beredskab.calendar import OpeningRules, local_midnight, split_spans

__all__ = [
    "Category",
    "CostLine",
    "Part",
    "PartSums",
    "Policy",
    "PriceTimeline",
    "PricedParts",
    "RateTable",
    "Statement",
    "compute",
    "debtor_for",
    "own_effort",
    "format_dkk",
    "from_micros",
    "to_micros",
    "part_amount",
    "priced",
    "span_parts",
]

_MICROSECONDS_PER_HOUR = 3_600_000_000
_TWO_HOURS = 2 * _MICROSECONDS_PER_HOUR
_MICROSECOND = timedelta(microseconds=1)


class Category(StrEnum):
    crisis_staff = "crisis_staff"
    contact_centre_shift = "contact_centre_shift"
    training = "training"
    expense = "expense"


# What a member authority pays for, and only out of hours (rule 5, docs/domain.md#rules).
_OUT_OF_HOURS_BILLED = frozenset({Category.crisis_staff, Category.contact_centre_shift})


def _aware_utc(name: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class CostLine:
    """Work (start, end, rate, agents) or an expense (amount_ore) on one activation.

    `rate_ore_per_hour` is the rate in force at `start`; `rate_changes` are (from, rate) pairs
    strictly inside the span, e.g. a new tariff at midnight during a night shift.
    """

    id: str
    category: Category
    creditor: str
    start: datetime | None = None
    end: datetime | None = None
    rate_ore_per_hour: int | None = None
    amount_ore: int | None = None
    agents: int = 1
    rate_changes: tuple[tuple[datetime, int], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "category", Category(self.category))
        what = f"cost line {self.id}"
        if self.category is Category.expense:
            if self.amount_ore is None or self.amount_ore < 0:
                raise ValueError(f"{what}: an expense needs amount_ore >= 0")
            if self.rate_ore_per_hour is not None or self.rate_changes:
                raise ValueError(f"{what}: an expense has an amount, not a rate")
            for name in ("start", "end"):
                value = getattr(self, name)
                if value is not None:
                    _aware_utc(f"{what}: {name}", value)
            return
        if self.amount_ore is not None:
            raise ValueError(f"{what}: work is priced by its rate, not an amount")
        if self.start is None or self.end is None:
            raise ValueError(f"{what}: work needs a start and an end")
        _check_span(what, self.start, self.end, self.rate_ore_per_hour, self.rate_changes)
        if self.agents < 1:
            raise ValueError(f"{what}: agents must be at least 1")


def _check_span(
    what: str,
    start: datetime,
    end: datetime,
    rate_ore_per_hour: int | None,
    rate_changes: tuple[tuple[datetime, int], ...],
) -> None:
    begins, ends = _aware_utc(f"{what}: start", start), _aware_utc(f"{what}: end", end)
    if ends < begins:
        raise ValueError(f"{what}: end is before start")
    rates = [rate_ore_per_hour, *(rate for _, rate in rate_changes)]
    if any(rate is None or rate < 0 for rate in rates):
        raise ValueError(f"{what}: every rate must be a whole number of øre >= 0")
    previous = begins
    for valid_from, _ in rate_changes:
        at = _aware_utc(f"{what}: rate change", valid_from)
        if not previous < at < ends:
            raise ValueError(f"{what}: rate changes must be in order and inside the span")
        previous = at


@dataclass(frozen=True)
class Policy:
    """The facts about the activation that decide who pays."""

    exercise: bool
    authority_id: str
    authority_is_member: bool
    out_of_hours_approved: bool
    ddh_id: str = "ddh"


@dataclass(frozen=True)
class Part:
    """One priced piece of a line: wholly in or out of hours, at one rate (UTC instants).

    For an expense: no times, `in_hours` and `hours` are None and the amount is the line's.
    Own effort (`own_effort`) is priced at 0: there is nothing to pay.
    """

    line_id: str
    category: Category
    start: datetime | None
    end: datetime | None
    in_hours: bool | None
    hours: Fraction | None
    rate_ore_per_hour: int | None
    agents: int
    amount_ore: int
    debtor: str
    creditor: str
    own_effort: bool = False


@dataclass(frozen=True)
class Statement:
    """The parts and their sums; every øre appears once as owed and once as reimbursed (own
    effort is in neither sum: it is 0 øre)."""

    parts: tuple[Part, ...]
    by_debtor: Mapping[str, int]
    by_creditor: Mapping[str, int]
    by_line: Mapping[str, int]
    total_ore: int


def debtor_for(category: Category, in_hours: bool | None, policy: Policy) -> str:
    """Who pays one part (docs/domain.md#billing)."""
    if policy.exercise:
        return policy.ddh_id
    if not policy.authority_is_member:
        return policy.authority_id
    if policy.out_of_hours_approved and in_hours is False and category in _OUT_OF_HOURS_BILLED:
        return policy.authority_id
    return policy.ddh_id


def own_effort(debtor: str, creditor: str, policy: Policy) -> bool:
    """A part the authority would pay to itself: its own people on its own activation. An invoice
    and a reimbursement of the same amount would cancel out, so neither is made: the part shows
    the work as "egen indsats" with 0 øre to pay. (DDH's common share paying DDH is a real
    transfer between the members' budget and DDH, and stays.)"""
    return debtor == creditor == policy.authority_id != policy.ddh_id


def _rated_spans(
    rate_ore_per_hour: int,
    rate_changes: tuple[tuple[datetime, int], ...],
    start: datetime,
    end: datetime,
) -> list[tuple[datetime, int]]:
    """[(from, rate)] in force over [start, end) (UTC); the first entry starts at `start`."""
    found = [(start, rate_ore_per_hour)]
    for valid_from, rate in rate_changes:
        at = valid_from.astimezone(UTC)
        if at <= start:
            found[0] = (start, rate)
        elif at < end:
            found.append((at, rate))
    return found


# (begins, ends, in_hours, elapsed µs, rate) of each priced piece of one span
_Split = tuple[datetime, datetime, bool, int, int]
# the same with the hours as a fraction, for a Part
_Piece = tuple[datetime, datetime, bool, int, Fraction, int]
_SpanKey = tuple[datetime, datetime, int | None, tuple[tuple[datetime, int], ...]]


def _split_at_rates(
    start: datetime,
    end: datetime,
    rate_ore_per_hour: int,
    rate_changes: tuple[tuple[datetime, int], ...],
    rules: OpeningRules,
) -> list[_Split]:
    """The span split by the calendar and at rate changes: the parts every line over it has."""
    found = []
    for piece_start, piece_end, in_hours in split_spans(start, end, rules):
        if not rate_changes:
            micros = (piece_end - piece_start) // _MICROSECOND
            found.append((piece_start, piece_end, in_hours, micros, rate_ore_per_hour))
            continue
        rated = _rated_spans(rate_ore_per_hour, rate_changes, piece_start, piece_end)
        bounds = [at for at, _ in rated[1:]] + [piece_end]
        for (begins, rate), ends in zip(rated, bounds, strict=True):
            micros = (ends - begins) // _MICROSECOND
            found.append((begins, ends, in_hours, micros, rate))
    return found


def _pieces(
    line: CostLine, rules: OpeningRules, seen: dict[_SpanKey, list[_Piece]]
) -> list[_Piece]:
    """The line's pieces, worked out once per distinct span in a statement (the municipalities
    on one shift share it)."""
    assert line.start is not None and line.end is not None
    assert line.rate_ore_per_hour is not None
    key = (line.start, line.end, line.rate_ore_per_hour, line.rate_changes)
    found = seen.get(key)
    if found is None:
        found = seen[key] = [
            (begins, ends, in_hours, micros, Fraction(micros, _MICROSECONDS_PER_HOUR), rate)
            for begins, ends, in_hours, micros, rate in _split_at_rates(
                line.start, line.end, line.rate_ore_per_hour, line.rate_changes, rules
            )
        ]
    return found


def part_amount(agents: int, micros: int, rate_ore_per_hour: int) -> int:
    """agents × elapsed µs × rate per hour in øre, rounded half-up once (the rule for one part),
    in integers: floor(N/D + 1/2) = (2N + D) // 2D."""
    exact = agents * micros * rate_ore_per_hour
    return (2 * exact + _MICROSECONDS_PER_HOUR) // _TWO_HOURS


def _work_parts(
    line: CostLine, rules: OpeningRules, policy: Policy, seen: dict[_SpanKey, list[_Piece]]
) -> list[Part]:
    found = []
    for begins, ends, in_hours, micros, hours, rate in _pieces(line, rules, seen):
        debtor = debtor_for(line.category, in_hours, policy)
        own = own_effort(debtor, line.creditor, policy)
        found.append(
            Part(
                line_id=line.id,
                category=line.category,
                start=begins,
                end=ends,
                in_hours=in_hours,
                hours=hours,
                rate_ore_per_hour=rate,
                agents=line.agents,
                amount_ore=0 if own else part_amount(line.agents, micros, rate),
                debtor=debtor,
                creditor=line.creditor,
                own_effort=own,
            )
        )
    return found


def _expense_part(line: CostLine, policy: Policy) -> Part:
    assert line.amount_ore is not None
    debtor = debtor_for(line.category, None, policy)
    own = own_effort(debtor, line.creditor, policy)
    return Part(
        line_id=line.id,
        category=line.category,
        start=line.start.astimezone(UTC) if line.start else None,
        end=line.end.astimezone(UTC) if line.end else None,
        in_hours=None,
        hours=None,
        rate_ore_per_hour=None,
        agents=line.agents,
        amount_ore=0 if own else line.amount_ore,
        debtor=debtor,
        creditor=line.creditor,
        own_effort=own,
    )


def compute(lines: Iterable[CostLine], rules: OpeningRules, policy: Policy) -> Statement:
    """Price every line, decide each part's debtor, and sum by debtor, creditor and line."""
    parts: list[Part] = []
    by_line: dict[str, int] = {}
    seen: dict[_SpanKey, list[_Piece]] = {}
    for line in lines:
        if line.id in by_line:
            raise ValueError(f"cost line {line.id} appears more than once")
        if line.category is Category.expense:
            found = [_expense_part(line, policy)]
        else:
            found = _work_parts(line, rules, policy, seen)
        by_line[line.id] = sum(part.amount_ore for part in found)
        parts.extend(found)
    by_debtor: dict[str, int] = {}
    by_creditor: dict[str, int] = {}
    for part in parts:
        if part.own_effort:
            continue  # nothing owed, nothing reimbursed
        by_debtor[part.debtor] = by_debtor.get(part.debtor, 0) + part.amount_ore
        by_creditor[part.creditor] = by_creditor.get(part.creditor, 0) + part.amount_ore
    return Statement(
        parts=tuple(parts),
        by_debtor=MappingProxyType(by_debtor),
        by_creditor=MappingProxyType(by_creditor),
        by_line=MappingProxyType(by_line),
        total_ore=sum(part.amount_ore for part in parts),
    )


# (in_hours, rate, elapsed µs) of each part of one span of work, in time order
SpanParts = tuple[tuple[bool, int, int], ...]
# how parts are summed for finance: category, in/out of hours, rate, debtor, creditor
SumKey = tuple[str, bool | None, int | None, str, str]


def span_parts(
    start: datetime,
    end: datetime,
    rate_ore_per_hour: int,
    rate_changes: tuple[tuple[datetime, int], ...],
    rules: OpeningRules,
) -> SpanParts:
    """The parts of any work line over [start, end) at these rates, whoever did it and however
    many agents: split by the calendar and at rate changes, as `compute` splits a CostLine."""
    if rate_changes:
        _check_span("span", start, end, rate_ore_per_hour, rate_changes)
        return tuple(
            [
                (in_hours, rate, micros)
                for _, _, in_hours, micros, rate in _split_at_rates(
                    start, end, rate_ore_per_hour, rate_changes, rules
                )
            ]
        )
    # one rate: the calendar split is all (it refuses naive or reversed instants itself)
    if rate_ore_per_hour is None or rate_ore_per_hour < 0:
        raise ValueError("span: every rate must be a whole number of øre >= 0")
    return tuple(
        [
            (in_hours, rate_ore_per_hour, (ends - begins) // _MICROSECOND)
            for begins, ends, in_hours in split_spans(start, end, rules)
        ]
    )


_IN_OUT = (True, False, None)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(at: datetime) -> int:
    """An aware instant as whole µs since the epoch (as `db.epoch_micros` reads it)."""
    return (at - _EPOCH) // _MICROSECOND


def from_micros(since_epoch: int) -> datetime:
    """Whole µs since the epoch as an instant in UTC."""
    return _EPOCH + timedelta(microseconds=since_epoch)


class PriceTimeline:
    """The opening-hours calendar and the tariffs over [start, end) as one list of segments, each
    wholly in or out of hours at one rate, in whole µs since the epoch.

    A span's parts are its intersections with these segments: the calendar splits only where
    opening hours begin or end and `span_parts` also where a tariff takes effect, so `parts`
    gives exactly what `span_parts` gives, without splitting each span anew (the finance report
    prices some 50,000 spans a year). Spans reaching outside [start, end) go to `span_parts`.
    """

    def __init__(self, rates: RateTable, rules: OpeningRules, start: datetime, end: datetime):
        self.rates, self.rules = rates, rules
        self._edges: list[int] = []  # where each segment begins; the last entry is `end`
        self._kinds: list[tuple[bool, int | None]] = []  # (in hours, rate) of each segment
        tariffs = [at for at in rates.starts if start < at < end]
        for begins, ends, in_hours in split_spans(start, end, rules):
            self._edges.append(to_micros(begins))
            self._kinds.append((in_hours, rates.rate_at(begins)))
            while tariffs and tariffs[0] <= begins:
                tariffs.pop(0)
            while tariffs and tariffs[0] < ends:
                at = tariffs.pop(0)
                self._edges.append(to_micros(at))
                self._kinds.append((in_hours, rates.rate_at(at)))
        self._edges.append(to_micros(end))

    def parts(self, start: datetime, end: datetime) -> SpanParts | None:
        """What `span_parts` gives for [start, end) at the rates in force; None when no rate is
        in force at `start`."""
        if end < start:
            raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
        return self.parts_micros(to_micros(start), to_micros(end))

    def parts_micros(self, begins: int, ends: int) -> SpanParts | None:
        """`parts` of a span given in µs since the epoch (begins <= ends)."""
        edges = self._edges
        if not edges[0] <= begins < edges[-1] or ends > edges[-1]:
            start, end = from_micros(begins), from_micros(ends)
            rate = self.rates.rate_at(start)
            if rate is None:
                return None
            changes = self.rates.changes_inside(start, end)
            return span_parts(start, end, rate, changes, self.rules)
        i = bisect_right(edges, begins) - 1
        in_hours, rate = self._kinds[i]
        if rate is None:
            return None
        found = []
        while begins < ends:
            i += 1
            cut = edges[i] if edges[i] < ends else ends
            found.append((in_hours, rate, cut - begins))
            begins = cut
            if i < len(self._kinds):
                in_hours, rate = self._kinds[i]
        return tuple(found)


# (in_hours, rate, agents × elapsed µs, øre) of each part of one line
PricedParts = tuple[tuple[bool, int, int, int], ...]


def priced(parts: SpanParts, agents: int) -> PricedParts:
    """The parts of a line of `agents` over a span, each priced and rounded on its own."""
    if agents < 1:
        raise ValueError(f"agents must be at least 1, got {agents}")
    return tuple(
        [
            (in_hours, rate, agents * micros, part_amount(agents, micros, rate))
            for in_hours, rate, micros in parts
        ]
    )


class PartSums:
    """One activation's parts summed per SumKey as [agents × elapsed µs, øre]: the sums of
    `compute(lines, rules, policy).parts`, without a Part per line. A span is split once for
    every line over it (`span_parts`, `PriceTimeline`); each part is still priced and rounded on
    its own (`part_amount`)."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        # [agents × µs, øre] per (in/out of hours, rate, creditor), for each kind of work
        self._work: dict[Category, dict[tuple[bool, int, str], list[int]]] = {}
        self._expenses: dict[str, int] = {}
        # who pays, by category and then in/out of hours (None: an expense)
        self._debtors = {
            category: {in_hours: debtor_for(category, in_hours, policy) for in_hours in _IN_OUT}
            for category in Category
        }

    def add_work(self, category: Category, creditor: str, parts: SpanParts, agents: int) -> None:
        """A work line: `agents` over a span whose parts are `parts`."""
        self.add_priced(category, creditor, priced(parts, agents))

    def add_priced(self, category: Category, creditor: str, parts: PricedParts) -> None:
        """A work line whose parts are priced already (`priced`): lines over one span with as
        many agents share them."""
        sums = self._work.get(category)
        if sums is None:
            sums = self._work[category] = {}
        for in_hours, rate, agent_micros, amount_ore in parts:
            key = (in_hours, rate, creditor)
            found = sums.get(key)
            if found is None:
                sums[key] = [agent_micros, amount_ore]
            else:
                found[0] += agent_micros
                found[1] += amount_ore

    def add_expense(self, creditor: str, amount_ore: int) -> None:
        if amount_ore < 0:
            raise ValueError(f"expense for {creditor}: an expense needs amount_ore >= 0")
        self._expenses[creditor] = self._expenses.get(creditor, 0) + amount_ore

    @property
    def sums(self) -> dict[SumKey, list[int]]:
        """The sums; own effort (`own_effort`) keeps its hours and is 0 øre, as in `compute`."""
        out: dict[SumKey, list[int]] = {}
        policy = self._policy
        for category, sums in self._work.items():
            debtors = self._debtors[category]
            for (in_hours, rate, creditor), (micros, amount) in sums.items():
                debtor = debtors[in_hours]
                if own_effort(debtor, creditor, policy):
                    amount = 0
                out[category.value, in_hours, rate, debtor, creditor] = [micros, amount]
        expense = Category.expense
        for creditor, amount_ore in self._expenses.items():
            debtor = self._debtors[expense][None]
            if own_effort(debtor, creditor, policy):
                amount_ore = 0
            out[expense.value, None, None, debtor, creditor] = [0, amount_ore]
        return out


def format_dkk(ore: int) -> str:
    """Øre as Danish kroner: 123456 → "1.234,56" (thousands with ".", decimals with ",")."""
    kroner, rest = divmod(abs(ore), 100)
    return ("-" if ore < 0 else "") + f"{kroner:,}".replace(",", ".") + f",{rest:02d}"


@dataclass(frozen=True)
class RateTable:
    """The DDH hourly rate, each taking effect at local midnight of its date (UTC instants)."""

    starts: tuple[datetime, ...]
    rates: tuple[int, ...]

    @classmethod
    def from_dates(cls, rates: Iterable[tuple[date, int]], tz: ZoneInfo) -> RateTable:
        ordered = sorted(rates)
        days = [day for day, _ in ordered]
        if len(set(days)) != len(days):
            raise ValueError("two rates take effect on the same date")
        starts = tuple(local_midnight(day, tz) for day in days)
        return cls(starts, tuple(rate for _, rate in ordered))

    def rate_at(self, at: datetime) -> int | None:
        """The rate in force at the instant `at`, or None before the first one."""
        i = bisect_right(self.starts, at)
        return self.rates[i - 1] if i else None

    def changes_inside(self, start: datetime, end: datetime) -> tuple[tuple[datetime, int], ...]:
        """(from, rate) for every rate taking effect strictly inside (start, end)."""
        i = bisect_right(self.starts, start)
        found = []
        while i < len(self.starts) and self.starts[i] < end:
            found.append((self.starts[i], self.rates[i]))
            i += 1
        return tuple(found)
