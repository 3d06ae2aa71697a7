"""Drill tables: a drill and its pages (one per person). Not an activation: no activation row,
no role, no cost; the drill's SMS are ordinary outbox rows without an activation."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from beredskab.metadata import utcnow


class DrillStatus(StrEnum):
    open = "open"  # pages out; replies without a code find it
    closed = "closed"  # its time is up; late answers are still recorded


class AnswerChannel(StrEnum):
    sms = "sms"
    key = "key"  # a key pressed in the drill's phone call (voice, issue #15.1)


class Drill(SQLModel, table=True):
    # never two drills at once: at most one row is open
    __table_args__ = (
        Index(
            "uq_drill_one_open",
            "status",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    group: str = Field(max_length=30)
    status: DrillStatus = Field(default=DrillStatus.open, sa_type=String(10))
    started_at: datetime = Field(default_factory=utcnow, index=True)
    ends_at: datetime
    call_after_minutes: int | None = None
    created_by: str = Field(max_length=200)
    schedule_rule: str | None = Field(default=None, max_length=100)  # a scheduled drill's rule
    closed_at: datetime | None = None


class DrillPage(SQLModel, table=True):
    __tablename__ = "drill_page"
    __table_args__ = (
        UniqueConstraint("drill_id", "person_id"),
        UniqueConstraint("drill_id", "code"),
        Index("ix_drill_page_person_code", "person_id", "code"),
    )
    id: int | None = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="drill.id", index=True)
    person_id: str = Field(foreign_key="person.id", max_length=64)
    phone: str = Field(max_length=20)
    code: str = Field(max_length=8)
    groups: str = Field(max_length=100)  # the person's groups in this drill, comma-separated
    # the page's SMS (its status and delivery report say undeliverable or unsubscribed)
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id")
    answered_at: datetime | None = None
    channel: AnswerChannel | None = Field(default=None, sa_type=String(10))
    call_requested_at: datetime | None = None  # when the call after N minutes was asked for
