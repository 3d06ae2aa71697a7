"""The event log's hash chain. Pure: canonical bytes, the hash of an entry, verification.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical JSON, so
changing, removing or reordering any entry breaks every hash after it. Removing the *last*
entries leaves a shorter chain that still verifies: the caller compares with the head it stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

GENESIS_HASH = "0" * 64


def _instant(value: datetime) -> str:
    if value.utcoffset() is None:
        raise ValueError("log timestamps must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(
    *,
    activation_id: str,
    seq: int,
    occurred_at: datetime,
    recorded_at: datetime,
    actor: str,
    kind: str,
    text: str,
    data: Mapping[str, Any] | None,
    corrects: int | None,
) -> bytes:
    doc = {
        "activation_id": activation_id,
        "seq": seq,
        "occurred_at": _instant(occurred_at),
        "recorded_at": _instant(recorded_at),
        "actor": actor,
        "kind": kind,
        "text": text,
        "data": dict(data) if data is not None else None,
        "corrects": corrects,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(prev_hash: str, **fields: Any) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical_bytes(**fields)).hexdigest()


class ChainEntry(Protocol):
    activation_id: str
    seq: int
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    kind: str
    text: str
    data: Mapping[str, Any] | None
    corrects: int | None
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad_seq: int | None


def verify(entries: Iterable[ChainEntry]) -> VerifyResult:
    """Check one activation's entries, given in seq order.

    `first_bad_seq` is the first seq that cannot be trusted: a changed entry's own seq, the
    first missing seq when rows were deleted or reordered, the seq a duplicate stands in for.
    `entries` counts the entries read up to and including the bad one.

    Deleting the *last* entries is not detectable here: what remains is a shorter chain that is
    intact. The caller compares the result with the head (seq and hash) it stored elsewhere.
    """
    prev = GENESIS_HASH
    count = 0
    for expected_seq, entry in enumerate(entries, start=1):
        count += 1
        if entry.seq != expected_seq:  # everything before expected_seq has verified
            return VerifyResult(False, count, expected_seq)
        recomputed = entry_hash(
            prev,
            activation_id=entry.activation_id,
            seq=entry.seq,
            occurred_at=entry.occurred_at,
            recorded_at=entry.recorded_at,
            actor=entry.actor,
            kind=entry.kind,
            text=entry.text,
            data=entry.data,
            corrects=entry.corrects,
        )
        if entry.prev_hash != prev or entry.hash != recomputed:
            return VerifyResult(False, count, entry.seq)
        prev = entry.hash
    return VerifyResult(True, count, None)
