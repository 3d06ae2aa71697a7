"""API tokens, sign-in codes and web sessions: only SHA-256 hashes of their secrets are stored;
a token is shown once, a code goes by SMS, a session's value lives in the browser's cookie."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, event, inspect, update
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

from beredskab.directory.models import Person
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


class LoginCode(SQLModel, table=True):
    """One request for a sign-in code. A row is written for every request, for an unknown number
    too, so that the limits and the work done do not tell known numbers from unknown ones.

    `code_hash` is None when the limits refused the request (no code exists then); otherwise it
    is the hash of the code (`login_rules.digest`), never the code."""

    __tablename__ = "login_code"
    # the limits count a number's and a client's recent requests; sign-in takes a number's newest
    __table_args__ = (
        Index("ix_login_code_phone_issued_at", "phone", "issued_at"),
        Index("ix_login_code_client_issued_at", "client", "issued_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=20)
    person_id: str | None = Field(default=None, foreign_key="person.id", max_length=64)
    code_hash: str | None = Field(default=None, max_length=64)
    client: str = Field(max_length=64)
    issued_at: datetime = Field(index=True)
    attempts: int = 0
    used_at: datetime | None = None


class WebSession(SQLModel, table=True):
    """A signed-in browser. Only the SHA-256 of the cookie's value is stored."""

    __tablename__ = "web_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    person_id: str = Field(foreign_key="person.id", max_length=64, index=True)
    started_at: datetime
    # written at most once a minute (signin.identify): up to a minute stale
    last_seen_at: datetime
    ended_at: datetime | None = None
    client: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=200)


# --- deactivation signs a person out ------------------------------------------------------------


@event.listens_for(Session, "before_flush")
def _end_sessions_of_deactivated(session: Session, _context: object, _instances: object) -> None:
    """A person set inactive, by whatever path (directory import, the admin API, a web page),
    loses their web sessions in the same transaction.

    Listening here keeps `directory` (below `auth`) from having to know that sessions exist.
    `signin.identify` refuses inactive people as well, so even a bulk UPDATE that bypasses the
    ORM cannot keep anyone in; ending the rows also keeps a later reactivation from reviving
    them. Registered on every Session once this module is imported (`beredskab.models` does)."""
    gone = [  # the people in the session, not `session.dirty`: that checks every object's history
        obj.id
        for obj in session.identity_map.values()
        if isinstance(obj, Person) and not obj.active and inspect(obj).attrs.active.history.added
    ]
    if gone:
        session.execute(
            update(WebSession)
            .where(WebSession.person_id.in_(gone), WebSession.ended_at.is_(None))  # type: ignore[attr-defined,union-attr]
            .values(ended_at=utcnow()),
            execution_options={"synchronize_session": False},
        )
