"""The event log table: append-only, hash-chained per activation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from beredskab.metadata import utcnow


class LogEntry(SQLModel, table=True):
    __tablename__ = "log_entry"
    __table_args__ = (UniqueConstraint("activation_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    activation_id: str = Field(foreign_key="activation.id", max_length=36, index=True)
    seq: int
    occurred_at: datetime
    recorded_at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=200)
    kind: str = Field(max_length=40, index=True)
    text: str = Field(max_length=4000)
    data: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    corrects: int | None = None
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
