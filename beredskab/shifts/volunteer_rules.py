"""Pure decisions of the volunteer call-out: whom a round pages (and who still has the question),
and what a municipality's JA, NEJ or late answer gets. No database, no clock, like `rules`."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from beredskab.shifts.rules import STAFFING_STATES, STATE_WORDS, AllocationState, ShiftLike

# --- the call-out --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalloutPlan:
    """Whom a (re)started call-out pages, and who has the question already."""

    page: tuple[str, ...]  # municipalities paged now, by id
    waiting: tuple[str, ...]  # municipalities with a page still open: they may yet answer JA
    tell_waiting: bool = False  # the number missing changed: the waiting get it, one SMS each

    @property
    def nobody_left(self) -> bool:
        """Nobody was paged now and nobody may still answer: the staffing lead must find agents
        by hand. A municipality with an open page still counts (#14.3: 22 of them filled the
        places after the lead had been told there was nobody to call)."""
        return not self.page and not self.waiting


def callout_plan(
    reachable: Iterable[str],
    answered: Collection[str],
    waiting: Collection[str],
    *,
    missing: int = 0,
    missing_before: int | None = None,
) -> CalloutPlan:
    """`reachable`: municipalities with an active contact; `answered`: those holding places,
    having said NEJ, or kept out (the one withdrawing); `waiting`: those with an open page.
    When places reopen, `missing_before` is the number missing before they did: if it changed,
    the waiting are told the new one, so no open page says "Vi mangler 1" when 2 are missing."""
    page = sorted(set(reachable) - set(answered) - set(waiting))
    changed = missing_before is not None and missing != missing_before and missing > 0
    return CalloutPlan(
        page=tuple(page),
        waiting=tuple(sorted(set(waiting))),
        tell_waiting=changed and bool(waiting),
    )


# --- a municipality's answer ---------------------------------------------------------------------


def closed_status(
    shift: ShiftLike,
    now: datetime,
    *,
    activation_active: bool,
    allocation_state: str | None = None,
) -> str | None:
    """Why a municipality's answer can change nothing, in Danish for the SMS; None if it can."""
    if allocation_state is not None and allocation_state != AllocationState.active:
        return "afmeldt"
    if shift.end <= now or not activation_active:
        return "afsluttet"
    if shift.state not in STAFFING_STATES:
        return STATE_WORDS.get(shift.state, shift.state)  # type: ignore[call-overload]
    return None


@dataclass(frozen=True)
class AlreadyHeld:
    """The municipality holds places on the shift already; a JA or NEJ changes nothing."""

    agents: int


@dataclass(frozen=True)
class Decline:
    """NEJ: recorded, and the municipality is not paged again for this shift."""


@dataclass(frozen=True)
class Full:
    """JA, but no place is left."""

    offered: int


@dataclass(frozen=True)
class Grant:
    agents: int  # places taken by this answer
    offered: int  # places this answer asked for
    left: int  # places still open after this grant
    held: int = 0  # places the municipality held before: it now holds `total`

    @property
    def partial(self) -> bool:
        return self.agents < self.offered

    @property
    def total(self) -> int:
        return self.held + self.agents


def grant(remaining: int, requested: int) -> int:
    """First come, first served: a reply gets what it asks for, or what is left."""
    return max(0, min(remaining, requested))


def allocation_decision(
    remaining: int, wanted: int | None, held: int, *, accept: bool = True
) -> AlreadyHeld | Decline | Full | Grant:
    """A municipality's JA [antal] (`accept`) or NEJ to a shift with `remaining` open places,
    when it holds `held` places already. A JA without a number offers one agent.

    One that holds places and answers JA with a larger number asks for that many in all (the
    answer to a BEKRÆFT of more than it holds offers this): it gets what is left of the
    difference. Sent twice, the same answer takes nothing more."""
    if held > 0:
        if not accept or wanted is None or wanted <= held or remaining <= 0:
            return AlreadyHeld(held)
        more = grant(remaining, wanted - held)
        return Grant(more, wanted - held, remaining - more, held=held)
    if not accept:
        return Decline()
    offered = wanted or 1
    granted = grant(remaining, offered)
    if granted == 0:
        return Full(offered)
    return Grant(granted, offered, remaining - granted)
