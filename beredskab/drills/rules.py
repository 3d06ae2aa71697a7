"""What a drill's pages came to, and the drill's figures. Pure: rows in, figures out.

A page's outcome: answered (by SMS or key, at any time, even after a failed delivery report:
the answer proves the number works), else unsubscribed (Twilio 21610: the number sent STOP),
else undeliverable (the send failed for good, or the delivery report said failed or
undelivered), else not paged (the drill gave way to a real activation before the SMS left),
else not answered. Minutes count from the drill's start, as in a real call-out,
so a long queue of SMS (the rate limit) shows in the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from beredskab.figures import share

WITHIN_MINUTES = (5, 15, 30)
UNSUBSCRIBED_CODE = "21610"
FAILED_REPORTS = frozenset({"failed", "undelivered"})


class Outcome(StrEnum):
    answered = "answered"
    not_answered = "not_answered"
    undeliverable = "undeliverable"
    unsubscribed = "unsubscribed"
    not_paged = "not_paged"  # the drill gave way to a real activation before its SMS left


OUTCOME_NAMES = {
    Outcome.answered: "svaret",
    Outcome.not_answered: "ikke svaret",
    Outcome.undeliverable: "kunne ikke leveres",
    Outcome.unsubscribed: "afmeldt SMS (STOP)",
    Outcome.not_paged: "ikke kaldt (øvelsen stoppet)",
}
# a drill page's phone call (`calls.call_states`), in Danish
CALL_NAMES = {
    "queued": "i kø",
    "cancelled": "ikke ringet op",
    "placed": "ringet op",
    "failed": "kunne ikke ringes op",
    "accepted": "tastede 1",
    "declined": "tastede 2",
    "no_key": "ingen gyldig tast",
    "machine": "telefonsvarer",
    "busy": "optaget",
    "no_answer": "intet svar",
}


def outcome(
    answered_at: datetime | None,
    sms_status: str | None,
    provider_status: str | None,
    last_error: str | None,
) -> Outcome:
    if answered_at is not None:
        return Outcome.answered
    if sms_status == "cancelled":
        return Outcome.not_paged
    failed = sms_status == "failed" or provider_status in FAILED_REPORTS
    if not failed:
        return Outcome.not_answered
    if last_error and UNSUBSCRIBED_CODE in last_error:
        return Outcome.unsubscribed
    return Outcome.undeliverable


def minutes_after(start: datetime, at: datetime | None) -> float | None:
    return None if at is None else round((at - start).total_seconds() / 60, 2)


@dataclass(frozen=True)
class Reach:
    within: int  # minutes
    part: int
    whole: int
    share: float | None


def reach(minutes: list[float | None]) -> list[Reach]:
    """The share of a group's people who answered within 5, 15 and 30 minutes."""
    whole = len(minutes)
    out = []
    for limit in WITHIN_MINUTES:
        part = sum(1 for m in minutes if m is not None and m <= limit)
        out.append(Reach(limit, part, whole, share(part, whole)))
    return out
