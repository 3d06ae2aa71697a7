"""The contact centre's opening hours, as the rules and the playbook's closed days give them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.deps import Rules, require_roles
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.calendar import day_kind, opening_intervals, split
from beredskab.errors import InvalidInput
from beredskab.instants import YEARS, Instant

router = APIRouter(prefix="/calendar", tags=["calendar"])
MAX_SPAN = timedelta(days=62)


class PieceOut(BaseModel):
    start: datetime
    end: datetime
    in_hours: bool
    hours: float


class DayOut(BaseModel):
    date: date
    kind: str  # normal | closed | half_day | holiday | override
    open: list[str]  # local "HH:MM-HH:MM"


class OpeningHoursOut(BaseModel):
    timezone: str
    pieces: list[PieceOut]
    days: list[DayOut]
    in_hours: float
    out_of_hours: float


def _hhmm(t) -> str:  # noqa: ANN001 - datetime.time
    return t.strftime("%H:%M") if t.hour or t.minute else "24:00"


@router.get(
    "/opening-hours",
    summary="Split [from, to) into in-hours and out-of-hours pieces (any signed-in role)",
)
async def opening_hours(
    rules: Rules,
    _: Annotated[Principal, Depends(require_roles(*TokenRole))],  # every role may look
    start: Annotated[Instant, Query(alias="from", description=f"with a UTC offset, {YEARS}")],
    end: Annotated[
        Instant,
        Query(alias="to", description="after `from`, and at most 62 days after it"),
    ],
) -> OpeningHoursOut:
    if end <= start:
        raise InvalidInput("to", "must be after from")
    if end - start > MAX_SPAN:
        raise InvalidInput("to", "the span may be at most 62 days")
    pieces = split(start, end, rules)
    first, last = start.astimezone(rules.tz).date(), end.astimezone(rules.tz).date()
    days = []
    day = first
    while day <= last:
        intervals = opening_intervals(day, rules)
        days.append(
            DayOut(
                date=day,
                kind=day_kind(day, rules),
                open=[f"{a:%H:%M}-{_hhmm(b)}" for a, b in intervals],
            )
        )
        day += timedelta(days=1)

    def hours(p) -> float:  # noqa: ANN001
        return round((p.end - p.start).total_seconds() / 3600, 4)

    return OpeningHoursOut(
        timezone=rules.tz.key,
        pieces=[
            PieceOut(start=p.start, end=p.end, in_hours=p.in_hours, hours=hours(p)) for p in pieces
        ],
        days=days,
        in_hours=round(sum(hours(p) for p in pieces if p.in_hours), 4),
        out_of_hours=round(sum(hours(p) for p in pieces if not p.in_hours), 4),
    )
