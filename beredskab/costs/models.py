"""Cost tables: tariffs, crisis-staff tenures, expenses, final statements, adjustments, training.

Raw records only: a statement is always recomputed from them (docs/domain.md#billing),
except a final one, which is frozen as a snapshot and changed only by adjustment lines.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from beredskab.metadata import utcnow


class Tariff(SQLModel, table=True):
    """The DDH hourly rate from a local date on (00:00 Europe/Copenhagen) until the next one.

    Rows are never edited: a new row for the same date supersedes the old one (with a reason).
    At most one row per date is in force: two rates set for a date at the same moment would
    otherwise leave every statement unpriceable.
    """

    __table_args__ = (
        Index(
            "uq_tariff_in_force",
            "valid_from",
            unique=True,
            sqlite_where=text("superseded_at IS NULL"),
            postgresql_where=text("superseded_at IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    valid_from: date = Field(index=True)
    rate_ore_per_hour: int
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=200)
    reason: str | None = Field(default=None, max_length=1000)
    superseded_at: datetime | None = None


class Expense(SQLModel, table=True):
    """An amount paid for an activation, entered by finance; `creditor_id` is reimbursed."""

    id: int | None = Field(default=None, primary_key=True)
    activation_id: str = Field(foreign_key="activation.id", max_length=36, index=True)
    amount_ore: int
    text: str = Field(max_length=500)
    creditor_id: str = Field(foreign_key="organisation.id", max_length=64)
    spent_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=200)


class CostFinal(SQLModel, table=True):
    """A statement finance has marked final: the snapshot every later GET shows."""

    __tablename__ = "cost_final"
    activation_id: str = Field(foreign_key="activation.id", primary_key=True, max_length=36)
    finalised_at: datetime
    finalised_by: str = Field(max_length=200)
    snapshot: dict = Field(default_factory=dict, sa_type=JSON)


class CostFinalGroup(SQLModel, table=True):
    """A final statement's parts summed per category, in/out of hours, rate, debtor, creditor.

    Written with the snapshot, so the finance report reads a few rows per activation instead of
    re-reading every part of every frozen statement.
    """

    __tablename__ = "cost_final_group"
    id: int | None = Field(default=None, primary_key=True)
    activation_id: str = Field(foreign_key="cost_final.activation_id", max_length=36, index=True)
    category: str = Field(max_length=30)
    in_hours: bool | None = None
    rate_ore_per_hour: int | None = None
    debtor_id: str = Field(max_length=64)
    creditor_id: str = Field(max_length=64)
    agent_micros: int = Field(default=0, sa_type=BigInteger)  # agents × elapsed µs (exact)
    amount_ore: int = Field(sa_type=BigInteger)


class CostAdjustment(SQLModel, table=True):
    """A signed correction with its own debtor and creditor; the only change after final."""

    __tablename__ = "cost_adjustment"
    id: int | None = Field(default=None, primary_key=True)
    activation_id: str = Field(foreign_key="activation.id", max_length=36, index=True)
    amount_ore: int
    debtor_id: str = Field(foreign_key="organisation.id", max_length=64)
    creditor_id: str = Field(foreign_key="organisation.id", max_length=64)
    reason: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=200)


class TrainingSession(SQLModel, table=True):
    """Training outside any activation: `people` of `org_id` trained `minutes` on `day`."""

    __tablename__ = "training_session"
    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    minutes: int
    people: int
    org_id: str = Field(foreign_key="organisation.id", max_length=64)
    text: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=200)


class TrainingChange(SQLModel, table=True):
    """The audit of a training session (no activation log to write to): before, after, why."""

    __tablename__ = "training_change"
    __table_args__ = (UniqueConstraint("training_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    training_id: int = Field(foreign_key="training_session.id", index=True)
    seq: int
    changed_at: datetime = Field(default_factory=utcnow)
    changed_by: str = Field(max_length=200)
    reason: str = Field(max_length=1000)
    before: dict | None = Field(default=None, sa_type=JSON)
    after: dict = Field(default_factory=dict, sa_type=JSON)
