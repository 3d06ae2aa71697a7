"""Billing: docs/domain.md#worked-example in øre, a table of who pays, and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from beredskab.billing import (
    Category,
    CostLine,
    PartSums,
    Policy,
    PriceTimeline,
    RateTable,
    Statement,
    compute,
    format_dkk,
    part_amount,
    span_parts,
)
from beredskab.calendar import default_rules, split
from beredskab.costs.statement import group_parts

CPH = ZoneInfo("Europe/Copenhagen")
R = 45_678  # øre per hour; odd multiples of a minute do not divide it
RULES = default_rules()
SHIFT, STAFF = Category.contact_centre_shift, Category.crisis_staff
TRAINING, EXPENSE = Category.training, Category.expense

MEMBER_APPROVED = Policy(False, "horsens", True, True)
MEMBER_NOT_APPROVED = Policy(False, "horsens", True, False)
NON_MEMBER = Policy(False, "politi", False, True)
EXERCISE = Policy(True, "politi", False, True)


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=CPH)


def work(
    line_id: str,
    category: Category,
    start: datetime,
    end: datetime,
    *,
    creditor: str = "aarhus",
    rate: int = R,
    agents: int = 1,
    changes: tuple[tuple[datetime, int], ...] = (),
) -> CostLine:
    return CostLine(line_id, category, creditor, start, end, rate, None, agents, changes)


def worked_example() -> list[CostLine]:
    friday = (2026, 11, 20)
    return [
        work("shift", SHIFT, local(*friday, 16), local(*friday, 20), agents=2),
        work("leader", STAFF, local(*friday, 14), local(*friday, 18), creditor="kobenhavn"),
    ]


def test_the_worked_example_of_design_md() -> None:
    statement = compute(worked_example(), RULES, MEMBER_APPROVED)
    assert dict(statement.by_debtor) == {"horsens": 8 * R + 2 * R, "ddh": 2 * R}
    assert dict(statement.by_creditor) == {"aarhus": 8 * R, "kobenhavn": 4 * R}
    assert dict(statement.by_line) == {"shift": 8 * R, "leader": 4 * R}
    assert statement.total_ore == 12 * R
    leader = [p for p in statement.parts if p.line_id == "leader"]
    assert [(p.in_hours, p.hours, p.amount_ore, p.debtor) for p in leader] == [
        (True, Fraction(2), 2 * R, "ddh"),
        (False, Fraction(2), 2 * R, "horsens"),
    ]


FRI, MON = (2026, 11, 20), (2026, 11, 23)
SAT_BEFORE_AUTUMN, SAT_BEFORE_SPRING = (2026, 10, 24), (2026, 3, 28)


def night(day: tuple[int, int, int]) -> tuple[datetime, datetime]:
    start = local(*day, 22)
    return start, datetime.combine(start.date() + timedelta(days=1), time(6), tzinfo=CPH)


@pytest.mark.parametrize(
    ("lines", "policy", "debtors"),
    [
        pytest.param(worked_example(), MEMBER_NOT_APPROVED, {"ddh": 12 * R}, id="member, no ooh"),
        pytest.param(worked_example(), NON_MEMBER, {"politi": 12 * R}, id="non-member pays all"),
        pytest.param(worked_example(), EXERCISE, {"ddh": 12 * R}, id="exercise: DDH, always"),
        pytest.param(
            [work("s", SHIFT, local(*MON, 10), local(*MON, 14), agents=2)],
            MEMBER_APPROVED,
            {"ddh": 8 * R},
            id="member, in hours: DDH",
        ),
        pytest.param(
            [work("s", SHIFT, local(*MON, 10), local(*MON, 14), agents=2)],
            NON_MEMBER,
            {"politi": 8 * R},
            id="non-member, in hours: authority",
        ),
        pytest.param(
            [work("s", SHIFT, *night(SAT_BEFORE_AUTUMN))],
            MEMBER_APPROVED,
            {"horsens": 9 * R},
            id="night across October DST: 9 hours",
        ),
        pytest.param(
            [work("s", SHIFT, *night(SAT_BEFORE_SPRING))],
            MEMBER_APPROVED,
            {"horsens": 7 * R},
            id="night across March DST: 7 hours",
        ),
        pytest.param(
            [work("s", SHIFT, *night(SAT_BEFORE_AUTUMN))],
            EXERCISE,
            {"ddh": 9 * R},
            id="exercise night across DST",
        ),
        pytest.param(
            [work("s", SHIFT, local(2026, 4, 3, 10), local(2026, 4, 3, 14))],
            MEMBER_APPROVED,
            {"horsens": 4 * R},
            id="Good Friday is out of hours",
        ),
        pytest.param(
            [work("s", SHIFT, local(2026, 5, 1, 10), local(2026, 5, 1, 14))],
            MEMBER_APPROVED,
            {"ddh": 2 * R, "horsens": 2 * R},
            id="1 May closes at noon",
        ),
        pytest.param(
            [work("t", TRAINING, local(2026, 11, 21, 10), local(2026, 11, 21, 14))],
            MEMBER_APPROVED,
            {"ddh": 4 * R},
            id="training on a Saturday: DDH for a member",
        ),
        pytest.param(
            [work("t", TRAINING, local(2026, 11, 21, 10), local(2026, 11, 21, 14))],
            NON_MEMBER,
            {"politi": 4 * R},
            id="training for a non-member: authority",
        ),
        pytest.param(
            [CostLine("e", EXPENSE, "ddh", amount_ore=123_456)],
            MEMBER_APPROVED,
            {"ddh": 123_456},
            id="expense, member: DDH",
        ),
        pytest.param(
            [CostLine("e", EXPENSE, "ddh", amount_ore=123_456)],
            NON_MEMBER,
            {"politi": 123_456},
            id="expense, non-member: authority",
        ),
    ],
)
def test_who_pays(lines: list[CostLine], policy: Policy, debtors: dict[str, int]) -> None:
    statement = compute(lines, RULES, policy)
    assert dict(statement.by_debtor) == debtors
    assert statement.total_ore == sum(debtors.values()) == sum(statement.by_creditor.values())


def test_an_authoritys_own_effort_is_shown_with_nothing_to_pay() -> None:
    """Horsens' own agents on Horsens' activation, out of hours with approval: an invoice to
    Horsens and a reimbursement to Horsens would cancel out, so neither is made (issue 14.4)."""
    friday = (2026, 11, 20)
    lines = [
        work("own", SHIFT, local(*friday, 16), local(*friday, 20), creditor="horsens", agents=2),
        work("other", SHIFT, local(*friday, 16), local(*friday, 20), creditor="aarhus"),
    ]
    taxa = CostLine("taxa", EXPENSE, "horsens", amount_ore=10_000)  # a non-member pays it
    for policy, with_taxa in (
        (MEMBER_APPROVED, []),
        (Policy(False, "horsens", False, False), [taxa]),
    ):
        statement = compute(lines + with_taxa, RULES, policy)
        own = [p for p in statement.parts if p.creditor == "horsens"]
        assert len(own) == 1 + len(with_taxa)
        assert all(p.own_effort and p.amount_ore == 0 for p in own)
        assert [p.hours for p in own if p.line_id == "own"] == [4]
        assert dict(statement.by_debtor) == {"horsens": 4 * R}
        assert dict(statement.by_creditor) == {"aarhus": 4 * R}
        assert statement.by_line["own"] == 0 == statement.by_line.get("taxa", 0)
    # without approval out of hours, DDH pays a member's own agents: a real reimbursement
    statement = compute([lines[0]], RULES, MEMBER_NOT_APPROVED)
    assert dict(statement.by_creditor) == {"horsens": 2 * 4 * R}


def test_an_opened_holiday_is_in_hours() -> None:
    line = work("s", SHIFT, local(2026, 4, 3, 10), local(2026, 4, 3, 14))
    rules = default_rules(public_holidays_closed=False)
    assert dict(compute([line], rules, MEMBER_APPROVED).by_debtor) == {"ddh": 4 * R}


def test_each_part_is_rounded_half_up_once() -> None:
    # 45_677 øre/h for half an hour is 22_838.5 øre: half-up gives 22_839 (banker's 22_838).
    line = work("s", SHIFT, local(*FRI, 15, 30), local(*FRI, 16, 30), rate=45_677)
    statement = compute([line], RULES, MEMBER_APPROVED)
    assert [p.amount_ore for p in statement.parts] == [22_839, 22_839]
    assert statement.total_ore == 45_678  # one øre more than rounding the whole line


def test_minutes_are_priced_exactly() -> None:
    line = work("s", SHIFT, local(*FRI, 15, 53), local(*FRI, 16, 0), agents=3)
    (part,) = compute([line], RULES, MEMBER_APPROVED).parts
    assert part.hours == Fraction(7, 60)
    assert part.amount_ore == 15_987  # 3 × 7/60 × 45_678 = 15_987.3


def test_a_tariff_change_at_midnight_splits_the_part() -> None:
    sunday, r2 = (2026, 11, 22), 50_001
    midnight = local(*MON)
    line = work("s", SHIFT, local(*sunday, 18), local(*MON, 2), changes=((midnight, r2),))
    statement = compute([line], RULES, MEMBER_APPROVED)
    assert [(p.in_hours, p.hours, p.rate_ore_per_hour) for p in statement.parts] == [
        (True, 2, R),
        (False, 4, R),
        (False, 2, r2),
    ]
    assert dict(statement.by_debtor) == {"ddh": 2 * R, "horsens": 4 * R + 2 * r2}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"category": SHIFT, "start": local(*FRI, 16)}, "needs a start and an end"),
        (
            {"category": SHIFT, "start": datetime(2026, 11, 20, 16), "end": local(*FRI, 20)},
            "timezone-aware",
        ),
        ({"category": SHIFT, "start": local(*FRI, 20), "end": local(*FRI, 16)}, "before start"),
        ({"category": SHIFT, "start": local(*FRI, 16), "end": local(*FRI, 20)}, "rate"),
        ({"category": EXPENSE}, "amount_ore"),
        ({"category": EXPENSE, "amount_ore": 5, "rate_ore_per_hour": R}, "not a rate"),
        (
            {
                "category": SHIFT,
                "start": local(*FRI, 16),
                "end": local(*FRI, 20),
                "rate_ore_per_hour": R,
                "rate_changes": ((local(*FRI, 21), R),),
            },
            "inside the span",
        ),
    ],
)
def test_invalid_lines_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CostLine(id="x", creditor="aarhus", **kwargs)


def test_a_line_id_given_twice_is_refused() -> None:
    line = work("s", SHIFT, local(*FRI, 16), local(*FRI, 20))
    with pytest.raises(ValueError, match="more than once"):
        compute([line, line], RULES, MEMBER_APPROVED)


# --- properties ---------------------------------------------------------------------------------

CREDITORS = ["aarhus", "odense", "kobenhavn", "ddh", "horsens"]  # horsens: own effort too


@st.composite
def cost_lines(draw: st.DrawFn) -> list[CostLine]:
    lines = []
    for i in range(draw(st.integers(0, 6))):
        category = draw(st.sampled_from(list(Category)))
        creditor = draw(st.sampled_from(CREDITORS))
        if category is EXPENSE:
            lines.append(
                CostLine(f"l{i}", category, creditor, amount_ore=draw(st.integers(0, 10**7)))
            )
            continue
        naive = draw(st.datetimes(datetime(2020, 1, 1), datetime(2035, 12, 28)))
        start = naive.replace(second=0, microsecond=0, tzinfo=UTC)
        end = start + timedelta(minutes=draw(st.integers(0, 36 * 60)))
        changes: tuple[tuple[datetime, int], ...] = ()
        if draw(st.booleans()) and end - start > timedelta(minutes=2):
            local_midnight = datetime.combine(
                start.astimezone(CPH).date() + timedelta(days=1), time(0), tzinfo=CPH
            )
            if start < local_midnight < end:
                changes = ((local_midnight, draw(st.integers(0, 100_000))),)
        lines.append(
            work(
                f"l{i}",
                category,
                start.astimezone(draw(st.sampled_from([UTC, CPH]))),
                end,
                creditor=creditor,
                rate=draw(st.integers(0, 100_000)),
                agents=draw(st.integers(1, 5)),
                changes=changes,
            )
        )
    return lines


policies = st.builds(
    Policy,
    exercise=st.booleans(),
    authority_id=st.sampled_from(["horsens", "politi"]),
    authority_is_member=st.booleans(),
    out_of_hours_approved=st.booleans(),
)


def _check_sums(lines: list[CostLine], statement: Statement, policy: Policy) -> None:
    assert sum(statement.by_debtor.values()) == statement.total_ore
    assert sum(statement.by_creditor.values()) == statement.total_ore
    assert sum(p.amount_ore for p in statement.parts) == statement.total_ore
    assert set(statement.by_line) == {line.id for line in lines}
    for line in lines:
        parts = [p for p in statement.parts if p.line_id == line.id]
        assert statement.by_line[line.id] == sum(p.amount_ore for p in parts)
        assert all(p.creditor == line.creditor for p in parts)
        # own effort, the authority paying itself, is priced at 0 and in neither total
        assert all(p.own_effort == (p.debtor == p.creditor == policy.authority_id) for p in parts)
        assert all(p.amount_ore == 0 for p in parts if p.own_effort)
        paid = [p for p in parts if not p.own_effort]
        if line.category is EXPENSE:
            assert [p.amount_ore for p in paid] == [line.amount_ore] * len(paid)
            continue
        # Each part is within half an øre of exact; the line within half an øre per part.
        exact = sum((p.agents * p.hours * p.rate_ore_per_hour for p in paid), Fraction(0))
        assert abs(statement.by_line[line.id] - exact) <= Fraction(len(paid), 2)
        for p in paid:  # half-up: x.5 goes up, anything less goes down
            error = p.amount_ore - p.agents * p.hours * p.rate_ore_per_hour
            assert -Fraction(1, 2) < error <= Fraction(1, 2)
        # The parts tile the line, and their hours are its real elapsed time.
        if parts:
            assert parts[0].start == line.start.astimezone(UTC)
            assert parts[-1].end == line.end.astimezone(UTC)
        assert all(a.end == b.start for a, b in zip(parts, parts[1:], strict=False))
        real = line.end.astimezone(UTC) - line.start.astimezone(UTC)
        assert sum(p.hours for p in parts) == Fraction(
            real // timedelta(microseconds=1), 3600 * 10**6
        )


def _expected_debtor(category: Category, in_hours: bool | None, policy: Policy) -> str:
    if policy.exercise:
        return "ddh"
    if not policy.authority_is_member:
        return policy.authority_id
    billed = category in {SHIFT, STAFF} and in_hours is False
    return policy.authority_id if policy.out_of_hours_approved and billed else "ddh"


@settings(max_examples=200, deadline=None)
@given(cost_lines(), policies)
def test_every_ore_has_one_debtor_and_one_creditor(lines: list[CostLine], policy: Policy) -> None:
    statement = compute(lines, RULES, policy)
    _check_sums(lines, statement, policy)
    for part in statement.parts:
        assert part.debtor == _expected_debtor(part.category, part.in_hours, policy)
        assert part.debtor in {"ddh", policy.authority_id}


@settings(max_examples=100, deadline=None)
@given(cost_lines())
def test_in_hours_agrees_with_the_calendar(lines: list[CostLine]) -> None:
    statement = compute(lines, RULES, MEMBER_APPROVED)
    for line in lines:
        if line.category is EXPENSE:
            continue
        pieces = split(line.start, line.end, RULES)
        parts = [p for p in statement.parts if p.line_id == line.id]
        for piece in pieces:
            inside = [p for p in parts if piece.start <= p.start and p.end <= piece.end]
            assert inside and all(p.in_hours == piece.in_hours for p in inside)
            assert inside[0].start == piece.start and inside[-1].end == piece.end
        assert len(parts) == len(pieces) + sum(
            1 for at, _ in line.rate_changes if not any(p.start == at for p in pieces)
        )


@st.composite
def lines_sharing_spans(draw: st.DrawFn) -> list[CostLine]:
    """Random lines, and then more over the same spans (the municipalities on one shift)."""
    lines = draw(cost_lines())
    spans = [line for line in lines if line.category is not EXPENSE]
    for i in range(draw(st.integers(0, 8)) if spans else 0):
        like = draw(st.sampled_from(spans))
        lines.append(
            work(
                f"s{i}",
                draw(st.sampled_from([SHIFT, STAFF, TRAINING])),
                like.start,
                like.end,
                creditor=draw(st.sampled_from(CREDITORS)),
                rate=like.rate_ore_per_hour,
                agents=draw(st.integers(1, 5)),
                changes=like.rate_changes,
            )
        )
    return lines


@settings(max_examples=300, deadline=None)
@given(lines_sharing_spans(), policies)
def test_part_sums_are_the_sums_of_the_parts(lines: list[CostLine], policy: Policy) -> None:
    """The finance report sums parts without building them: the same øre and hours."""
    sums = PartSums(policy)
    for line in lines:
        if line.category is EXPENSE:
            sums.add_expense(line.creditor, line.amount_ore)
            continue
        parts = span_parts(line.start, line.end, line.rate_ore_per_hour, line.rate_changes, RULES)
        sums.add_work(line.category, line.creditor, parts, line.agents)
    # what the report sums from drafts is what a final statement stores (group_parts)
    assert sums.sums == group_parts(compute(lines, RULES, policy))


# A timeline over a year around the spring DST change, Easter and 1 May 2026, with tariffs
# inside it (one at the same rate as before, one on the day the centre closes early) and before.
TIMELINE_FROM, TIMELINE_TO = local(2026, 1, 1), local(2027, 1, 1)
TARIFF_DAYS = [date(2025, 6, 1), date(2026, 3, 29), date(2026, 4, 1), date(2026, 5, 1)]


@st.composite
def tariff_tables(draw: st.DrawFn) -> RateTable:
    days = draw(st.lists(st.sampled_from(TARIFF_DAYS), min_size=0, max_size=4, unique=True))
    rates = draw(st.lists(st.sampled_from([R, R2, 0]), min_size=len(days), max_size=len(days)))
    return RateTable.from_dates(list(zip(days, rates, strict=True)), CPH)


@st.composite
def spans(draw: st.DrawFn) -> tuple[datetime, datetime]:
    """Spans inside the timeline, across its edges and wholly outside it; on whole minutes, on
    odd microseconds and starting exactly where a tariff or the opening hours change."""
    exact = [local(2026, 3, 29), local(2026, 4, 1), local(2026, 5, 1, 12), local(2026, 3, 30, 8)]
    base = draw(
        st.one_of(
            st.sampled_from(exact + [TIMELINE_FROM, TIMELINE_TO]),
            st.datetimes(datetime(2025, 12, 20), datetime(2027, 1, 10), timezones=st.just(UTC)),
        )
    )
    start = base + timedelta(microseconds=draw(st.sampled_from([0, 0, 1, 999_999])))
    length = draw(st.one_of(st.integers(0, 30 * 60), st.sampled_from([0, 60, 24 * 60])))
    return start, start + timedelta(minutes=length, microseconds=draw(st.integers(0, 3)))


@settings(max_examples=400, deadline=None)
@given(tariff_tables(), st.lists(spans(), min_size=1, max_size=6))
def test_the_price_timeline_splits_every_span_as_span_parts_does(
    rates: RateTable, found_spans: list[tuple[datetime, datetime]]
) -> None:
    """The report prices a year of spans on one timeline of the calendar and the tariffs: it
    must cut each span where span_parts cuts it, at the same rates, to the microsecond."""
    timeline = PriceTimeline(rates, RULES, TIMELINE_FROM, TIMELINE_TO)
    for start, end in found_spans:
        rate = rates.rate_at(start)
        if rate is None:
            assert timeline.parts(start, end) is None
            continue
        expected = span_parts(start, end, rate, rates.changes_inside(start, end), RULES)
        assert timeline.parts(start, end) == expected


def test_the_price_timeline_refuses_a_reversed_span() -> None:
    rates = RateTable.from_dates([(date(2026, 1, 1), R)], CPH)
    timeline = PriceTimeline(rates, RULES, TIMELINE_FROM, TIMELINE_TO)
    with pytest.raises(ValueError, match="before start"):
        timeline.parts(local(2026, 2, 2, 12), local(2026, 2, 2, 10))
    assert timeline.parts(local(2026, 2, 2, 12), local(2026, 2, 2, 12)) == ()


def test_part_sums_refuse_what_a_cost_line_refuses() -> None:
    start, end = local(*MON, 10), local(*MON, 14)
    with pytest.raises(ValueError, match="agents"):
        PartSums(MEMBER_APPROVED).add_work(SHIFT, "aarhus", span_parts(start, end, R, (), RULES), 0)
    with pytest.raises(ValueError, match="amount_ore >= 0"):
        PartSums(MEMBER_APPROVED).add_expense("aarhus", -1)
    with pytest.raises(ValueError, match="before start"):
        span_parts(end, start, R, (), RULES)
    with pytest.raises(ValueError, match="before start"):
        span_parts(end, start, R, ((local(*MON, 12), R2),), RULES)
    with pytest.raises(ValueError, match="whole number"):
        span_parts(start, end, -1, (), RULES)
    with pytest.raises(ValueError, match="naive"):
        span_parts(start.replace(tzinfo=None), end, R, (), RULES)


def test_statement_of_nothing_is_zero() -> None:
    statement = compute([], RULES, MEMBER_APPROVED)
    assert statement.parts == () and statement.total_ore == 0
    assert dict(statement.by_debtor) == {} == dict(statement.by_creditor)


def test_dates_in_the_table_are_what_they_claim() -> None:
    assert date(*FRI).weekday() == 4 and date(*MON).weekday() == 0
    assert date(*SAT_BEFORE_AUTUMN).weekday() == 5 == date(*SAT_BEFORE_SPRING).weekday()


# --- the table: who × when × what -------------------------------------------------------

R2 = 50_001  # the rate from Monday 23 November 2026, 00:00


def _tariff_night() -> tuple[datetime, datetime, tuple[tuple[datetime, int], ...]]:
    return local(2026, 11, 22, 18), local(*MON, 2), ((local(*MON), R2),)


# span → (øre in hours, øre out of hours) for one agent
SPANS = {
    "Monday 10-14, open": (local(*MON, 10), local(*MON, 14), (), 4 * R, 0),
    "Saturday 10-14, closed": (local(2026, 11, 21, 10), local(2026, 11, 21, 14), (), 0, 4 * R),
    "night across October DST (9 h)": (*night(SAT_BEFORE_AUTUMN), (), 0, 9 * R),
    "night across March DST (7 h)": (*night(SAT_BEFORE_SPRING), (), 0, 7 * R),
    "Good Friday, a holiday": (local(2026, 4, 3, 10), local(2026, 4, 3, 14), (), 0, 4 * R),
    "1 May closes at 12": (local(2026, 5, 1, 10), local(2026, 5, 1, 14), (), 2 * R, 2 * R),
    "tariff change at midnight": (*_tariff_night(), 2 * R, 4 * R + 2 * R2),
}
# who pays the in-hours and the out-of-hours part of shift and crisis-staff time, by hand
PAYERS = {
    "member, out of hours approved": (MEMBER_APPROVED, "ddh", "horsens"),
    "member, no out-of-hours": (MEMBER_NOT_APPROVED, "ddh", "ddh"),
    "non-member": (NON_MEMBER, "politi", "politi"),
    "exercise": (EXERCISE, "ddh", "ddh"),
}


@pytest.mark.parametrize("category", [SHIFT, STAFF])
@pytest.mark.parametrize("payer", list(PAYERS))
@pytest.mark.parametrize("span", list(SPANS))
def test_the_table_of_who_pays_when(span: str, payer: str, category: Category) -> None:
    start, end, changes, in_ore, out_ore = SPANS[span]
    policy, pays_in, pays_out = PAYERS[payer]
    agents = 2 if category is SHIFT else 1
    line = work("l", category, start, end, agents=agents, changes=changes)
    statement = compute([line], RULES, policy)
    expected: dict[str, int] = {}
    for debtor, amount in ((pays_in, agents * in_ore), (pays_out, agents * out_ore)):
        if amount:
            expected[debtor] = expected.get(debtor, 0) + amount
    assert dict(statement.by_debtor) == expected
    assert dict(statement.by_creditor) == {"aarhus": agents * (in_ore + out_ore)}


def test_training_and_expenses_are_never_out_of_hours_extras_for_a_member() -> None:
    lines = [
        work("t", TRAINING, *night(SAT_BEFORE_AUTUMN)),
        CostLine("e", EXPENSE, "odense", amount_ore=10_000),
    ]
    assert dict(compute(lines, RULES, MEMBER_APPROVED).by_debtor) == {"ddh": 9 * R + 10_000}


# --- rates and money ----------------------------------------------------------------------------


def test_a_rate_takes_effect_at_local_midnight_of_its_date() -> None:
    rates = RateTable.from_dates([(date(2026, 11, 23), R2), (date(2026, 1, 1), R)], CPH)
    assert rates.rate_at(local(2025, 12, 31, 23, 59)) is None
    assert rates.rate_at(local(2026, 11, 22, 23, 59)) == R
    assert rates.rate_at(local(*MON)) == R2
    assert rates.changes_inside(local(2026, 11, 22, 18), local(*MON, 2)) == ((local(*MON), R2),)
    assert rates.changes_inside(local(*MON), local(*MON, 2)) == ()  # at the start: not inside
    with pytest.raises(ValueError, match="same date"):
        RateTable.from_dates([(date(2026, 1, 1), R), (date(2026, 1, 1), R2)], CPH)


@pytest.mark.parametrize(
    ("ore", "text"),
    [
        (0, "0,00"),
        (5, "0,05"),
        (123_450, "1.234,50"),
        (100_000_000, "1.000.000,00"),
        (-10_050, "-100,50"),
    ],
)
def test_kroner_are_written_the_danish_way(ore: int, text: str) -> None:
    assert format_dkk(ore) == text


def test_a_part_is_rounded_half_up_once() -> None:
    half_hour, hour = 1_800_000_000, 3_600_000_000
    assert part_amount(1, half_hour, 45_677) == 22_839  # 22,838.5 goes up
    assert part_amount(1, half_hour, 45_675) == 22_838  # 22,837.5 goes up too
    assert part_amount(3, 5 * half_hour, R) == 342_585
    assert part_amount(1, hour // 3, 1) == 0  # a third of an øre goes down
