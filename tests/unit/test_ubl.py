"""The UBL builder: what it writes passes the official rules (no fatal finding), its totals are
the sums of its lines to the øre, and it refuses identifiers with wrong check digits."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import asdict
from datetime import date

import pytest

from beredskab.invoices.ubl import Buyer, Document, Line, Seller, build, cvr_valid, gln_valid
from beredskab.invoices.validation import fatal, validate
from tests.factories import DDH_CVR, invoicing_config

CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
SELLER = Seller(
    name="Den Digitale Hotline", cvr=DDH_CVR, ean="5790000000005", **asdict(invoicing_config())
)
BUYER = Buyer(name="Aarhus Kommune", cvr="29900019", ean="5790000000012", reference="BER-2026")
LINES = (
    # 2 agents × 3 h 20 min at 650.00 kr/h = 4333.33 kr
    Line("Vagt, uden for åbningstid", "A-2026-001 Storm", 433_333, 2 * 12_000_000_000, 65_000),
    Line("Udlæg", "A-2026-001 Storm", 12_345),
    Line("Regulering", "A-2026-001 for meget", -5_000),  # a negative line on an invoice
)


def _doc(kind="invoice", lines=LINES, seller=SELLER, **kw) -> Document:
    return Document(
        kind=kind,
        number="2026-00001",
        issue_date=date(2026, 3, 1),
        due_date=date(2026, 3, 31),
        seller=seller,
        buyer=BUYER,
        lines=lines,
        **kw,
    )


@pytest.mark.parametrize("category", ["E", "O"])
def test_an_invoice_has_no_fatal_finding(category):
    seller = Seller(**{**SELLER.__dict__, "vat_category": category})
    xml = build(_doc(seller=seller))
    assert fatal(validate(xml)) == []


def test_a_credit_note_referring_to_its_invoice_has_no_fatal_finding():
    doc = _doc(
        "credit_note",
        lines=(Line("Regulering", "A-2026-001 for meget faktureret", 5_000),),
        refers_to=("2026-00001", date(2026, 3, 1)),
    )
    xml = build(doc)
    assert fatal(validate(xml)) == []
    assert b"<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>" in xml
    assert b"<cac:InvoiceDocumentReference><cbc:ID>2026-00001</cbc:ID>" in xml


def test_totals_are_the_lines_to_the_ore_and_hours_carry_the_rate():
    root = ET.fromstring(build(_doc()))
    assert root.find(f".//{CBC}PayableAmount").text == "4406.78"  # 4333.33 + 123.45 - 50.00
    quantities = [q.text for q in root.iter(f"{CBC}InvoicedQuantity")]
    units = [q.get("unitCode") for q in root.iter(f"{CBC}InvoicedQuantity")]
    assert quantities == ["6.666667", "1", "-1"]
    assert units == ["HUR", "C62", "C62"]
    assert [p.text for p in root.iter(f"{CBC}PriceAmount")] == ["650.00", "123.45", "50.00"]


def test_a_line_whose_parts_were_rounded_apart_becomes_a_lump_sum():
    # 3 parts of 1 s each at 650 kr/h, each rounded up to 19 øre: 57 øre for 3 s (54.2 exact)
    root = ET.fromstring(build(_doc(lines=(Line("Vagt", "x", 57, 3_000_000, 65_000),))))
    assert root.find(f".//{CBC}InvoicedQuantity").get("unitCode") == "C62"
    assert fatal(validate(ET.tostring(root))) == []


def test_identifiers_are_checked():
    assert gln_valid("5790000435975") and not gln_valid("5790000435976")
    assert cvr_valid("29189846") and not cvr_valid("29189847")
    with pytest.raises(ValueError, match="EAN"):
        Buyer(name="x", cvr="29900019", ean="5790000000013", reference="r")
    with pytest.raises(ValueError, match="CVR"):
        Buyer(name="x", cvr="29900018", ean="5790000000012", reference="r")
    with pytest.raises(ValueError, match="VAT category"):
        Seller(**{**SELLER.__dict__, "vat_category": "S"})
