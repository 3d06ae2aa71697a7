"""Sending a document: the port an access point client implements, the FileDrop adapter, and
the use case that validates, hands over and marks the document sent.

Durability: the file is written (to a temporary name, then renamed) before the state changes;
a crash between the two leaves the document `created`, and sending it again writes the same
file name again, so the access point never sees a half file and at most sees it twice under one
name (the number), which it deduplicates by the document's ID.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.errors import Conflict
from beredskab.invoices import service
from beredskab.invoices.models import Invoice, InvoiceState
from beredskab.invoices.validation import fatal, validate
from beredskab.settings import Settings


class AccessPoint(Protocol):
    """What a Peppol/NemHandel access point client does for us: take one document."""

    def deliver(self, number: str, xml: bytes) -> str:
        """Hand over the document; returns where it went (for the state note)."""
        ...


class FileDrop:
    """Writes `<number>.xml` into a folder an access point picks up."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def deliver(self, number: str, xml: bytes) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{number}.xml"
        partial = self.folder / f".{number}.xml.partial"
        with open(partial, "wb") as f:
            f.write(xml)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, target)
        return str(target)


def config_from(settings: Settings) -> service.InvoicingConfig:
    return service.InvoicingConfig(
        street=settings.invoice_street,
        city=settings.invoice_city,
        postal_zone=settings.invoice_postal_zone,
        bank_reg=settings.invoice_bank_reg,
        bank_account=settings.invoice_bank_account,
        payment_days=settings.invoice_payment_days,
        vat_category=settings.invoice_vat_category,
        exemption_reason=settings.invoice_vat_exemption_reason,
    )


def access_point(settings: Settings) -> AccessPoint:
    return FileDrop(settings.invoice_drop_dir)


async def send(
    session: AsyncSession, number: str, point: AccessPoint, *, by: str, now: datetime
) -> Invoice:
    """Validate the stored document against the official rules, deliver it, mark it sent."""
    row = await session.get(Invoice, number)
    if row is None or row.state not in (InvoiceState.created, InvoiceState.rejected):
        return await service.set_state(  # the same refusal as by hand (404 or 409)
            session, number, InvoiceState.sent, note="", by=by, now=now
        )
    found = fatal(validate(row.xml))
    if found:
        ids = ", ".join(sorted({f.id for f in found}))
        raise Conflict(f"invoice {number} breaks the Peppol rules ({ids}): not sent")
    where = point.deliver(number, row.xml)
    await session.rollback()  # end the read before the state change takes its lock
    return await service.set_state(
        session, number, InvoiceState.sent, note=f"afleveret: {where}", by=by, now=now
    )
