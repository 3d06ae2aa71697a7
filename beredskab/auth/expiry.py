"""When a token expires, from what an admin types: a last valid date or a lifetime (pure).

`2027-01-31` means the token works through that local day and expires at the next local
midnight; `90d` or `12h` is a lifetime from `now`; an ISO date and time is that instant (a time
without an offset is local time).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from beredskab.errors import InvalidInput

MAX_YEAR = 2199  # as every other date the service takes (instants.py)
_LIFETIME = re.compile(r"(\d{1,6})\s*([dhw])", re.IGNORECASE)
_UNIT = {"d": timedelta(days=1), "h": timedelta(hours=1), "w": timedelta(weeks=1)}
FIELD = "expires"


def parse_expiry(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant a token given `--expires text` at `now` expires; it must be later."""
    text = text.strip()
    lifetime = _LIFETIME.fullmatch(text)
    try:
        if lifetime:
            at = now + int(lifetime[1]) * _UNIT[lifetime[2].lower()]
        elif len(text) == 10:  # a date alone: valid through it, in local time
            at = datetime.combine(date.fromisoformat(text) + timedelta(days=1), time(), tz)
        else:
            at = datetime.fromisoformat(text)
            at = at if at.tzinfo else at.replace(tzinfo=tz)
    except (ValueError, OverflowError):
        raise InvalidInput(
            FIELD, "give a last valid date (2027-01-31), a lifetime (90d, 12h, 4w) or an instant"
        ) from None
    at = at.astimezone(UTC)
    if at.year > MAX_YEAR:
        raise InvalidInput(FIELD, f"must lie before the year {MAX_YEAR + 1}")
    if at <= now:
        raise InvalidInput(FIELD, "must lie in the future")
    return at
