"""API token table: only the SHA-256 of a token is stored; the token itself is shown once."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from beredskab.metadata import utcnow


class TokenRole(StrEnum):
    authority = "authority"
    steering = "steering"
    crisis_staff = "crisis_staff"
    finance = "finance"
    admin = "admin"


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=16)
    role: TokenRole = Field(sa_type=String(20))
    org_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=64)
    person_id: str | None = Field(default=None, foreign_key="person.id", max_length=64)
    label: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    # None: never expires. From this instant on the token is refused like a revoked one.
    expires_at: datetime | None = None
    # written at most once a minute (usage.py): the last use is up to a minute stale
    last_used_at: datetime | None = None
