"""Who held which crisis-staff role, from when to when (billing prices this time), and who
else the crisis leader lets write in the log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel


class RoleTenure(SQLModel, table=True):
    """One person holding one crisis-staff role: from acknowledgement until relief or stand-down.

    `org_id` is the person's employer when they took the role: the creditor of the time.
    """

    __tablename__ = "role_tenure"
    id: int | None = Field(default=None, primary_key=True)
    activation_id: str = Field(foreign_key="activation.id", max_length=36, index=True)
    role: str = Field(max_length=20)
    person_id: str = Field(foreign_key="person.id", max_length=64)
    org_id: str = Field(foreign_key="organisation.id", max_length=64)
    started_at: datetime
    ended_at: datetime | None = None
    end_reason: str | None = Field(default=None, max_length=40)


class LogDelegate(SQLModel, table=True):
    """A person the crisis leader lets write in an activation's log without holding a role
    (an extra log keeper from the contact centre). Removing one keeps the row: `removed_at`."""

    __tablename__ = "log_delegate"
    # one standing delegation per person and activation (a removed one may be renewed)
    __table_args__ = (
        Index(
            "uq_log_delegate_standing",
            "activation_id",
            "person_id",
            unique=True,
            sqlite_where=text("removed_at IS NULL"),
            postgresql_where=text("removed_at IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    activation_id: str = Field(foreign_key="activation.id", max_length=36, index=True)
    person_id: str = Field(foreign_key="person.id", max_length=64)
    added_by: str = Field(max_length=200)
    added_at: datetime
    removed_by: str | None = Field(default=None, max_length=200)
    removed_at: datetime | None = None
