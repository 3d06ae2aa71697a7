"""Directory tables and their read/write shapes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from beredskab.metadata import utcnow
from beredskab.roles import Role


class OrgKind(StrEnum):
    municipality = "municipality"
    region = "region"
    national = "national"
    cooperation = "cooperation"


class Organisation(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    kind: OrgKind = Field(sa_type=String(20))
    ddh_member: bool = False
    contact_centre: bool = False
    network: str | None = Field(default=None, max_length=40)
    cvr: str | None = Field(default=None, max_length=8)
    ean: str | None = Field(default=None, max_length=13)
    # the reference the authority wants on its e-invoices (Peppol BT-10, e.g. an order number)
    buyer_reference: str | None = Field(default=None, max_length=100)


class Person(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    phone: str = Field(max_length=20, index=True, unique=True)
    email: str | None = Field(default=None, max_length=254)
    org_id: str = Field(foreign_key="organisation.id", max_length=64, index=True)
    title: str | None = Field(default=None, max_length=200)
    active: bool = True
    # The phone's state (directory.verification): unverified (None) until its owner answers the
    # code sent to it; unreachable when the provider refused it for good (invalid, not a
    # mobile, STOP). A new number starts over: unverified, reachable, a new code.
    phone_verified_at: datetime | None = None
    phone_code: str | None = Field(default=None, max_length=6)
    phone_unreachable_at: datetime | None = None
    phone_unreachable_reason: str | None = Field(default=None, max_length=200)

    @property
    def phone_ok(self) -> bool:
        """Verified and not known unreachable: a number a call-out may rely on."""
        return self.phone_verified_at is not None and self.phone_unreachable_at is None


class RosterEntry(SQLModel, table=True):
    __tablename__ = "roster_entry"
    __table_args__ = (
        UniqueConstraint("role", "rank"),
        UniqueConstraint("role", "person_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    role: Role = Field(sa_type=String(20))
    rank: int = Field(ge=0)
    person_id: str = Field(foreign_key="person.id", max_length=64, index=True)


class SteeringMember(SQLModel, table=True):
    __tablename__ = "steering_member"
    person_id: str = Field(foreign_key="person.id", primary_key=True, max_length=64)
    position: int = 0


class MunicipalityContact(SQLModel, table=True):
    """rank 0 = primary, 1 = secondary contact person of a municipality."""

    __tablename__ = "municipality_contact"
    __table_args__ = (UniqueConstraint("org_id", "person_id"),)
    org_id: str = Field(foreign_key="organisation.id", primary_key=True, max_length=64)
    rank: int = Field(primary_key=True, ge=0, le=1)
    person_id: str = Field(foreign_key="person.id", max_length=64, index=True)


class AuthorityContact(SQLModel, table=True):
    __tablename__ = "authority_contact"
    org_id: str = Field(foreign_key="organisation.id", primary_key=True, max_length=64)
    person_id: str = Field(foreign_key="person.id", primary_key=True, max_length=64)


class DirectoryImport(SQLModel, table=True):
    """Audit trail of directory imports."""

    __tablename__ = "directory_import"
    id: int | None = Field(default=None, primary_key=True)
    imported_at: datetime = Field(default_factory=utcnow)
    source: str = Field(max_length=500)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0


class Grant(StrEnum):
    """Roles the directory gives by name; the others follow from where a person is listed."""

    finance = "finance"
    admin = "admin"


class PersonGrant(SQLModel, table=True):
    """An explicit grant of `finance` or `admin` to a person (the directory file's `grants:`)."""

    __tablename__ = "person_grant"
    person_id: str = Field(foreign_key="person.id", primary_key=True, max_length=64)
    role: Grant = Field(sa_type=String(20), primary_key=True)
