"""Input and output shapes of costs: statements, expenses, adjustments, tariffs, time actuals."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Reason = Field(
    default=None,
    max_length=1000,
    description="why; required for every change after the fact (and after stand-down)",
)


class PartOut(BaseModel):
    start: datetime | None
    end: datetime | None
    in_hours: bool | None
    hours: float | None = Field(description="elapsed hours of the part (per agent)")
    rate_ore_per_hour: int | None
    agents: int
    amount_ore: int
    amount_dkk: str
    debtor_id: str
    creditor_id: str


class LineOut(BaseModel):
    id: str = Field(examples=["shift-12", "staff-3", "expense-1"])
    category: str
    description: str
    creditor_id: str
    start: datetime | None
    end: datetime | None
    agents: int
    amount_ore: int
    amount_dkk: str
    parts: list[PartOut]


class AdjustmentOut(BaseModel):
    id: int
    amount_ore: int
    amount_dkk: str
    debtor_id: str
    creditor_id: str
    reason: str
    created_at: datetime
    created_by: str


class OrgTotal(BaseModel):
    org_id: str
    name: str
    amount_ore: int
    amount_dkk: str


class StatementOut(BaseModel):
    activation_id: str
    ref: str
    title: str
    status: Literal["draft", "final"]
    running: bool = Field(description="the activation is still open: open time counts until now")
    computed_at: datetime
    finalised_at: datetime | None = None
    finalised_by: str | None = None
    authority_id: str
    authority_member: bool
    exercise: bool
    out_of_hours_approved: bool
    lines: list[LineOut]
    adjustments: list[AdjustmentOut] = Field(default_factory=list)
    by_debtor: list[OrgTotal]
    by_creditor: list[OrgTotal]
    total_ore: int
    total_dkk: str


class ExpenseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_ore: int = Field(gt=0, examples=[125000])
    text: str = Field(min_length=1, max_length=500, examples=["Taxa til vagtskifte"])
    creditor_id: str = Field(description="the organisation that paid and is reimbursed")
    spent_on: date | None = None
    reason: str | None = Reason


class ExpenseUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_ore: int | None = Field(default=None, ge=0, description="0 withdraws the expense")
    text: str | None = Field(default=None, min_length=1, max_length=500)
    creditor_id: str | None = None
    spent_on: date | None = None
    reason: str = Field(min_length=1, max_length=1000)


class ExpenseOut(BaseModel):
    id: int
    amount_ore: int
    amount_dkk: str
    text: str
    creditor_id: str
    spent_on: date | None
    created_at: datetime
    created_by: str


class AdjustmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_ore: int = Field(description="signed øre, not 0", examples=[-50000])
    debtor_id: str
    creditor_id: str
    reason: str = Field(min_length=1, max_length=1000)


class AllocationActuals(BaseModel):
    """What really happened on a volunteer allocation (omitted fields stay as they are)."""

    model_config = ConfigDict(extra="forbid")

    actual_start: AwareDatetime | None = None
    actual_end: AwareDatetime | None = None
    actual_agents: int | None = Field(default=None, ge=0, le=1000)
    reason: str | None = Reason


class AllocationOut(BaseModel):
    id: int
    shift_id: int
    org_id: str
    agents: int
    actual_start: datetime | None
    actual_end: datetime | None
    actual_agents: int | None


class TenureCorrection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    reason: str = Field(min_length=1, max_length=1000)


class TenureOut(BaseModel):
    id: int
    role: str
    person_id: str
    org_id: str
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None


class TariffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    valid_from: date = Field(description="takes effect at 00:00 Europe/Copenhagen that day")
    rate_ore_per_hour: int = Field(gt=0, le=10_000_000, examples=[45000])
    reason: str | None = Field(
        default=None,
        max_length=1000,
        description="required when the date is today or earlier, or replaces a rate",
    )


class TariffOut(BaseModel):
    id: int
    valid_from: date
    rate_ore_per_hour: int
    rate_dkk: str
    created_at: datetime
    created_by: str
    reason: str | None
    superseded_at: datetime | None
