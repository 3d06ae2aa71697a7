"""The debrief's shape (JSON and the PDF's source) and the evaluation's input and output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from beredskab.costs.schemas import OrgTotal

# ---- the evaluation (the crisis leader writes it) ----------------------------------------------

LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
Count = Annotated[int, Field(ge=0, le=10_000_000)]
Seconds = Annotated[int, Field(ge=0, le=7 * 24 * 3600)]


class Guide(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    version: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] = ""


class EvaluationIn(BaseModel):
    """The action card's evaluation items. PUT replaces the whole evaluation: a field left out
    is empty afterwards (and the log says it was emptied)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "average_wait_seconds": 95,
                    "longest_wait_seconds": 610,
                    "calls_answered": 1240,
                    "chats_answered": 310,
                    "guides": [{"name": "Kogeanbefaling", "version": "3"}],
                    "citizen_impact": "Ca. 4.000 husstande uden drikkevand i to døgn.",
                    "went_well": "Krisestaben var samlet på 12 minutter.",
                    "to_change": "Vejledningen kom for sent ud til agenterne.",
                    "notes": "",
                }
            ]
        },
    )

    average_wait_seconds: Seconds | None = Field(
        default=None, description="the contact centre's average wait before an answer"
    )
    longest_wait_seconds: Seconds | None = None
    calls_answered: Count | None = None
    chats_answered: Count | None = None
    guides: list[Guide] = Field(default_factory=list, max_length=100)
    citizen_impact: LongText = ""
    went_well: LongText = ""
    to_change: LongText = ""
    notes: LongText = Field(default="", description="free text")


class EvaluationOut(EvaluationIn):
    model_config = ConfigDict(extra="forbid")

    activation_id: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


# ---- the debrief (read side) --------------------------------------------------------------------


class TriedPage(BaseModel):
    """A page for the role that did not fill it, sent before the one that did."""

    person_id: str
    name: str
    rank: int
    pass_no: int
    state: str = Field(description="declined, expired, failed, cancelled or open")


class RoleMilestone(BaseModel):
    role: str
    filled_at: datetime | None
    person_id: str | None = None
    name: str | None = None
    rank: int | None = Field(default=None, description="the roster rank of the page answered")
    pass_no: int | None = None
    via: Literal["page", "handover"] | None = None
    minutes_after_endorsement: float | None = None
    tried_before: list[TriedPage] = Field(default_factory=list)


class ShiftMilestones(BaseModel):
    shift_id: int
    requested_at: datetime
    approved_at: datetime | None
    full_at: datetime | None
    confirmed_at: datetime | None = Field(
        description="when confirmed agents first reached the places asked"
    )


class Milestones(BaseModel):
    requested_at: datetime
    requested_by: str
    endorsed_at: datetime | None
    endorsed_by: str | None
    endorsed_minutes_after_request: float | None
    roles: list[RoleMilestone]
    all_filled_at: datetime | None
    all_filled_minutes_after_endorsement: float | None
    first_shift: ShiftMilestones | None
    stood_down_at: datetime | None
    ended_status: str | None = Field(description="stood_down, rejected or cancelled; or open")
    archived_at: datetime | None


class AnswerTimes(BaseModel):
    group: str = Field(examples=["steering", "crisis_leader", "municipalities"])
    pages: int
    answered: int
    median_minutes: float | None
    worst_minutes: float | None


class Reach(BaseModel):
    pages: int
    pages_answered: int
    pages_expired: int
    pages_failed: int
    sms_queued: int = Field(description="SMS to people (not cancelled)")
    sms_sent: int = Field(description="accepted by the provider")
    sms_delivered: int = Field(description="delivery report: delivered")
    sms_failed: int = Field(description="refused by the provider, or reported failed/undelivered")
    sms_segments: int = Field(description="segments of the SMS sent: what the provider bills")
    calls: int = 0
    calls_note: str = "Opkald findes ikke endnu (kun SMS): 0."
    answer_times: list[AnswerTimes]


class ShiftFigures(BaseModel):
    shift_id: int
    start: datetime
    end: datetime
    state: str
    places_asked: int
    municipalities_asked: int
    places_offered: int
    places_taken: int
    places_confirmed: int
    places_withdrawn: int
    places_refilled: int
    approved_at: datetime | None
    full_at: datetime | None
    minutes_approval_to_full: float | None
    municipalities_helped: list[str]


class CostTotals(BaseModel):
    status: Literal["draft", "final", "unavailable"]
    note: str = ""
    by_debtor: list[OrgTotal] = Field(default_factory=list)
    by_creditor: list[OrgTotal] = Field(default_factory=list)
    total_ore: int = 0
    total_dkk: str = "0,00"


class Debrief(BaseModel):
    activation_id: str
    ref: str
    title: str
    authority: str
    exercise: bool
    status: str
    computed_at: datetime
    milestones: Milestones
    reach: Reach
    shifts: list[ShiftFigures]
    costs: CostTotals
    evaluation: EvaluationOut | None
    log_entries: int
