"""Shift, volunteer allocation and calendar-feed tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from beredskab.metadata import utcnow

# the rules and the tables share one vocabulary
from beredskab.shifts.rules import OPEN_SHIFT_STATES, AllocationState, ShiftState

__all__ = [
    "OPEN_SHIFT_STATES",
    "AllocationState",
    "CalendarFeed",
    "Shift",
    "ShiftState",
    "VolunteerAllocation",
    "VolunteerAnswer",
]


class Shift(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    activation_id: str = Field(foreign_key="activation.id", max_length=36, index=True)
    start: datetime = Field(index=True)  # UTC
    end: datetime  # UTC, exclusive
    agents_needed: int
    state: ShiftState = Field(sa_type=String(20), index=True)
    in_hours_minutes: int = 0
    out_of_hours_minutes: int = 0
    pieces: list[dict] = Field(default_factory=list, sa_type=JSON)  # the split, for display
    requested_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    approved_at: datetime | None = None
    approved_by: str | None = Field(default=None, max_length=200)
    decided_reason: str | None = Field(default=None, max_length=1000)  # reject/cancel reason
    ended_at: datetime | None = None  # rejected/cancelled at, or cut short by stand-down
    ended_by: str | None = Field(default=None, max_length=200)
    callout_round: int = 0  # bumped each time the call-out (re)starts
    short_alerted_at: datetime | None = None


class VolunteerAllocation(SQLModel, table=True):
    """Places on a shift taken by one municipality (one row per shift and municipality)."""

    __tablename__ = "volunteer_allocation"
    __table_args__ = (UniqueConstraint("shift_id", "org_id"),)
    id: int | None = Field(default=None, primary_key=True)
    shift_id: int = Field(foreign_key="shift.id", index=True)
    org_id: str = Field(foreign_key="organisation.id", max_length=64, index=True)
    agents: int
    state: AllocationState = Field(default=AllocationState.active, sa_type=String(20))
    person_id: str | None = Field(default=None, foreign_key="person.id", max_length=64)
    page_id: int | None = Field(default=None, foreign_key="page.id")
    created_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
    confirmed_by: str | None = Field(default=None, max_length=200)
    confirmed_agents: int | None = None
    agent_names: list[str] = Field(default_factory=list, sa_type=JSON)
    withdrawn_at: datetime | None = None
    # What really happened, reported afterwards by the municipality or the staffing lead;
    # billing uses these when set, else agents × the shift's planned span.
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    actual_agents: int | None = None


class VolunteerAnswer(SQLModel, table=True):
    """A municipality's NEJ to a shift (a JA becomes an allocation)."""

    __tablename__ = "volunteer_answer"
    __table_args__ = (UniqueConstraint("shift_id", "org_id"),)
    id: int | None = Field(default=None, primary_key=True)
    shift_id: int = Field(foreign_key="shift.id", index=True)
    org_id: str = Field(foreign_key="organisation.id", max_length=64)
    person_id: str | None = Field(default=None, foreign_key="person.id", max_length=64)
    answered_at: datetime = Field(default_factory=utcnow)


class CalendarFeed(SQLModel, table=True):
    """A municipality's secret calendar-feed key, stored as its SHA-256 only."""

    __tablename__ = "calendar_feed"
    org_id: str = Field(foreign_key="organisation.id", primary_key=True, max_length=64)
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=200)
