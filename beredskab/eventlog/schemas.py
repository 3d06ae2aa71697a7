"""Shapes of the log keeper's entries and queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from beredskab.eventlog.models import TEXT_MAX
from beredskab.instants import YEARS, Instant

ManualKind = Literal["information", "decision", "action", "omission", "note"]


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    who: str = Field(default="", max_length=200, description="who said or did it")
    channel: str = Field(default="", max_length=100, description="telefon, mail, møde, …")


class LogEntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ManualKind
    text: str = Field(min_length=1, max_length=TEXT_MAX)
    occurred_at: Instant | None = Field(
        default=None,
        description=f"when it happened: may be earlier than now, never later; {YEARS}",
    )
    source: Source | None = None
    tags: list[str] = Field(default_factory=list, max_length=20)
    corrects: int | None = Field(
        default=None, ge=1, description="seq of an entry of this log that this corrects"
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not 1 <= len(tag.strip()) <= 40:
                raise ValueError("each tag must be 1-40 characters")
        return [t.strip() for t in value]


class LogEntryRead(BaseModel):
    seq: int
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    kind: str
    text: str
    data: dict[str, Any] | None
    corrects: int | None
    corrected_by: list[int]
    superseded: bool
    hash: str


class LogPage(BaseModel):
    entries: list[LogEntryRead]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; stable")


class VerifyOut(BaseModel):
    ok: bool
    entries: int
    first_bad_seq: int | None
