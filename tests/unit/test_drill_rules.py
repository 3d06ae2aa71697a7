"""What a drill page came to, and the share reached within 5, 15 and 30 minutes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from beredskab.drills.rules import Outcome, outcome, reach

AT = datetime(2027, 1, 5, 9, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("answered", "status", "report", "error", "expected"),
    [
        (None, "pending", None, None, Outcome.not_answered),
        (None, "sent", "delivered", None, Outcome.not_answered),
        (None, "failed", None, "code 21211: invalid", Outcome.undeliverable),
        (None, "failed", None, "code 21610: unsubscribed", Outcome.unsubscribed),
        (None, "sent", "undelivered", "delivery undelivered: 30003", Outcome.undeliverable),
        (None, "sent", "failed", "delivery failed: 21610", Outcome.unsubscribed),
        # an answer proves the number works, whatever a report said
        (AT, "sent", "undelivered", "delivery undelivered: 30003", Outcome.answered),
        (AT, None, None, None, Outcome.answered),
    ],
)
def test_outcome(answered, status, report, error, expected):
    assert outcome(answered, status, report, error) is expected


def test_reach_counts_answers_at_or_within_each_limit():
    shares = reach([1.0, 5.0, 5.01, 15.0, 29.9, 31.0, None, None])
    assert [(r.within, r.part, r.whole) for r in shares] == [(5, 2, 8), (15, 4, 8), (30, 5, 8)]
    assert shares[0].share == 0.25


def test_an_empty_group_has_no_share():
    assert [r.share for r in reach([])] == [None, None, None]
