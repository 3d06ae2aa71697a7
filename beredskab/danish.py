"""Danish words for times in texts people read: "tor 4. dec kl. 14.05", always local time.
Pure: the zone is a parameter."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

WEEKDAYS = ("man", "tir", "ons", "tor", "fre", "lør", "søn")
MONTHS = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
MONTH_NAMES = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip


def day(d: date) -> str:
    """A date as a Danish document writes it: "1. marts 2026"."""
    return f"{d.day}. {MONTH_NAMES[d.month - 1]} {d.year}"


def when(moment: datetime, tz: ZoneInfo) -> str:
    """A moment as a Dane writes it in a message: weekday, date, month and clock (kl. 14.05)."""
    local = moment.astimezone(tz)
    return f"{WEEKDAYS[local.weekday()]} {local.day}. {MONTHS[local.month - 1]} kl. {local:%H.%M}"


def count(n: int, one: str, many: str) -> str:
    """A count with its noun in the number it needs: count(1, "frist", "frister") is "1 frist".
    The playbook's `{n:one|many}` format does the same for SMS texts."""
    return f"{n} {one if n == 1 else many}"


def age(since: datetime, now: datetime) -> str:
    """How long ago `since` was, as a page says it: "for 2 t 5 min siden" ("lige nu" within the
    first minute, and for a moment ahead of `now`)."""
    minutes = int((now - since).total_seconds() // 60)
    return "lige nu" if minutes < 1 else f"for {duration(minutes)} siden"


def duration(minutes: int) -> str:
    """A span as a Dane writes it on a page: "45 min", "4 t", "2 t 30 min"."""
    hours, rest = divmod(max(minutes, 0), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} t" + (f" {rest} min" if rest else "")
