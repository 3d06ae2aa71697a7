"""Input and output shapes of costs: statements, expenses, adjustments, tariffs, time actuals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from beredskab.instants import YEARS, Day, Instant
from beredskab.texts import Reason

WHY = "why; required for every change after the fact (and after stand-down)"


def _whole_minutes(value: Decimal) -> Decimal:
    if (value * 60) % 1:
        raise ValueError("must be a whole number of minutes (e.g. 2.5 or 1.25)")
    return value


def _decimal_comma(value: object) -> object:
    """Hours typed the Danish way, "2,5", read as 2.5. Only a lone comma is a decimal mark: at
    most 24 hours, so a thousands separator ("1.000,5") is a typo and stays refused."""
    if isinstance(value, str) and value.count(",") == 1 and "." not in value:
        return value.strip().replace(",", ".")
    return value


# hours of training per person: more than nothing, at most a day, in whole minutes; a number,
# or text with a decimal point or a Danish decimal comma
Hours = Annotated[
    Decimal,
    BeforeValidator(_decimal_comma),
    Field(gt=0, le=24),
    AfterValidator(_whole_minutes),
]
MAX_ORE = 2_000_000_000  # 20 million kroner: the database's INTEGER holds it


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
    own_effort: bool = Field(
        default=False,
        description="the authority's own people on its own activation (egen indsats): 0 to pay",
    )


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

    amount_ore: int = Field(gt=0, le=MAX_ORE, examples=[125000])
    text: str = Field(min_length=1, max_length=500, examples=["Taxa til vagtskifte"])
    creditor_id: str = Field(description="the organisation that paid and is reimbursed")
    spent_on: Day | None = None
    reason: Reason | None = Field(default=None, description=WHY)


class _Patch(BaseModel):
    """A partial update: an omitted field stays as it is; `null` is refused for the fields in
    NOT_NULL (their columns cannot be empty), with the field named, instead of failing in SQL."""

    model_config = ConfigDict(extra="forbid")
    NOT_NULL: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _no_nulls(self) -> _Patch:
        for name in self.NOT_NULL:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} may be left out, but not null")
        return self


class ExpenseUpdate(_Patch):
    NOT_NULL = ("amount_ore", "text", "creditor_id")

    amount_ore: int | None = Field(
        default=None, ge=0, le=MAX_ORE, description="0 withdraws the expense"
    )
    text: str | None = Field(default=None, min_length=1, max_length=500)
    creditor_id: str | None = None
    spent_on: Day | None = None
    reason: Reason


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

    amount_ore: int = Field(
        ge=-MAX_ORE,
        le=MAX_ORE,
        description="signed øre, not 0",
        examples=[-50000],
        json_schema_extra={"not": {"const": 0}},
    )
    debtor_id: str = Field(description="the activation's authority or DDH")
    creditor_id: str = Field(description="a known organisation")
    reason: Reason


class AllocationActuals(BaseModel):
    """What really happened on a volunteer allocation (omitted fields stay as they are; give at
    least one of actual_start, actual_end, actual_agents; actual_end after the start)."""

    model_config = ConfigDict(extra="forbid")

    actual_start: Instant | None = None
    actual_end: Instant | None = None
    actual_agents: int | None = Field(default=None, ge=0, le=1000)
    reason: Reason | None = Field(default=None, description=WHY)


class AllocationOut(BaseModel):
    id: int
    shift_id: int
    org_id: str
    agents: int
    actual_start: datetime | None
    actual_end: datetime | None
    actual_agents: int | None


class TenureCorrection(_Patch):
    NOT_NULL = ("started_at",)

    started_at: Instant | None = None
    ended_at: Instant | None = Field(default=None, description=f"after started_at; {YEARS}")
    reason: Reason


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

    valid_from: Day = Field(
        description=f"takes effect at 00:00 Europe/Copenhagen that day; {YEARS}"
    )
    rate_ore_per_hour: int = Field(gt=0, le=10_000_000, examples=[45000])
    reason: Reason | None = Field(
        default=None,
        description="required when valid_from is today or earlier (a back-dated rate), or when "
        "a rate of that date is replaced",
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


class TrainingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: Day
    hours: Hours = Field(
        description='per person, in whole minutes; "2,5" (decimal comma) is 2.5',
        examples=[2.5, "2,5"],
    )
    people: int = Field(ge=1, le=1000)
    org_id: str = Field(description="the people's employer, who is reimbursed")
    text: str = Field(default="", max_length=500, examples=["Introduktion til krisestaben"])


class TrainingUpdate(_Patch):
    NOT_NULL = ("day", "hours", "people", "org_id", "text")

    day: Day | None = None
    hours: Hours | None = None
    people: int | None = Field(default=None, ge=0, le=1000, description="0 withdraws it")
    org_id: str | None = None
    text: str | None = Field(default=None, max_length=500)
    reason: Reason


class TrainingChangeOut(BaseModel):
    seq: int
    changed_at: datetime
    changed_by: str
    reason: str
    before: dict | None
    after: dict


class TrainingOut(BaseModel):
    id: int
    day: date
    hours: float
    people: int
    org_id: str
    text: str
    rate_ore_per_hour: int | None = Field(description="the DDH rate in force that day")
    amount_ore: int | None
    amount_dkk: str | None
    created_at: datetime
    created_by: str
    history: list[TrainingChangeOut] = Field(default_factory=list)
