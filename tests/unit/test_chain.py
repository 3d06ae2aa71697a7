"""The event log's hash chain: what it detects, what it cannot, and its canonical form."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from beredskab.eventlog.chain import GENESIS_HASH, VerifyResult, canonical_bytes, entry_hash, verify

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night summer time starts in Copenhagen


@dataclass(frozen=True)
class Entry:
    activation_id: str
    seq: int
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    kind: str
    text: str
    data: dict[str, Any] | None
    corrects: int | None
    prev_hash: str
    hash: str


def fields(seq: int, **overrides: Any) -> dict[str, Any]:
    return {
        "activation_id": "act-1",
        "seq": seq,
        "occurred_at": T0 + timedelta(minutes=seq),
        "recorded_at": T0 + timedelta(minutes=seq, seconds=1, microseconds=250),
        "actor": "Søren Ærø",
        "kind": "note",
        "text": f"post {seq}: Borgerne på Østerbro får besked",
        "data": {"b": 1, "a": [seq, "å"]},
        "corrects": None,
        **overrides,
    }


def chain(n: int) -> list[Entry]:
    out, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        f = fields(seq, corrects=seq - 1 if seq % 4 == 0 else None)
        digest = entry_hash(prev, **f)
        out.append(Entry(prev_hash=prev, hash=digest, **f))
        prev = digest
    return out


def test_a_built_chain_verifies():
    assert verify(chain(5)) == VerifyResult(ok=True, entries=5, first_bad_seq=None)
    assert verify(chain(1)).ok
    assert verify([]) == VerifyResult(ok=True, entries=0, first_bad_seq=None)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("text", "forfalsket"),
        ("actor", "Mallory"),
        ("kind", "decision"),
        ("data", {"b": 2, "a": [3, "å"]}),
        ("corrects", 1),
        ("occurred_at", T0),
        ("recorded_at", T0),
        ("activation_id", "act-2"),
    ],
)
def test_a_changed_entry_is_found_at_its_seq(field, value):
    entries = chain(5)
    entries[2] = replace(entries[2], **{field: value})
    assert verify(entries) == VerifyResult(ok=False, entries=3, first_bad_seq=3)


def test_a_recomputed_hash_does_not_hide_a_change():
    # Rewriting an entry and its own hash breaks the next entry's link instead.
    entries = chain(5)
    forged = fields(3, text="forfalsket")
    entries[2] = replace(entries[2], text="forfalsket", hash=entry_hash(entries[1].hash, **forged))
    assert verify(entries).first_bad_seq == 4


def test_a_deleted_middle_row_is_reported_at_the_gap():
    entries = chain(5)
    assert verify(entries[:2] + entries[3:]).first_bad_seq == 3
    assert verify(entries[1:]).first_bad_seq == 1


def test_a_deleted_last_row_is_not_visible_to_the_chain_alone():
    # Documented in verify(): the caller compares with the head it stored on the activation.
    assert verify(chain(5)[:4]) == VerifyResult(ok=True, entries=4, first_bad_seq=None)


def test_reordering_and_duplicates_are_found():
    entries = chain(5)
    assert verify([entries[0], entries[2], entries[1], *entries[3:]]).first_bad_seq == 2
    assert verify([entries[0], entries[1], entries[1], *entries[2:]]).first_bad_seq == 3


def test_renumbered_rows_after_a_deletion_are_found():
    entries = chain(5)
    renumbered = [*entries[:2], *(replace(e, seq=e.seq - 1) for e in entries[3:])]
    assert verify(renumbered).first_bad_seq == 3


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone"):
        canonical_bytes(**fields(1, occurred_at=datetime(2026, 1, 1, 12)))
    with pytest.raises(ValueError, match="timezone"):
        entry_hash(GENESIS_HASH, **fields(1, recorded_at=datetime(2026, 1, 1, 12)))


def test_the_same_instant_in_another_offset_gives_the_same_hash():
    copenhagen_summer = timezone(timedelta(hours=2))
    local = fields(1, occurred_at=(T0 + timedelta(minutes=1)).astimezone(copenhagen_summer))
    assert entry_hash(GENESIS_HASH, **local) == entry_hash(GENESIS_HASH, **fields(1))


def test_dict_order_does_not_change_the_hash():
    one = fields(1, data={"a": 1, "b": {"y": 2, "x": 3}})
    other = fields(1, data={"b": {"x": 3, "y": 2}, "a": 1})
    assert canonical_bytes(**one) == canonical_bytes(**other)
    assert entry_hash(GENESIS_HASH, **one) == entry_hash(GENESIS_HASH, **other)


def test_canonical_form_is_compact_sorted_utf8_json_with_utc_microseconds():
    raw = canonical_bytes(**fields(1, data=None))
    assert (
        raw
        == (
            '{"activation_id":"act-1","actor":"Søren Ærø","corrects":null,"data":null,'
            '"kind":"note","occurred_at":"2026-03-29T00:31:00.000000Z",'
            '"recorded_at":"2026-03-29T00:31:01.000250Z","seq":1,'
            '"text":"post 1: Borgerne på Østerbro får besked"}'
        ).encode()
    )


def test_danish_letters_round_trip():
    f = fields(1, text="Æbleskiver på Ærø, økologisk grød og blåbær", data={"by": "Åbenrå"})
    raw = canonical_bytes(**f)
    assert "Æbleskiver på Ærø".encode() in raw  # UTF-8, not \u escapes
    decoded = json.loads(raw.decode("utf-8"))
    assert decoded["text"] == f["text"] and decoded["data"] == {"by": "Åbenrå"}
    assert decoded["actor"] == "Søren Ærø"


def test_entry_hash_covers_the_previous_hash():
    f = fields(1)
    expected = hashlib.sha256(GENESIS_HASH.encode() + b"\n" + canonical_bytes(**f)).hexdigest()
    assert entry_hash(GENESIS_HASH, **f) == expected
    assert entry_hash("f" * 64, **f) != expected
    entries = chain(3)
    entries[0] = replace(entries[0], prev_hash="f" * 64)
    assert verify(entries).first_bad_seq == 1
