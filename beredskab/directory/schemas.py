"""Read and write shapes of the directory (shared by the admin API and the service), and the
services' results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from beredskab.directory.models import OrgKind
from beredskab.phones import normalise_phone

PERSON_ID = r"^[A-Za-z0-9_.-]+$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class PersonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=64, pattern=PERSON_ID, examples=["p100"])
    name: str = Field(min_length=1, max_length=200, examples=["Nina Holm"])
    phone: str = Field(description="any Danish notation; stored as E.164", examples=["20 12 34 56"])
    org_id: str = Field(examples=["odder"])
    title: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL)
    active: bool = True

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalise_phone(value)


class PersonUpdate(BaseModel):
    """Only the fields sent are changed; `active: false` takes a person off duty."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = None
    org_id: str | None = None
    title: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL)
    active: bool | None = None

    @field_validator("name", "phone", "org_id", "active")
    @classmethod
    def _required(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be changed but not removed")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalise_phone(value)


class OrganisationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    kind: OrgKind
    ddh_member: bool
    contact_centre: bool
    network: str | None
    cvr: str | None
    ean: str | None
    # what the authority asks to see on its e-invoices (BT-10), from the directory
    buyer_reference: str | None


class PersonRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    phone: str = Field(description="E.164", examples=["+4520123456"])
    org_id: str
    title: str | None
    email: str | None
    active: bool
    phone_verified_at: datetime | None = Field(
        description="when the owner answered the verification code; null: not verified"
    )
    phone_unreachable_at: datetime | None = Field(
        description="when the provider refused the number for good; null: reachable"
    )
    phone_unreachable_reason: str | None


@dataclass
class ImportReport:
    """Rows created, updated, unchanged and removed by one import (all tables together)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)

    def __str__(self) -> str:
        text = (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed"
        )
        return text if self.changed else f"{text}: nothing changed"


@dataclass(frozen=True)
class Gap:
    """One readiness gap: what kind, about which role / organisation / group, in words (and the
    person it is about, where it is about one)."""

    kind: str
    subject: str
    detail: str
    person_id: str | None = None


@dataclass
class Readiness:
    gaps: list[Gap] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.gaps


@dataclass(frozen=True)
class Listed:
    """A person as a duty list shows them: who, how to call them, whether they are active, and
    whether their number is verified, unverified or unreachable."""

    person_id: str
    name: str
    phone: str
    org_id: str
    title: str | None
    active: bool
    phone_state: str = "verified"


@dataclass(frozen=True)
class OrgContacts:
    org_id: str
    name: str
    people: list[Listed]  # a municipality's primary first, then its secondary


@dataclass
class Duty:
    """Who is called on the night: each role's roster (primary, then deputies in rank order), the
    steering group, the municipalities' contacts and the authorities' contact persons."""

    roster: dict[str, list[Listed]]
    steering: list[Listed]
    municipalities: list[OrgContacts]
    authorities: list[OrgContacts]
    required_deputies: dict[str, int]
