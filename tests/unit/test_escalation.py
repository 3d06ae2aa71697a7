"""The escalation decision: a table of situations, and properties over whole call-outs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from beredskab.escalation import (
    Candidate,
    Filled,
    NoCandidates,
    PageNext,
    PageState,
    PassExhausted,
    PastPage,
    Wait,
    decide,
)

R = [Candidate(0, "a"), Candidate(1, "b"), Candidate(2, "c")]
MOVES_ON = [PageState.expired, PageState.declined, PageState.failed, PageState.cancelled]


def page(rank: int, state: str, pass_no: int = 1) -> PastPage:
    return PastPage(rank, "abc"[rank], pass_no, PageState(state))


def full_pass(pass_no: int, state: str = "expired") -> list[PastPage]:
    return [page(r, state, pass_no) for r in range(3)]


@pytest.mark.parametrize(
    ("roster", "history", "expected"),
    [
        pytest.param(R, [], PageNext(0, "a", 1), id="first page goes to the primary"),
        pytest.param(R, [page(0, "expired")], PageNext(1, "b", 1), id="primary expired: rank 1"),
        pytest.param(R, [page(0, "declined")], PageNext(1, "b", 1), id="decline skips at once"),
        pytest.param(R, [page(0, "failed")], PageNext(1, "b", 1), id="failed delivery skips"),
        pytest.param(R, [page(0, "cancelled")], PageNext(1, "b", 1), id="cancelled moves on"),
        pytest.param(
            [Candidate(0, "a"), Candidate(1, "b", active=False), Candidate(2, "c")],
            [page(0, "expired")],
            PageNext(2, "c", 1),
            id="inactive deputy is skipped",
        ),
        pytest.param(
            [Candidate(0, "a", active=False), Candidate(1, "b")],
            [],
            PageNext(1, "b", 1),
            id="inactive primary: first page goes to the deputy",
        ),
        pytest.param(
            [Candidate(2, "c"), Candidate(0, "a"), Candidate(1, "b")],
            [page(0, "expired")],
            PageNext(1, "b", 1),
            id="roster order does not matter, rank does",
        ),
        pytest.param(R, [page(0, "open")], Wait(), id="open page waits"),
        pytest.param(R, [page(0, "expired"), page(1, "open")], Wait(), id="open deputy page waits"),
        pytest.param(
            R,
            full_pass(1),
            PassExhausted(1, PageNext(0, "a", 2)),
            id="last rank expired: alert, next pass from the primary",
        ),
        pytest.param(
            R,
            [*full_pass(1), page(0, "expired", 2)],
            PageNext(1, "b", 2),
            id="second pass goes on rank by rank",
        ),
        pytest.param(
            R,
            [*full_pass(1), *full_pass(2, "declined")],
            PassExhausted(2, None),
            id="last pass exhausted: give up",
        ),
        pytest.param(
            R,
            [page(0, "expired"), page(1, "acked"), page(2, "expired")],
            Filled("b"),
            id="acked fills even with later pages",
        ),
        pytest.param(
            R, [page(0, "acked"), page(1, "open")], Filled("a"), id="acked wins over an open page"
        ),
        pytest.param([], [], NoCandidates(), id="empty roster"),
        pytest.param([Candidate(0, "a", active=False)], [], NoCandidates(), id="all inactive"),
        pytest.param(
            [Candidate(0, "a", active=False)],
            [page(0, "expired")],
            NoCandidates(),
            id="everyone became inactive mid call-out",
        ),
        pytest.param(
            [Candidate(0, "a"), Candidate(5, "z")],
            [page(0, "expired")],
            PageNext(5, "z", 1),
            id="gaps in rank numbers",
        ),
        pytest.param(
            [Candidate(3, "a"), Candidate(7, "z")],
            [PastPage(3, "a", 1, PageState.declined), PastPage(7, "z", 1, PageState.expired)],
            PassExhausted(1, PageNext(3, "a", 2)),
            id="gaps in rank numbers: next pass starts at the lowest rank",
        ),
    ],
)
def test_escalation_table(roster, history, expected):
    assert decide(roster, history, max_passes=2) == expected


UNVERIFIED_A = Candidate(0, "a", verified=False)
UNREACHABLE_B = Candidate(1, "b", reachable=False)


@pytest.mark.parametrize(
    ("roster", "history", "expected"),
    [
        pytest.param(
            [UNVERIFIED_A, R[1], R[2]],
            [],
            PageNext(1, "b", 1, (UNVERIFIED_A,)),
            id="an unverified primary is skipped: straight to rank 1",
        ),
        pytest.param(
            [R[0], UNREACHABLE_B, R[2]],
            [page(0, "declined")],
            PageNext(2, "c", 1, (UNREACHABLE_B,)),
            id="an unreachable deputy is skipped",
        ),
        pytest.param(
            [R[0], R[1], Candidate(2, "c", verified=False)],
            [page(0, "expired"), page(1, "expired")],
            PassExhausted(1, PageNext(0, "a", 2), (Candidate(2, "c", verified=False),)),
            id="skipped at the end of a pass: named with the alert",
        ),
        pytest.param(
            [UNVERIFIED_A, UNREACHABLE_B, Candidate(2, "c", verified=False)],
            [],
            PageNext(0, "a", 1),
            id="nobody verified: the unverified are tried rank by rank",
        ),
        pytest.param(
            [UNVERIFIED_A, UNREACHABLE_B, Candidate(2, "c", verified=False)],
            [page(0, "expired")],
            PageNext(2, "c", 1, (UNREACHABLE_B,)),
            id="nobody verified: the unreachable are still skipped",
        ),
        pytest.param(
            [Candidate(0, "a", reachable=False), UNREACHABLE_B],
            [page(0, "expired")],
            PageNext(1, "b", 1),
            id="every number unreachable: everyone active is still tried",
        ),
    ],
)
def test_numbers_that_cannot_be_relied_on_are_skipped(roster, history, expected):
    assert decide(roster, history, max_passes=2) == expected


def test_a_single_allowed_pass_gives_up_after_it():
    assert decide(R, full_pass(1), max_passes=1) == PassExhausted(1, None)


def test_stored_state_strings_are_accepted_and_unknown_ones_refused():
    assert PastPage(0, "a", 1, "expired").state is PageState.expired  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        PastPage(0, "a", 1, "lost")  # type: ignore[arg-type]


def test_max_passes_below_one_is_refused():
    with pytest.raises(ValueError):
        decide(R, [], max_passes=0)


rosters = st.lists(
    st.tuples(st.integers(0, 30), st.booleans()), max_size=7, unique_by=lambda t: t[0]
).map(lambda rows: [Candidate(rank, f"p{rank}", active) for rank, active in rows])


@given(
    roster=rosters,
    outcomes=st.lists(st.sampled_from(MOVES_ON), min_size=1, max_size=80),
    max_passes=st.integers(1, 4),
)
def test_each_active_candidate_is_paged_once_per_pass_in_rank_order(roster, outcomes, max_passes):
    active = sorted((c for c in roster if c.active), key=lambda c: c.rank)
    history: list[PastPage] = []
    alerts: list[int] = []
    while True:
        decision = decide(roster, history, max_passes)
        if isinstance(decision, NoCandidates):
            assert not active and not history
            return
        if isinstance(decision, PassExhausted):
            alerts.append(decision.pass_no)
            if decision.next_page is None:
                break
            decision = decision.next_page
        assert isinstance(decision, PageNext)
        outcome = outcomes[len(history) % len(outcomes)]
        history.append(PastPage(decision.rank, decision.person_id, decision.pass_no, outcome))
        assert len(history) <= max_passes * len(roster)  # terminates
    expected = [(c.rank, c.person_id, p) for p in range(1, max_passes + 1) for c in active]
    assert [(h.rank, h.person_id, h.pass_no) for h in history] == expected
    assert alerts == list(range(1, max_passes + 1))  # one "unfilled" alert per pass
    assert decide(roster, history, max_passes) == PassExhausted(max_passes, None)  # stays given up


@given(
    roster=rosters.filter(lambda r: any(c.active for c in r)),
    outcomes=st.lists(st.sampled_from(MOVES_ON), max_size=10),
    final=st.sampled_from([PageState.acked, PageState.open]),
)
def test_an_ack_fills_and_an_open_page_waits_whatever_came_before(roster, outcomes, final):
    history: list[PastPage] = []
    for outcome in [*outcomes, final]:
        decision = decide(roster, history, max_passes=10)
        if isinstance(decision, PassExhausted):
            decision = decision.next_page
        if decision is None:
            break
        history.append(PastPage(decision.rank, decision.person_id, decision.pass_no, outcome))
    last = history[-1]
    expected = Filled(last.person_id) if last.state is PageState.acked else Wait()
    if last.state is final:
        assert decide(roster, history, max_passes=10) == expected


numbered_rosters = st.lists(
    st.tuples(st.integers(0, 30), st.booleans(), st.booleans(), st.booleans()),
    max_size=7,
    unique_by=lambda t: t[0],
).map(
    lambda rows: [
        Candidate(rank, f"p{rank}", active, verified=verified, reachable=reachable)
        for rank, active, verified, reachable in rows
    ]
)


@given(
    roster=numbered_rosters,
    outcomes=st.lists(st.sampled_from(MOVES_ON), min_size=1, max_size=80),
    max_passes=st.integers(1, 3),
)
def test_each_pass_pages_the_best_numbers_and_names_every_other_active_candidate(
    roster, outcomes, max_passes
):
    """#15.2: a pass pages, in rank order, exactly the active candidates of the best kind of
    number present (verified and reachable > reachable > any); every other active candidate is
    named as skipped once per pass."""
    active = sorted((c for c in roster if c.active), key=lambda c: c.rank)
    best = (
        [c for c in active if c.verified and c.reachable]
        or [c for c in active if c.reachable]
        or active
    )
    history: list[PastPage] = []
    skipped: list[tuple[int, str]] = []
    while True:
        decision = decide(roster, history, max_passes)
        if isinstance(decision, NoCandidates):
            assert not active
            return
        if isinstance(decision, PassExhausted):
            skipped += [(decision.pass_no, c.person_id) for c in decision.skipped]
            if decision.next_page is None:
                break
            decision = decision.next_page
        assert isinstance(decision, PageNext)
        skipped += [(decision.pass_no, c.person_id) for c in decision.skipped]
        outcome = outcomes[len(history) % len(outcomes)]
        history.append(PastPage(decision.rank, decision.person_id, decision.pass_no, outcome))
    passes = range(1, max_passes + 1)
    assert [(h.pass_no, h.person_id) for h in history] == [
        (p, c.person_id) for p in passes for c in best
    ]
    assert sorted(skipped) == sorted(
        (p, c.person_id) for p in passes for c in active if c not in best
    )
