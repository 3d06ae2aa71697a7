"""Who held which crisis-staff role, from when to when (billing prices this time)."""

from __future__ import annotations

from datetime import datetime

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
