"""The crisis leader's structured evaluation of an activation (the action card's debrief items)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel


class ActivationEvaluation(SQLModel, table=True):
    """One per activation, written after stand-down; every change is also in the log."""

    __tablename__ = "activation_evaluation"
    activation_id: str = Field(foreign_key="activation.id", primary_key=True, max_length=36)
    # the contact centre's answer times, in seconds: the average wait and the longest
    average_wait_seconds: int | None = None
    longest_wait_seconds: int | None = None
    calls_answered: int | None = None
    chats_answered: int | None = None
    guides: list[dict] = Field(default_factory=list, sa_type=JSON)  # [{"name", "version"}]
    citizen_impact: str = Field(default="", sa_type=Text)
    went_well: str = Field(default="", sa_type=Text)
    to_change: str = Field(default="", sa_type=Text)
    notes: str = Field(default="", sa_type=Text)
    created_at: datetime
    created_by: str = Field(max_length=200)
    updated_at: datetime
    updated_by: str = Field(max_length=200)
