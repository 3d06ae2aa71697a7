"""The human-readable rendering of a stored document: Danish HTML read from the XML itself, so
the page shows exactly what was (or will be) sent."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html import escape

from beredskab.billing import format_dkk

_CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"
_CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
_STATES = {"created": "oprettet", "sent": "sendt", "accepted": "modtaget", "rejected": "afvist"}


def _text(node: ET.Element | None, path: str) -> str:
    found = node.find(path) if node is not None else None
    return (found.text or "") if found is not None else ""


def _ore(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    kroner, _, ore = text.lstrip("-").partition(".")
    return sign * (int(kroner) * 100 + int((ore + "00")[:2]))


def _party(root: ET.Element, which: str) -> str:
    party = root.find(f"{_CAC}{which}/{_CAC}Party")
    name = _text(party, f"{_CAC}PartyLegalEntity/{_CBC}RegistrationName")
    cvr = _text(party, f"{_CAC}PartyLegalEntity/{_CBC}CompanyID")
    endpoint = party.find(f"{_CBC}EndpointID") if party is not None else None
    ean = endpoint.text if endpoint is not None and endpoint.get("schemeID") == "0088" else ""
    rows = [escape(name), f"CVR {escape(cvr.removeprefix('DK'))}"]
    if ean:
        rows.append(f"EAN {escape(ean)}")
    return "<br>".join(rows)


def html(xml: bytes, state: str) -> str:
    root = ET.fromstring(xml)  # noqa: S314 (the document we generated and stored)
    credit = root.tag.endswith("}CreditNote")
    title = "Kreditnota" if credit else "Faktura"
    number = _text(root, f"{_CBC}ID")
    head = [
        ("Nummer", number),
        ("Udstedt", _text(root, f"{_CBC}IssueDate")),
        ("Forfalder", _text(root, f"{_CBC}DueDate")),
        ("Køberens reference", _text(root, f"{_CBC}BuyerReference")),
        ("Vedrører faktura", _text(root, f"{_CAC}BillingReference//{_CBC}ID")),
        ("Betalingsbetingelser", _text(root, f"{_CAC}PaymentTerms/{_CBC}Note")),
        ("Moms", _text(root, f".//{_CAC}TaxSubtotal/{_CAC}TaxCategory/{_CBC}TaxExemptionReason")),
        ("Status", _STATES.get(state, state)),
    ]
    rows = []
    for line in root.iter(f"{_CAC}{'CreditNoteLine' if credit else 'InvoiceLine'}"):
        quantity = line.find(f"{_CBC}{'CreditedQuantity' if credit else 'InvoicedQuantity'}")
        hourly = quantity is not None and quantity.get("unitCode") == "HUR"
        amount = format_dkk(_ore(_text(line, f"{_CBC}LineExtensionAmount")))
        hours = escape(quantity.text.replace(".", ",")) + " t" if hourly else ""
        price = format_dkk(_ore(_text(line, f"{_CAC}Price/{_CBC}PriceAmount"))) if hourly else ""
        rows.append(
            "<tr>"
            f"<td>{escape(_text(line, f'{_CAC}Item/{_CBC}Name'))}"
            f"<br><small>{escape(_text(line, f'{_CBC}Note'))}</small></td>"
            f"<td>{hours}</td><td>{price}</td><td>{amount}</td></tr>"
        )
    total = format_dkk(_ore(_text(root, f"{_CAC}LegalMonetaryTotal/{_CBC}PayableAmount")))
    facts = "".join(f"<tr><th>{k}</th><td>{escape(v)}</td></tr>" for k, v in head if v)
    return (
        '<!doctype html><html lang="da"><head><meta charset="utf-8">'
        f"<title>{title} {escape(number)}</title></head><body>"
        f"<h1>{title} {escape(number)}</h1>"
        f"<table><tr><th>Fra</th><td>{_party(root, 'AccountingSupplierParty')}</td></tr>"
        f"<tr><th>Til</th><td>{_party(root, 'AccountingCustomerParty')}</td></tr>{facts}</table>"
        "<table><thead><tr><th>Linje</th><th>Timer</th><th>Timepris, kr.</th>"
        "<th>Beløb, kr.</th></tr></thead><tbody>"
        + "".join(rows)
        + f"</tbody><tfoot><tr><th colspan=3>I alt</th><th>{total}</th></tr></tfoot></table>"
        "</body></html>"
    )
