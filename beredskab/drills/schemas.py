"""Drill request and result shapes (JSON)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from beredskab.drill_schedule import DrillGroup
from beredskab.drills.rules import Outcome


class DrillRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    group: DrillGroup = Field(
        description="whom to page: crisis_roster, steering, municipality_contacts or all"
    )
    call_after_minutes: int | None = Field(
        default=None,
        ge=1,
        le=240,
        description="call those who have not answered after this many minutes (optional)",
    )


class DrillSummary(BaseModel):
    id: int
    group: DrillGroup
    group_name: str
    status: str
    started_at: datetime
    ends_at: datetime
    closed_at: datetime | None
    call_after_minutes: int | None
    created_by: str
    scheduled: bool = Field(description="started by the playbook's schedule")
    people: int


class Counts(BaseModel):
    people: int
    answered: int
    not_answered: int
    undeliverable: int
    unsubscribed: int
    not_paged: int = Field(description="the drill gave way to a real activation first")


class ReachShare(BaseModel):
    within_minutes: int
    part: int
    whole: int
    share: float | None = Field(description="part / whole, 0..1")


class GroupReach(BaseModel):
    group: DrillGroup
    name: str
    people: int
    reached: list[ReachShare]


class PersonResult(BaseModel):
    person_id: str
    name: str
    phone: str
    groups: list[DrillGroup]
    outcome: Outcome
    answered_at: datetime | None
    minutes: float | None = Field(description="from the drill's start to the answer")
    channel: str | None = Field(description="sms, or key (a key pressed in the phone call)")
    call_requested_at: datetime | None
    call: str | None = Field(
        default=None,
        description="the phone call after N minutes: queued, cancelled (answered or closed "
        "before it left), placed, failed, or how it ended "
        "(accepted, declined: a key; busy, no_answer, no_key, machine: not answered by key)",
    )


class DrillResult(BaseModel):
    drill: DrillSummary
    counts: Counts
    groups: list[GroupReach]
    people: list[PersonResult]
    not_answered: list[PersonResult] = Field(
        description="everyone without an answer (also undeliverable and unsubscribed): the list "
        "the secretariat calls the next day"
    )


class DrillList(BaseModel):
    drills: list[DrillSummary]
