"""Bounded date and time types for input: aware, in UTC, and within years the service can handle.

Pydantic's AwareDatetime accepts year 1 or 9999; converting such a value to UTC or adding a day
overflows, which would be a 500 deep inside a rule. These types refuse it at the edge, naming
the field.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

MIN_YEAR, MAX_YEAR = 2000, 2199


def _year_in_range(value: date) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"must lie in the years {MIN_YEAR}-{MAX_YEAR}")


def _instant(value: datetime) -> datetime:
    _year_in_range(value)
    return value.astimezone(UTC)


def _day(value: date) -> date:
    _year_in_range(value)
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_instant)]
Day = Annotated[date, AfterValidator(_day)]
