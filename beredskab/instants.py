"""Bounded date and time types for input: aware, in UTC, and within years the service can handle.

Pydantic's AwareDatetime accepts year 1 or 9999; converting such a value to UTC or adding a day
overflows, which would be a 500 deep inside a rule. These types refuse it at the edge, naming
the field.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field

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


# The bound in the OpenAPI document too: JSON Schema cannot compare dates, a pattern can say it
# (the years 2000-2199). A field's own description replaces these; it says the years again.
YEARS = f"in the years {MIN_YEAR}-{MAX_YEAR}"
_IN_YEARS = {"pattern": r"^2[01][0-9]{2}-"}
Instant = Annotated[
    AwareDatetime,
    AfterValidator(_instant),
    Field(description=f"with a UTC offset, {YEARS}", json_schema_extra=_IN_YEARS),
]
Day = Annotated[date, AfterValidator(_day), Field(description=YEARS, json_schema_extra=_IN_YEARS)]
