"""Sending a document: the port an access point client implements, the FileDrop adapter, and
the use case that validates, hands over and marks the document sent.

Durability: the file is written (to a temporary name, then renamed) before the state changes;
a crash between the two leaves the document `created`, and sending it again writes the same
file name again, so the access point never sees a half file and at most sees it twice under one
name (the number), which it deduplicates by the document's ID.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.errors import Conflict, NotFound
from beredskab.invoices import service
from beredskab.invoices.models import Invoice, InvoiceState
from beredskab.invoices.validation import fatal, validate
from beredskab.settings import Settings

_CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"
_CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
# Peppol Invoice Response (UNCL4343 subset): what each code means for our state; the others
# (AB acknowledged, IP in process, UQ under query) change nothing
RESPONSE_CODES = {
    "AP": InvoiceState.accepted,
    "CA": InvoiceState.accepted,
    "PD": InvoiceState.accepted,
    "RE": InvoiceState.rejected,
}


@dataclass(frozen=True)
class Receipt:
    """What the buyer's side answered about one of our documents."""

    name: str  # where it came from (the adapter's handle)
    number: str | None  # our document's number; None when the receipt cannot be read
    code: str
    note: str


class AccessPoint(Protocol):
    """What a Peppol/NemHandel access point client does for us: take one document, and hand us
    the receipts (Invoice Responses) that came back."""

    def deliver(self, number: str, xml: bytes) -> str:
        """Hand over the document; returns where it went (for the state note)."""
        ...

    def receipts(self) -> list[Receipt]:
        """The receipts not yet marked done, oldest first."""
        ...

    def done(self, receipt: Receipt) -> None:
        """The receipt has been applied (or cannot be): do not hand it over again."""
        ...


def parse_receipt(name: str, xml: bytes) -> Receipt:
    """A Peppol Invoice Response (UBL ApplicationResponse): the document it answers and the
    response code; an unreadable one has number None."""
    try:
        root = ET.fromstring(xml)  # noqa: S314 (our access point's folder, not the internet)
    except ET.ParseError:
        return Receipt(name, None, "", "unreadable XML")
    response = root.find(f"{_CAC}DocumentResponse")
    number = (
        response.findtext(f"{_CAC}DocumentReference/{_CBC}ID") if response is not None else None
    )
    code = (
        response.findtext(f"{_CAC}Response/{_CBC}ResponseCode", "") if response is not None else ""
    )
    reasons = [
        (e.text or "").strip()
        for e in root.iter()
        if e.tag in (f"{_CBC}Description", f"{_CBC}StatusReason") and (e.text or "").strip()
    ]
    return Receipt(name, (number or "").strip() or None, code.strip(), "; ".join(reasons))


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

    def receipts(self) -> list[Receipt]:
        inbox = self.folder / "receipts"
        if not inbox.is_dir():
            return []
        files = sorted(inbox.glob("*.xml"), key=lambda p: (p.stat().st_mtime, p.name))
        return [parse_receipt(p.name, p.read_bytes()) for p in files]

    def done(self, receipt: Receipt) -> None:
        archive = self.folder / "receipts" / "done"
        archive.mkdir(parents=True, exist_ok=True)
        os.replace(self.folder / "receipts" / receipt.name, archive / receipt.name)


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


@dataclass
class Collected:
    applied: list[str]  # "<number>: <state>"
    ignored: list[str]  # "<file>: why"


async def collect_receipts(
    session: AsyncSession, point: AccessPoint, *, now: datetime
) -> Collected:
    """Apply the access point's receipts to our documents' states. Each is marked done after
    its state change is committed; a crash in between hands it over again, and applying it
    twice finds the document already in that state (ignored, then done)."""
    out = Collected([], [])
    for receipt in point.receipts():
        state = RESPONSE_CODES.get(receipt.code)
        if receipt.number is None:
            out.ignored.append(f"{receipt.name}: {receipt.note or 'no document reference'}")
        elif state is None:
            out.ignored.append(f"{receipt.name}: response code {receipt.code or '(none)'}")
        else:
            try:
                await service.set_state(
                    session, receipt.number, state, note=receipt.note, by="adgangspunkt", now=now
                )
                out.applied.append(f"{receipt.number}: {state}")
            except (Conflict, NotFound) as exc:
                out.ignored.append(f"{receipt.name}: {exc}")
        point.done(receipt)
    return out
