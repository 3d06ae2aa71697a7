"""Input and output shapes of activations (shared by the API and the services)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from beredskab.phones import normalise_phone
from beredskab.texts import Reason as RequiredReason
from beredskab.texts import Title


class ActivationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title = Field(examples=["Vandforsyning svigter i Odder"])
    description: str = Field(default="", max_length=4000)
    authority_id: str | None = Field(
        default=None,
        description="the activating authority, a known organisation: required when a steering "
        "member or an admin asks; an authority's token implies its own (another is 403)",
    )
    contact_name: Title = Field(examples=["Frida Bak"])
    contact_phone: str = Field(
        description="any Danish notation or E.164; stored as E.164", examples=["+45 20 12 34 56"]
    )
    channels: list[Literal["phone", "chat"]] = Field(
        default_factory=lambda: ["phone"], min_length=1, json_schema_extra={"uniqueItems": True}
    )
    exercise: bool = False
    out_of_hours_requested: bool = False
    callback_url: str | None = Field(
        default=None,
        max_length=500,
        description="where status changes are posted, signed: an absolute https URL whose host "
        "resolves to public addresses only (plain http to loopback in development only)",
    )

    @field_validator("contact_phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalise_phone(value)

    @field_validator("channels")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each channel may appear once")
        return value


class PersonRef(BaseModel):
    id: str
    name: str


class RoleStatus(BaseModel):
    role: str
    name: str
    state: str
    person: PersonRef | None
    since: datetime


class OpenPage(BaseModel):
    id: int
    purpose: str
    role: str | None
    person: PersonRef
    rank: int
    pass_no: int
    sent_at: datetime
    expires_at: datetime | None
    delivery: str | None
    call: str | None = None  # the page's phone call: queued, placed, or how it ended
    shift_id: int | None = None
    org_id: str | None = None  # the municipality, for a volunteer page


class ShiftBrief(BaseModel):
    id: int
    start: datetime
    end: datetime
    state: str
    needs_approval: bool
    agents_needed: int
    agents_allocated: int
    agents_confirmed: int


class CallbackStatus(BaseModel):
    url: str
    delivered: int
    pending: int
    failing: int
    last_error: str | None


class ActivationSummary(BaseModel):
    id: str
    ref: str
    status: str
    title: str
    authority_id: str
    exercise: bool
    created_at: datetime


class ActivationBoard(ActivationSummary):
    description: str
    contact_name: str
    contact_phone: str
    channels: list[str]
    out_of_hours_requested: bool
    playbook_hash: str
    endorsed_at: datetime | None
    endorsed_by: str | None
    ended_at: datetime | None
    roles: list[RoleStatus]
    open_pages: list[OpenPage]
    counts: dict[str, int]
    callbacks: CallbackStatus | None
    action_cards: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="per role: total, done, not_applicable, open"
    )
    archived_at: datetime | None = None
    shifts: list[ShiftBrief] = Field(default_factory=list)


class Reason(BaseModel):
    """An optional reason (cancel, stand down): the body itself may be left out."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=1000)


class Rejection(BaseModel):
    """Rejecting a request needs a reason: the authority is told it."""

    model_config = ConfigDict(extra="forbid")
    reason: RequiredReason = Field(examples=["Hændelsen kan håndteres af kommunen selv."])


class Handover(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: str = Field(description="who takes the role over: a person active in the directory")
    reason: str = Field(default="", max_length=1000)
