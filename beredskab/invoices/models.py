"""E-invoice tables: the documents, the per-year number series, and what each document covers.

A document's XML is stored as it was generated and never regenerated: what was sent is what
`GET /invoices/{number}.xml` returns. What it covers is kept in link tables whose primary keys
make a final statement invoiced once and an adjustment credited or invoiced once, whatever runs
twice or at the same time.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from beredskab.metadata import utcnow


class InvoiceKind(StrEnum):
    invoice = "invoice"
    credit_note = "credit_note"


class InvoiceState(StrEnum):
    created = "created"
    sent = "sent"
    accepted = "accepted"
    rejected = "rejected"


class InvoiceCounter(SQLModel, table=True):
    """The last number used in a year; its row is locked by the transaction that numbers a
    document, so the series has no gap and no double (a rollback returns the number)."""

    __tablename__ = "invoice_counter"
    year: int = Field(primary_key=True)
    last: int = 0


class Invoice(SQLModel, table=True):
    __tablename__ = "invoice"
    __table_args__ = (UniqueConstraint("year", "seq"),)
    number: str = Field(primary_key=True, max_length=20)  # e.g. 2026-00017
    year: int
    seq: int
    kind: InvoiceKind = Field(sa_type=String(20))
    debtor_id: str = Field(foreign_key="organisation.id", max_length=64, index=True)
    refers_to: str | None = Field(default=None, foreign_key="invoice.number", max_length=20)
    period_start: date = Field(index=True)
    period_end: date
    issue_date: date
    due_date: date | None = None
    total_ore: int = Field(sa_type=BigInteger)
    xml: bytes = Field(sa_type=LargeBinary)
    state: InvoiceState = Field(default=InvoiceState.created, sa_type=String(20))
    state_at: datetime = Field(default_factory=utcnow)
    state_by: str = Field(max_length=200)
    state_note: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=200)


class InvoiceActivation(SQLModel, table=True):
    """A final statement's groups for one debtor are on this invoice (once)."""

    __tablename__ = "invoice_activation"
    activation_id: str = Field(
        foreign_key="cost_final.activation_id", primary_key=True, max_length=36
    )
    invoice_number: str = Field(foreign_key="invoice.number", max_length=20, index=True)


class InvoiceAdjustment(SQLModel, table=True):
    """An adjustment after a final statement is on this credit note or invoice (once)."""

    __tablename__ = "invoice_adjustment"
    adjustment_id: int = Field(foreign_key="cost_adjustment.id", primary_key=True)
    invoice_number: str = Field(foreign_key="invoice.number", max_length=20, index=True)
