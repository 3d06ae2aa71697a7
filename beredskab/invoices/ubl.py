"""A UBL 2.1 Invoice or CreditNote following Peppol BIS Billing 3.0 (with the Danish rules):
dataclasses in, XML bytes out. Pure: no clock, no database, no file.

Amounts are whole øre (int) throughout and written with two decimals, so the totals are the sums
of the lines to the øre. VAT is one category for the whole document (DDH's services are outside
VAT or exempt: `E` or `O`, with the exemption reason finance configures).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape, quoteattr

CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
CURRENCY = "DKK"
MICROS_PER_HOUR = 3_600_000_000
VAT_CATEGORIES = ("E", "O")  # exempt from VAT, not subject to VAT (services of DDH)
_NS = {
    "invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "credit_note": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}
_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def gln_valid(value: str) -> bool:
    """A GLN/EAN-13 (GS1 mod-10 check digit), as the Peppol rule `u:gln` checks it."""
    if len(value) != 13 or not value.isdigit():
        return False
    digits = [int(c) for c in reversed(value[:-1])]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(digits))
    return (10 - total % 10) % 10 == int(value[-1])


def cvr_valid(value: str) -> bool:
    """A Danish CVR number: 8 digits, weights 2 7 6 5 4 3 2 1, sum divisible by 11."""
    if len(value) != 8 or not value.isdigit() or value[0] == "0":
        return False
    return sum(int(c) * w for c, w in zip(value, (2, 7, 6, 5, 4, 3, 2, 1), strict=True)) % 11 == 0


@dataclass(frozen=True)
class Seller:
    name: str
    cvr: str
    ean: str | None
    street: str
    city: str
    postal_zone: str
    bank_reg: str  # Danish bank registration number (4 digits)
    bank_account: str
    payment_days: int
    vat_category: str  # E | O
    exemption_reason: str

    def __post_init__(self) -> None:
        if self.vat_category not in VAT_CATEGORIES:
            raise ValueError(f"VAT category must be one of {VAT_CATEGORIES}")
        if not self.exemption_reason.strip():
            raise ValueError("a VAT exemption reason is required for E and O")
        if not cvr_valid(self.cvr):
            raise ValueError(f"seller CVR {self.cvr!r} is not a valid CVR number")
        if self.ean is not None and not gln_valid(self.ean):
            raise ValueError(f"seller EAN {self.ean!r} has a wrong check digit")


@dataclass(frozen=True)
class Buyer:
    name: str
    cvr: str
    ean: str
    reference: str  # the buyer reference the authority gives (BT-10)

    def __post_init__(self) -> None:
        if not cvr_valid(self.cvr):
            raise ValueError(f"buyer CVR {self.cvr!r} is not a valid CVR number")
        if not gln_valid(self.ean):
            raise ValueError(f"buyer EAN {self.ean!r} is not a valid EAN/GLN")
        if not self.reference.strip():
            raise ValueError("the buyer reference is required")


@dataclass(frozen=True)
class Line:
    """One invoice line. Hourly when `agent_micros` and `rate_ore_per_hour` are given and the
    hours at the rate give the amount within 1 øre; else a lump sum (quantity 1)."""

    name: str
    note: str
    amount_ore: int
    agent_micros: int | None = None
    rate_ore_per_hour: int | None = None


@dataclass(frozen=True)
class Document:
    kind: str  # invoice | credit_note
    number: str
    issue_date: date
    due_date: date | None
    seller: Seller
    buyer: Buyer
    lines: tuple[Line, ...]
    note: str = ""
    refers_to: tuple[str, date] | None = None  # (invoice number, its issue date)

    @property
    def total_ore(self) -> int:
        return sum(line.amount_ore for line in self.lines)


def _kr(ore: int) -> str:
    sign = "-" if ore < 0 else ""
    return f"{sign}{abs(ore) // 100}.{abs(ore) % 100:02d}"


def _e(tag: str, text: str | int, **attrs: str) -> str:
    a = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    return f"<{tag}{a}>{escape(str(text))}</{tag}>"


def _amount(tag: str, ore: int) -> str:
    return _e(tag, _kr(ore), currencyID=CURRENCY)


def _hourly(line: Line) -> tuple[Decimal, int] | None:
    """(hours to 6 decimals, rate) when the line can be shown as hours × rate (Peppol R120
    allows 2 øre between quantity × price and the amount; we allow 1)."""
    if line.agent_micros is None or line.rate_ore_per_hour is None or line.agent_micros <= 0:
        return None
    hours = (Decimal(line.agent_micros) / MICROS_PER_HOUR).quantize(
        Decimal("0.000001"), ROUND_HALF_UP
    )
    if hours <= 0 or abs(hours * line.rate_ore_per_hour - line.amount_ore) > 1:
        return None
    if line.amount_ore < 0:
        return None
    return hours, line.rate_ore_per_hour


def _party(name: str, cvr: str, ean: str | None, address: str, tax: str) -> str:
    endpoint = (
        _e("cbc:EndpointID", ean, schemeID="0088")
        if ean
        else _e("cbc:EndpointID", cvr, schemeID="0184")
    )
    company = _e("cbc:ID", "DK" + cvr, schemeID="0184")
    ident = f"<cac:PartyIdentification>{company}</cac:PartyIdentification>"
    return (
        f"<cac:Party>{endpoint}{ident}"
        f"<cac:PartyName>{_e('cbc:Name', name)}</cac:PartyName>{address}{tax}"
        f"<cac:PartyLegalEntity>{_e('cbc:RegistrationName', name)}"
        f"{_e('cbc:CompanyID', 'DK' + cvr, schemeID='0184')}</cac:PartyLegalEntity></cac:Party>"
    )


def _address(street: str = "", city: str = "", postal_zone: str = "") -> str:
    parts = "".join(
        _e(tag, value)
        for tag, value in (
            ("cbc:StreetName", street),
            ("cbc:CityName", city),
            ("cbc:PostalZone", postal_zone),
        )
        if value
    )
    return (
        f"<cac:PostalAddress>{parts}<cac:Country>{_e('cbc:IdentificationCode', 'DK')}"
        "</cac:Country></cac:PostalAddress>"
    )


def _category(tag: str, seller: Seller, *, reason: bool) -> str:
    percent = _e("cbc:Percent", "0") if seller.vat_category == "E" else ""
    why = _e("cbc:TaxExemptionReason", seller.exemption_reason) if reason else ""
    return (
        f"<{tag}>{_e('cbc:ID', seller.vat_category)}{percent}{why}"
        f"<cac:TaxScheme>{_e('cbc:ID', 'VAT')}</cac:TaxScheme></{tag}>"
    )


def _line(doc: Document, number: int, line: Line) -> str:
    credit = doc.kind == "credit_note"
    tag = "cac:CreditNoteLine" if credit else "cac:InvoiceLine"
    quantity_tag = "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity"
    hourly = _hourly(line)
    if hourly is not None:
        hours, rate = hourly
        quantity = _e(quantity_tag, f"{hours.normalize():f}", unitCode="HUR")
        price = _amount("cbc:PriceAmount", rate)
    else:  # a lump sum: one piece at the amount (a negative amount: minus one piece)
        quantity = _e(quantity_tag, "1" if line.amount_ore >= 0 else "-1", unitCode="C62")
        price = _amount("cbc:PriceAmount", abs(line.amount_ore))
    note = _e("cbc:Note", line.note) if line.note else ""
    return (
        f"<{tag}>{_e('cbc:ID', number)}{note}{quantity}"
        f"{_amount('cbc:LineExtensionAmount', line.amount_ore)}"
        f"<cac:Item>{_e('cbc:Name', line.name)}"
        f"{_category('cac:ClassifiedTaxCategory', doc.seller, reason=False)}</cac:Item>"
        f"<cac:Price>{price}</cac:Price></{tag}>"
    )


def build(doc: Document) -> bytes:
    """The document as UTF-8 XML (a UBL Invoice, or a CreditNote)."""
    if doc.kind not in _NS:
        raise ValueError(f"unknown document kind {doc.kind!r}")
    if not doc.lines:
        raise ValueError("a document needs at least one line")
    credit = doc.kind == "credit_note"
    root = "CreditNote" if credit else "Invoice"
    seller, buyer, total = doc.seller, doc.buyer, doc.total_ore
    seller_tax = (
        f"<cac:PartyTaxScheme>{_e('cbc:CompanyID', 'DK' + seller.cvr)}"
        f"<cac:TaxScheme>{_e('cbc:ID', 'VAT')}</cac:TaxScheme></cac:PartyTaxScheme>"
        if seller.vat_category == "E"
        else ""
    )
    head = [
        _e("cbc:CustomizationID", CUSTOMIZATION),
        _e("cbc:ProfileID", PROFILE),
        _e("cbc:ID", doc.number),
        _e("cbc:IssueDate", doc.issue_date.isoformat()),
    ]
    if doc.due_date is not None and not credit:
        head.append(_e("cbc:DueDate", doc.due_date.isoformat()))
    head.append(
        _e("cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode", 381 if credit else 380)
    )
    if doc.note:
        head.append(_e("cbc:Note", doc.note))
    head += [_e("cbc:DocumentCurrencyCode", CURRENCY), _e("cbc:BuyerReference", buyer.reference)]
    if doc.refers_to is not None:
        number, issued = doc.refers_to
        head.append(
            f"<cac:BillingReference><cac:InvoiceDocumentReference>{_e('cbc:ID', number)}"
            f"{_e('cbc:IssueDate', issued.isoformat())}</cac:InvoiceDocumentReference>"
            "</cac:BillingReference>"
        )
    parties = (
        "<cac:AccountingSupplierParty>"
        + _party(
            seller.name,
            seller.cvr,
            seller.ean,
            _address(seller.street, seller.city, seller.postal_zone),
            seller_tax,
        )
        + "</cac:AccountingSupplierParty><cac:AccountingCustomerParty>"
        + _party(buyer.name, buyer.cvr, buyer.ean, _address(), "")
        + "</cac:AccountingCustomerParty>"
    )
    payment = (
        f"<cac:PaymentMeans>{_e('cbc:PaymentMeansCode', '42')}{_e('cbc:PaymentID', doc.number)}"
        f"<cac:PayeeFinancialAccount>{_e('cbc:ID', seller.bank_account)}"
        f"<cac:FinancialInstitutionBranch>{_e('cbc:ID', seller.bank_reg)}"
        "</cac:FinancialInstitutionBranch></cac:PayeeFinancialAccount></cac:PaymentMeans>"
        f"<cac:PaymentTerms>{_e('cbc:Note', f'Netto {seller.payment_days} dage')}"
        "</cac:PaymentTerms>"
    )
    taxes = (
        f"<cac:TaxTotal>{_amount('cbc:TaxAmount', 0)}<cac:TaxSubtotal>"
        f"{_amount('cbc:TaxableAmount', total)}{_amount('cbc:TaxAmount', 0)}"
        f"{_category('cac:TaxCategory', seller, reason=True)}</cac:TaxSubtotal></cac:TaxTotal>"
        f"<cac:LegalMonetaryTotal>{_amount('cbc:LineExtensionAmount', total)}"
        f"{_amount('cbc:TaxExclusiveAmount', total)}{_amount('cbc:TaxInclusiveAmount', total)}"
        f"{_amount('cbc:PayableAmount', total)}</cac:LegalMonetaryTotal>"
    )
    lines = "".join(_line(doc, i, line) for i, line in enumerate(doc.lines, 1))
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<{root} xmlns="{_NS[doc.kind]}" xmlns:cac="{_CAC}" xmlns:cbc="{_CBC}">'
        + "".join(head)
        + parties
        + payment
        + taxes
        + lines
        + f"</{root}>\n"
    )
    return xml.encode("utf-8")
