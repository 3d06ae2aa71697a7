from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from beredskab.eventlog.chain import GENESIS_HASH, canonical_bytes, entry_hash, verify


@dataclass(frozen=True)
class E:
    activation_id: str
    seq: int
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    kind: str
    text: str
    data: dict | None
    corrects: int | None
    prev_hash: str
    hash: str


def chain(n: int) -> list[E]:
    out, prev = [], GENESIS_HASH
    t = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    for seq in range(1, n + 1):
        fields = dict(
            activation_id="a",
            seq=seq,
            occurred_at=t + timedelta(minutes=seq),
            recorded_at=t + timedelta(minutes=seq, seconds=1),
            actor="Søren",
            kind="note",
            text=f"post {seq} æøå",
            data={"b": 1, "a": [seq]},
            corrects=None,
        )
        h = entry_hash(prev, **fields)
        out.append(E(prev_hash=prev, hash=h, **fields))
        prev = h
    return out


def test_intact_chain_verifies():
    assert verify(chain(5)).ok and verify(chain(5)).entries == 5 and verify([]).ok


def test_changed_text_is_found_at_its_seq():
    entries = chain(5)
    entries[2] = replace(entries[2], text="forfalsket")
    assert verify(entries).first_bad_seq == 3


def test_deleted_middle_row_and_reordering_are_found():
    entries = chain(5)
    assert verify(entries[:2] + entries[3:]).first_bad_seq == 3
    swapped = [entries[0], entries[2], entries[1], *entries[3:]]
    assert verify(swapped).first_bad_seq == 2


def test_deleted_tail_is_not_visible_to_the_chain_alone():
    # documented: the stored head on the activation catches this (see eventlog.service)
    assert verify(chain(5)[:4]).ok


def test_key_order_does_not_change_the_hash_and_naive_times_are_refused():
    base = dict(
        activation_id="a",
        seq=1,
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
        actor="x",
        kind="k",
        text="t",
        corrects=None,
    )
    assert canonical_bytes(**base, data={"a": 1, "b": 2}) == canonical_bytes(
        **base, data={"b": 2, "a": 1}
    )
    with pytest.raises(ValueError):
        canonical_bytes(**{**base, "occurred_at": datetime(2026, 1, 1)}, data=None)
