"""The human-readable rendering of a stored document: Danish HTML read from the XML itself, so
the page shows exactly what was (or will be) sent."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from html import escape

from beredskab import danish
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


def _day(iso: str) -> str:
    return danish.day(date.fromisoformat(iso)) if iso else ""


def _hours(quantity: str) -> str:
    """Hours as a Dane reads them on a bill: "6,67 t" (the document carries them exactly)."""
    return f"{Decimal(quantity):.2f}".replace(".", ",") + " t"


def html(xml: bytes, state: str) -> str:
    root = ET.fromstring(xml)  # noqa: S314 (the document we generated and stored)
    credit = root.tag.endswith("}CreditNote")
    title = "Kreditnota" if credit else "Faktura"
    number = _text(root, f"{_CBC}ID")
    head = [
        ("Nummer", number),
        ("Udstedt", _day(_text(root, f"{_CBC}IssueDate"))),
        ("Forfalder", _day(_text(root, f"{_CBC}DueDate"))),
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
        hours = _hours(quantity.text or "0") if hourly else ""
        price = format_dkk(_ore(_text(line, f"{_CAC}Price/{_CBC}PriceAmount"))) if hourly else ""
        rows.append(
            "<tr>"
            f"<td>{escape(_text(line, f'{_CAC}Item/{_CBC}Name'))}"
            f"<br><small>{escape(_text(line, f'{_CBC}Note'))}</small></td>"
            f'<td data-label="Timer">{hours}</td><td data-label="Timepris, kr.">{price}</td>'
            f'<td data-label="Beløb, kr.">{amount}</td></tr>'
        )
    total = format_dkk(_ore(_text(root, f"{_CAC}LegalMonetaryTotal/{_CBC}PayableAmount")))
    facts = "".join(f'<tr><th scope="row">{k}</th><td>{escape(v)}</td></tr>' for k, v in head if v)
    return (
        '<!doctype html><html lang="da"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title} {escape(number)}</title><style>{_STYLE}</style></head><body><main>"
        f"<h1>{title} {escape(number)}</h1>"
        '<div class="wrap"><table class="facts"><caption>Oplysninger</caption>'
        f'<tr><th scope="row">Fra</th><td>{_party(root, "AccountingSupplierParty")}</td></tr>'
        f'<tr><th scope="row">Til</th><td>{_party(root, "AccountingCustomerParty")}</td></tr>'
        f"{facts}</table></div>"
        '<div class="wrap"><table class="lines"><caption>Linjer</caption>'
        '<thead><tr><th scope="col">Linje</th><th scope="col">Timer</th>'
        '<th scope="col">Timepris, kr.</th><th scope="col">Beløb, kr.</th></tr></thead><tbody>'
        + "".join(rows)
        + '</tbody><tfoot><tr><th scope="row" colspan="3">I alt</th>'
        f'<td data-label="I alt, kr.">{total}</td></tr></tfoot></table></div>'
        "</main></body></html>"
    )


# served with the page (no stylesheet to fetch): readable on a desk and on a 360 px phone
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;padding:1rem;color:#1a1a1a;line-height:1.4}"
    "main{max-width:60rem;margin:0 auto}h1{font-size:1.5rem}"
    ".wrap{overflow-x:auto;margin:1rem 0}table{border-collapse:collapse;width:100%}"
    "caption{text-align:left;font-weight:600;padding:.25rem 0}"
    "th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #ccc;"
    "overflow-wrap:break-word}"
    ".lines td:nth-child(n+2),.lines th:nth-child(n+2),.lines tfoot td"
    "{text-align:right;white-space:nowrap}"
    "small{color:#555}tfoot th,tfoot td{font-weight:700}"
    # a phone: each line a block, its figures labelled under its name
    "@media (max-width:40rem){.lines thead{display:none}.lines tr{display:block;"
    "border-bottom:1px solid #ccc;padding:.35rem 0}.lines td{display:block;"
    "border:0;padding:.1rem 0;text-align:left}.lines td:nth-child(n+2),.lines tfoot td"
    "{display:flex;justify-content:space-between}.lines td[data-label]:empty{display:none}"
    ".lines td[data-label]::before{content:attr(data-label);font-weight:400;color:#555}"
    ".lines tfoot th{display:none}.lines tfoot td::before{font-weight:700;color:inherit}"
    ".facts tr{display:block;border-bottom:1px solid #ccc;padding:.35rem 0}"
    ".facts th,.facts td{display:block;border:0;padding:.1rem 0}}"
)
