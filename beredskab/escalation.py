"""Who to page next for one role: a pure decision over the roster and the pages so far.

Rank by rank through the active candidates; an open page waits; expired, declined, failed and
cancelled pages move on; the first acknowledgement fills the role. When a pass runs out, the
caller alerts ("role unfilled") and the next pass starts, until `max_passes` are used up.

Numbers (#15.2): a candidate whose number is unverified or unreachable does not hold up the
call-out: the pass skips straight to the next rank with a verified, reachable number, and the
decision names who was skipped (the caller logs why). If no active candidate has such a number,
a crisis service still tries someone rather than page nobody: the unverified (but not
unreachable) ones, and if every number is unreachable, everyone active, rank by rank as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class PageState(StrEnum):
    open = "open"
    acked = "acked"
    declined = "declined"
    expired = "expired"
    failed = "failed"
    cancelled = "cancelled"


@dataclass(frozen=True)
class Candidate:
    rank: int
    person_id: str
    active: bool = True
    verified: bool = True  # the owner answered the code sent to the number
    reachable: bool = True  # the provider has not refused the number for good


@dataclass(frozen=True)
class PastPage:
    rank: int
    person_id: str
    pass_no: int
    state: PageState

    def __post_init__(self) -> None:
        # Accept the stored string (or another enum with the same values); refuse a state this
        # rule does not know rather than silently treating it as "moved on".
        object.__setattr__(self, "state", PageState(self.state))


@dataclass(frozen=True)
class PageNext:
    rank: int
    person_id: str
    pass_no: int
    # active candidates passed over on the way to this one for their number (in rank order)
    skipped: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class Wait:
    """An open page is still within its timeout."""


@dataclass(frozen=True)
class Filled:
    person_id: str


@dataclass(frozen=True)
class PassExhausted:
    pass_no: int
    next_page: PageNext | None  # None: every pass is used up; give up
    # active candidates after the last one paged, passed over for their number
    skipped: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class NoCandidates:
    """Nobody active on the roster: alert at once."""


Decision = PageNext | Wait | Filled | PassExhausted | NoCandidates


def decide(roster: Sequence[Candidate], history: Sequence[PastPage], max_passes: int) -> Decision:
    """What to do next for one role's call-out.

    `roster`: the role's candidates in any order (ranks may have gaps); `history`: this role's
    pages in this activation, oldest first. An acknowledgement anywhere wins, then an open page
    waits; otherwise the next active candidate after the last one paged in the current pass.
    """
    if max_passes < 1:
        raise ValueError("max_passes must be at least 1")
    acked = next((p for p in history if p.state == PageState.acked), None)
    if acked is not None:
        return Filled(acked.person_id)
    if any(p.state == PageState.open for p in history):
        return Wait()
    active = sorted((c for c in roster if c.active), key=lambda c: c.rank)
    if not active:
        return NoCandidates()
    usable = usable_candidates(active)
    if not history:
        return _page(active, usable, usable[0], 1, after=-1)
    last = history[-1]
    pass_no = last.pass_no
    paged_ranks = {p.rank for p in history if p.pass_no == pass_no}
    following = [c for c in usable if c.rank > last.rank and c.rank not in paged_ranks]
    if following:
        return _page(active, usable, following[0], pass_no, after=last.rank)
    skipped = tuple(c for c in active if c.rank > last.rank and c not in usable)
    if pass_no >= max_passes:
        return PassExhausted(pass_no, None, skipped)
    next_page = _page(active, usable, usable[0], pass_no + 1, after=-1)
    return PassExhausted(pass_no, next_page, skipped)


def usable_candidates(active: Sequence[Candidate]) -> list[Candidate]:
    """The candidates a pass pages, in rank order: those with a verified, reachable number; if
    none, the reachable ones; if none, everyone active."""
    return (
        [c for c in active if c.verified and c.reachable]
        or [c for c in active if c.reachable]
        or list(active)
    )


def _page(
    active: Sequence[Candidate],
    usable: Sequence[Candidate],
    chosen: Candidate,
    pass_no: int,
    *,
    after: int,
) -> PageNext:
    """Page `chosen`, naming the active candidates between rank `after` and it who were passed
    over for their number."""
    skipped = tuple(c for c in active if after < c.rank < chosen.rank and c not in usable)
    return PageNext(chosen.rank, chosen.person_id, pass_no, skipped)
