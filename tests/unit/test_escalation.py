"""The escalation decision: a table of situations, and a property over whole call-outs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from beredskab.escalation import (
    Candidate,
    Filled,
    NoCandidates,
    PageNext,
    PassExhausted,
    PastPage,
    decide,
)

R = [Candidate(0, "a"), Candidate(1, "b"), Candidate(2, "c")]


def page(rank, state, pass_no=1, person=None):
    return PastPage(rank, person or "abc"[rank], pass_no, state)


@pytest.mark.parametrize(
    ("roster", "history", "expected"),
    [
        pytest.param(R, [], PageNext(0, "a", 1), id="first page goes to the primary"),
        pytest.param(R, [page(0, "expired")], PageNext(1, "b", 1), id="primary expired: rank 1"),
        pytest.param(R, [page(0, "declined")], PageNext(1, "b", 1), id="decline skips at once"),
        pytest.param(R, [page(0, "failed")], PageNext(1, "b", 1), id="failed delivery skips"),
        pytest.param(
            [Candidate(0, "a"), Candidate(1, "b", active=False), Candidate(2, "c")],
            [page(0, "expired")],
            PageNext(2, "c", 1),
            id="inactive deputy is skipped",
        ),
        pytest.param(R, [page(0, "open")], None, id="open page waits"),
        pytest.param(
            R,
            [page(0, "expired"), page(1, "expired"), page(2, "expired")],
            PassExhausted(1, PageNext(0, "a", 2)),
            id="last rank expired: alert, next pass",
        ),
        pytest.param(
            R,
            [
                page(0, "expired"),
                page(1, "expired"),
                page(2, "declined"),
                page(0, "expired", 2),
                page(1, "expired", 2),
                page(2, "expired", 2),
            ],
            PassExhausted(2, None),
            id="last pass exhausted: give up",
        ),
        pytest.param(
            R,
            [page(0, "expired"), page(1, "acked"), page(2, "expired")],
            Filled("b"),
            id="acked fills even with later pages",
        ),
        pytest.param([], [], NoCandidates(), id="empty roster"),
        pytest.param([Candidate(0, "a", active=False)], [], NoCandidates(), id="all inactive"),
        pytest.param(
            [Candidate(0, "a"), Candidate(5, "z")],
            [page(0, "expired")],
            PageNext(5, "z", 1),
            id="gaps in rank numbers",
        ),
    ],
)
def test_escalation_table(roster, history, expected):
    decision = decide(roster, history, max_passes=2)
    if expected is None:
        assert type(decision).__name__ == "Wait"
    else:
        assert decision == expected


@given(
    ranks=st.lists(st.booleans(), min_size=1, max_size=6),
    outcomes=st.lists(
        st.sampled_from(["expired", "declined", "failed", "cancelled"]), min_size=60, max_size=60
    ),
    max_passes=st.integers(1, 4),
)
def test_each_active_candidate_is_paged_once_per_pass_in_rank_order(ranks, outcomes, max_passes):
    roster = [Candidate(i * 2, f"p{i}", active) for i, active in enumerate(ranks)]
    active = [c for c in roster if c.active]
    history: list[PastPage] = []
    steps = 0
    while True:
        decision = decide(roster, history, max_passes)
        if isinstance(decision, NoCandidates):
            assert not active
            return
        if isinstance(decision, PassExhausted):
            if decision.next_page is None:
                break
            decision = decision.next_page
        assert isinstance(decision, PageNext)
        history.append(
            PastPage(decision.rank, decision.person_id, decision.pass_no, outcomes[steps % 60])
        )
        steps += 1
        assert steps <= 100
    expected = [(c.rank, p) for p in range(1, max_passes + 1) for c in active]
    assert [(h.rank, h.pass_no) for h in history] == expected
