"""Who may write in an activation's log (crisis_staff/write_rule.py), as a table of cases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from beredskab.crisis_staff.write_rule import (
    STOOD_DOWN,
    Delegation,
    MayNotWrite,
    MayWrite,
    Tenure,
    decide,
)

T = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)
HOLDS = Tenure("emil", "log_keeper", None, None)
HANDED_OVER = Tenure("emil", "log_keeper", T, "relieved")
HELD_AT_THE_END = Tenure("emil", "log_keeper", T, STOOD_DOWN)
OTHERS_ROLE = Tenure("anna", "crisis_leader", None, None)
DELEGATE = Delegation("emil", None)
REMOVED = Delegation("emil", T)


@pytest.mark.parametrize(
    ("person", "tenures", "delegations", "expected"),
    [
        ("emil", [HOLDS], [], MayWrite("log_keeper")),
        ("emil", [OTHERS_ROLE], [], None),  # crisis staff, but no role here
        ("emil", [], [], None),
        ("emil", [HANDED_OVER], [], None),  # handed the role over: no longer in it
        (
            "emil",
            [HANDED_OVER, Tenure("emil", "log_keeper", None, None)],
            [],
            MayWrite("log_keeper"),
        ),
        ("emil", [HELD_AT_THE_END], [], MayWrite("log_keeper")),  # the debrief, until archive
        ("emil", [], [DELEGATE], MayWrite("delegate")),
        ("emil", [], [REMOVED], None),
        ("emil", [], [REMOVED, DELEGATE], MayWrite("delegate")),  # named again
        ("emil", [HANDED_OVER], [DELEGATE], MayWrite("delegate")),
        ("anna", [HOLDS], [DELEGATE], None),  # someone else's role and delegation
        (None, [HOLDS, OTHERS_ROLE], [DELEGATE], None),  # a token bound to no person
    ],
)
def test_who_may_write(person, tenures, delegations, expected):
    decision = decide(person, tenures, delegations)
    if expected is None:
        assert isinstance(decision, MayNotWrite) and decision.reason
    else:
        assert decision == expected


def test_a_token_bound_to_no_person_is_told_why():
    decision = decide(None, [], [])
    assert isinstance(decision, MayNotWrite) and "bound to no person" in decision.reason
