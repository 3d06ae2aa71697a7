"""The readable invoice (`GET /invoices/{n}.html`, #17) in a real browser: what an authority's
clerk opens, on a desk or a phone. The route returns `invoices.render.html` of the stored XML
unchanged; here that rendering of a document built by `invoices.ubl.build`, as the service
builds it, is loaded into Chromium and checked like the console's pages (axe-core, 360 px)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from beredskab.invoices import render
from beredskab.invoices.ubl import Buyer, Document, Line, Seller, build
from tests.e2e.conftest import check_page
from tests.factories import DDH_CVR, invoicing_config

SELLER = Seller(
    name="Den Digitale Hotline", cvr=DDH_CVR, ean="5790000000005", **asdict(invoicing_config())
)
BUYER = Buyer(name="Aarhus Kommune", cvr="29900019", ean="5790000000012", reference="BER-2026")


def _doc(kind: str, lines: tuple[Line, ...], **kw: object) -> Document:
    return Document(
        kind=kind,
        number="2026-00002" if kind == "credit_note" else "2026-00001",
        issue_date=date(2026, 3, 1),
        due_date=date(2026, 3, 31),
        seller=SELLER,
        buyer=BUYER,
        lines=lines,
        **kw,
    )


LINES = (
    # 2 agents × 3 h 20 min at 650.00 kr/h, and a lump sum, each noting its activation
    Line(
        "Vagt, uden for åbningstid",
        "DDH-2026-0001 Storm over Østjylland",
        433_333,
        24 * 10**9,
        65_000,
    ),
    Line("Udlæg", "DDH-2026-0001 Storm over Østjylland", 12_345),
)


def test_an_invoice_reads_well_on_a_desk_and_a_phone(browser):
    tab = browser.new_page()
    tab.set_content(render.html(build(_doc("invoice", LINES)), "sent"))
    assert tab.get_by_role("heading", level=1).inner_text() == "Faktura 2026-00001"
    lines = tab.get_by_role("table", name="Linjer")
    assert "Vagt, uden for åbningstid" in lines.inner_text()
    assert "I alt" in lines.inner_text()
    assert "sendt" in tab.get_by_role("table", name="Oplysninger").inner_text()
    check_page(tab, "faktura")


def test_a_credit_note_names_the_invoice_it_corrects(browser):
    tab = browser.new_page()
    doc = _doc(
        "credit_note",
        (Line("Regulering", "DDH-2026-0001 for meget faktureret", 5_000),),
        refers_to=("2026-00001", date(2026, 3, 1)),
    )
    tab.set_content(render.html(build(doc), "created"))
    assert tab.get_by_role("heading", level=1).inner_text().startswith("Kreditnota")
    facts = tab.get_by_role("table", name="Oplysninger").inner_text()
    assert "2026-00001" in facts and "oprettet" in facts
    check_page(tab, "kreditnota")
