"""The shape of `GET /stats` (JSON, and the CSV's source)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

Grouping = Literal["none", "month", "quarter"]


class Minutes(BaseModel):
    """A time in minutes over the activations that reached it: median and nearest-rank 90th
    percentile (beredskab/figures.py), against the playbook's target."""

    count: int = Field(description="activations (or roles) with this milestone")
    median_minutes: float | None
    p90_minutes: float | None = Field(description="nearest-rank 90th percentile")
    target_minutes: int | None = Field(description="the playbook's target, if it sets one")
    within_target: int | None = Field(description="how many reached it within the target")
    met: bool | None = Field(description="the 90th percentile is within the target")


class Share(BaseModel):
    part: int
    whole: int
    share: float | None = Field(description="part / whole, 0..1")
    target_percent: int | None
    met: bool | None


class RoleFigures(BaseModel):
    role: str = Field(examples=["log_keeper"])
    name: str = Field(examples=["logfører"])
    filled: int = Field(description="activations in which the role was filled")
    minutes_to_fill: Minutes = Field(description="from endorsement to the role filled")
    by_primary: Share = Field(description="filled by the primary (rank 0) on the first page")
    deputies_used: int = Field(description="filled by a deputy (rank 1 or later)")
    handovers: int = Field(description="filled by hand (a handover), not by a page")


class ShiftFigures(BaseModel):
    requested: int
    rejected: int
    cancelled_before_start: int
    filled_in_time: Share = Field(
        description="full before their start, of the shifts neither rejected nor cancelled "
        "before their start"
    )


class DebtorCost(BaseModel):
    debtor_id: str
    name: str
    total_ore: int
    total_dkk: str
    per_activation_ore: int = Field(description="the total over the activations counted")
    per_activation_dkk: str


class CostFigures(BaseModel):
    status: Literal["ok", "unavailable"]
    note: str = ""
    activations: int = Field(description="activations counted: every endorsed one")
    final: int = Field(description="of them with a final statement")
    draft: int = Field(description="of them still a draft (recomputed now; may change)")
    by_debtor: list[DebtorCost]
    total_ore: int
    total_dkk: str
    per_activation_ore: int
    per_activation_dkk: str


class KindFigures(BaseModel):
    """Exercises or real activations of one period."""

    activations: int = Field(description="requested in the period")
    endorsed: int
    rejected: int
    cancelled: int
    open: int = Field(description="requested or active now")
    endorsed_after_request: Minutes
    all_roles_filled: Minutes = Field(description="from endorsement to all four roles filled")
    by_primary: Share
    deputies_used: int
    handovers: int
    roles: list[RoleFigures]
    shifts: ShiftFigures
    costs: CostFigures


class PeriodFigures(BaseModel):
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    real: KindFigures
    exercise: KindFigures

    model_config = {"populate_by_name": True}


class Stats(BaseModel):
    from_: date = Field(alias="from", serialization_alias="from", description="first local date")
    to: date = Field(description="last local date, included")
    by: Grouping
    computed_at: datetime
    periods: list[PeriodFigures]

    model_config = {"populate_by_name": True}
