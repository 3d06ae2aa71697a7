"""Request and response shapes of the shift API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from beredskab.instants import YEARS, Instant
from beredskab.shifts.rules import MAX_AGENTS
from beredskab.texts import AgentName, Reason


class ShiftCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: Instant = Field(description=f"with a UTC offset, {YEARS}")
    end: Instant = Field(
        description="with a UTC offset: after start, at most 24 hours after it, and not past"
    )
    # checked by shifts.rules.shift_problems (with the other fields' problems, in one answer)
    agents_needed: int = Field(
        description=f"1-{MAX_AGENTS}", json_schema_extra={"minimum": 1, "maximum": MAX_AGENTS}
    )


class ShiftReason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


class AllocationConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agents: int | None = Field(default=None, ge=1, le=50, description="or give the names")
    names: list[AgentName] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _agents_are_the_names(self) -> AllocationConfirm:
        if self.agents is not None and self.names and self.agents != len(self.names):
            raise ValueError(f"agents is {self.agents} but {len(self.names)} names are given")
        return self


class PieceOut(BaseModel):
    start: datetime
    end: datetime
    in_hours: bool
    minutes: int


class AllocationOut(BaseModel):
    id: int
    org_id: str
    municipality: str
    agents: int
    state: str
    confirmed_at: datetime | None
    confirmed_agents: int | None
    agent_names: list[str]
    withdrawn_at: datetime | None


class ShiftOut(BaseModel):
    id: int
    activation_id: str
    label: str  # local time, as the SMS show it
    start: datetime
    end: datetime
    agents_needed: int
    agents_allocated: int
    agents_confirmed: int
    state: str
    needs_approval: bool
    in_hours_minutes: int
    out_of_hours_minutes: int
    pieces: list[PieceOut]
    requested_by: str
    approved_at: datetime | None
    approved_by: str | None
    ended_at: datetime | None
    reason: str | None
    open_pages: int
    allocations: list[AllocationOut]


class FeedOut(BaseModel):
    org_id: str
    url: str = Field(description="shown once: the key in it is stored hashed only")
