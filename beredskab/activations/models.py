"""Activation, role call-out and page tables."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from beredskab.db import may_race
from beredskab.escalation import PageState  # the rule and the table share one vocabulary
from beredskab.metadata import utcnow


class ActivationStatus(StrEnum):
    requested = "requested"
    active = "active"
    stood_down = "stood_down"
    rejected = "rejected"
    cancelled = "cancelled"


OPEN_STATUSES = (ActivationStatus.requested, ActivationStatus.active)


class CalloutState(StrEnum):
    calling = "calling"  # a page is out, or about to be
    filled = "filled"
    unfilled = "unfilled"  # every pass exhausted; needs a person by hand (handover)
    closed = "closed"  # stood down


class PagePurpose(StrEnum):
    endorse = "endorse"
    role = "role"
    shift_approve = "shift_approve"  # a steering member asked to approve an out-of-hours shift
    volunteer = "volunteer"  # a municipality contact asked for agents for a shift


class Activation(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("created_by_token_id", "idempotency_key"),
        # a person signed in to the web console has no token: their keys are theirs
        Index(
            "uq_activation_person_idempotency_key",
            "created_by_person_id",
            "idempotency_key",
            unique=True,
            sqlite_where=text("created_by_token_id IS NULL"),
            postgresql_where=text("created_by_token_id IS NULL"),
        ),
    )
    id: str = Field(primary_key=True, max_length=36)
    ref: str = Field(max_length=20, unique=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    authority_id: str = Field(foreign_key="organisation.id", max_length=64, index=True)
    contact_name: str = Field(max_length=200)
    contact_phone: str = Field(max_length=20)
    channels: list[str] = Field(default_factory=list, sa_type=JSON)
    exercise: bool = False
    out_of_hours_requested: bool = False
    callback_url: str | None = Field(default=None, max_length=500)
    status: ActivationStatus = Field(default=ActivationStatus.requested, sa_type=String(20))
    playbook_hash: str = Field(max_length=64)
    created_by_token_id: int | None = Field(default=None, foreign_key="api_token.id")
    created_by_person_id: str | None = Field(default=None, foreign_key="person.id", max_length=64)
    created_by: str = Field(max_length=200)
    idempotency_key: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    endorsed_at: datetime | None = None
    endorsed_by: str | None = Field(default=None, max_length=200)
    ended_at: datetime | None = None
    ended_by: str | None = Field(default=None, max_length=200)
    end_reason: str | None = Field(default=None, max_length=1000)
    endorse_reminders: int = 0
    archived_at: datetime | None = None  # the log is read-only from then on
    archived_by: str | None = Field(default=None, max_length=200)
    # head of the tamper-evident log: appends lock this row, so seq never forks
    log_seq: int = 0
    log_head_hash: str = Field(default="0" * 64, max_length=64)


class RoleCallout(SQLModel, table=True):
    __tablename__ = "role_callout"
    __table_args__ = (UniqueConstraint("activation_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    # found by the unique (activation_id, role): an index of its own would only cost inserts
    activation_id: str = Field(foreign_key="activation.id", max_length=36)
    role: str = Field(max_length=20)
    state: CalloutState = Field(default=CalloutState.calling, sa_type=String(20))
    person_id: str | None = Field(default=None, foreign_key="person.id", max_length=64)
    since: datetime = Field(default_factory=utcnow)


PAGE_CODE_INDEX = "uq_page_open_person_code"


class Page(SQLModel, table=True):
    """One request for a reply, sent to one person; answered by SMS code or through the API."""

    __table_args__ = (
        UniqueConstraint("activation_id", "code"),
        # a new code is checked against the open pages holding one of 16 candidates
        # (`new_code`): 16 lookups in this index, where one on the state alone had the planners
        # read every open page (SQLite always, PostgreSQL as their number grows)
        Index("ix_page_state_code", "state", "code"),
        # a reply names its page by the code alone (and the sender's number): never two open
        # pages of one person with one code, whichever activations they belong to. `new_code`
        # avoids every open page's code, but two transactions drawing at the same moment cannot
        # see each other's; this index turns that race into an error the use case tries again
        # (`db.may_race`, `errors.TryAgain`) instead of a reply counted for the wrong activation
        Index(
            PAGE_CODE_INDEX,
            "person_id",
            "code",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    activation_id: str = Field(foreign_key="activation.id", max_length=36)  # unique (…, code)
    purpose: PagePurpose = Field(sa_type=String(20))
    role: str | None = Field(default=None, max_length=20)
    person_id: str = Field(foreign_key="person.id", max_length=64, index=True)
    phone: str = Field(max_length=20, index=True)
    code: str = Field(max_length=8, index=True)  # a page is found by its code (a call, a reply)
    rank: int = 0
    pass_no: int = 1
    state: PageState = Field(default=PageState.open, sa_type=String(20))  # ix_page_state_code
    shift_id: int | None = Field(default=None, foreign_key="shift.id", index=True)
    org_id: str | None = Field(default=None, max_length=64)  # the municipality, volunteer pages
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    answered_at: datetime | None = None


may_race(Page.__table__, PAGE_CODE_INDEX)  # type: ignore[attr-defined]


# an inbound SMS kept in line: on PostgreSQL the webhook only stores it and answers at once; a
# drain (flows.in_line.process_next_in_line) does it in turn
REPLY_IN_LINE = "in_line"


class InboundSms(SQLModel, table=True):
    __tablename__ = "inbound_sms"
    __table_args__ = (
        Index(
            "ix_inbound_sms_in_line",
            "received_at",
            sqlite_where=text(f"outcome = '{REPLY_IN_LINE}'"),
            postgresql_where=text(f"outcome = '{REPLY_IN_LINE}'"),
        ),
    )
    message_sid: str = Field(primary_key=True, max_length=64)
    from_number: str = Field(max_length=32, index=True)
    to_number: str = Field(default="", max_length=32)
    body: str = Field(max_length=2000)
    received_at: datetime = Field(default_factory=utcnow)
    person_id: str | None = Field(default=None, max_length=64)
    outcome: str = Field(default="received", max_length=40)
    # when it was done: its arrival (done in the webhook), or when the drain took it from the
    # line (its work committed with this); None: not done (in line, or failed)
    processed_at: datetime | None = Field(default=None)


class TaskState(StrEnum):
    open = "open"
    done = "done"
    not_applicable = "not_applicable"


class ActionTask(SQLModel, table=True):
    """One item of a role's action card, instantiated from the playbook at endorsement."""

    __tablename__ = "action_task"
    __table_args__ = (UniqueConstraint("activation_id", "role", "position"),)
    id: int | None = Field(default=None, primary_key=True)
    # found by the unique (activation_id, role, position), as the call-outs' and pages' are
    activation_id: str = Field(foreign_key="activation.id", max_length=36)
    role: str = Field(max_length=20)
    position: int
    text: str = Field(max_length=500)
    state: TaskState = Field(default=TaskState.open, sa_type=String(20))
    changed_by: str | None = Field(default=None, max_length=200)
    changed_at: datetime | None = None
    note: str | None = Field(default=None, max_length=1000)
