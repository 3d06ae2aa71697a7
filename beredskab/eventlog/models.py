"""The event log table: append-only, hash-chained per activation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from beredskab.metadata import utcnow

TEXT_MAX = 4000  # characters of an entry's text (the column)


class LogEntry(SQLModel, table=True):
    __tablename__ = "log_entry"
    __table_args__ = (
        UniqueConstraint("activation_id", "seq"),
        # the timeline's orderings and filters, and the "corrected by" lookup
        Index("ix_log_entry_activation_occurred", "activation_id", "occurred_at", "seq"),
        Index("ix_log_entry_activation_kind", "activation_id", "kind", "seq"),
        Index("ix_log_entry_activation_corrects", "activation_id", "corrects"),
    )
    id: int | None = Field(default=None, primary_key=True)
    activation_id: str = Field(foreign_key="activation.id", max_length=36)
    seq: int
    occurred_at: datetime
    recorded_at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    text: str = Field(max_length=TEXT_MAX)
    data: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    corrects: int | None = None
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
