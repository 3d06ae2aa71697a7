"""Pure: who may write in an activation's log.

The people who hold one of the activation's roles now, and the people its crisis leader has
named delegates (an extra log keeper from the contact centre, say). After the activation has
ended, the people who held a role when it ended may still write (the debrief) until the log is
archived; a role holder who handed the role over, or was relieved, no longer may. A caller bound
to no person never may: every entry must name the person who wrote it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

STOOD_DOWN = "stood_down"  # a tenure's end_reason when the activation ended, not its holder


@dataclass(frozen=True)
class Tenure:
    person_id: str
    role: str
    ended_at: datetime | None
    end_reason: str | None


@dataclass(frozen=True)
class Delegation:
    person_id: str
    removed_at: datetime | None


@dataclass(frozen=True)
class MayWrite:
    as_: str  # the role held, or "delegate"


@dataclass(frozen=True)
class MayNotWrite:
    reason: str


def decide(
    person_id: str | None, tenures: Iterable[Tenure], delegations: Iterable[Delegation]
) -> MayWrite | MayNotWrite:
    """May `person_id` write in the log whose role tenures and delegations these are?"""
    if person_id is None:
        return MayNotWrite("a token bound to no person may not write in a log")
    for t in tenures:
        if t.person_id == person_id and (t.ended_at is None or t.end_reason == STOOD_DOWN):
            return MayWrite(t.role)
    if any(d.person_id == person_id and d.removed_at is None for d in delegations):
        return MayWrite("delegate")
    return MayNotWrite(
        "only the holders of the activation's roles and the crisis leader's delegates "
        "may write in its log"
    )
