"""The finance report as JSON, as CSV for Danish Excel, and as XLSX with one sheet per view.

Headers, sheet names and labels are Danish (finance reads them); amounts are øre plus kroner
written the Danish way ("1.234,50"), except in XLSX where they are numbers with a number format.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

from beredskab.billing import format_dkk
from beredskab.costs.report import Party, Report
from beredskab.costs.report_lines import ReportLine

CATEGORY = {
    "crisis_staff": "Krisestab",
    "contact_centre_shift": "Vagt i kontaktcenteret",
    "expense": "Udgift",
    "training": "Uddannelse",
    "adjustment": "Regulering",
}
STATUS = {"final": "endelig", "draft": "kladde", "training": ""}
VIEWS = (("invoices", "Faktura"), ("reimbursements", "Refusion"))
HEADER = [
    "Visning",
    "Part",
    "Navn",
    "CVR",
    "EAN",
    "Aktivering",
    "Titel",
    "Status",
    "Kategori",
    "Åbningstid",
    "Timer",
    "Timepris (kr.)",
    "Beløb (øre)",
    "Beløb (kr.)",
    "Debitor",
    "Kreditor",
    "Tekst",
]


def _opening(in_hours: bool | None) -> str:
    return {True: "inden for", False: "uden for", None: ""}[in_hours]


def _line_json(line: ReportLine) -> dict:
    return {
        "activation_id": line.activation_id,
        "ref": line.ref,
        "title": line.title,
        "status": line.status,
        "category": line.category,
        "in_hours": line.in_hours,
        "hours": line.hours,
        "rate_ore_per_hour": line.rate_ore_per_hour,
        "amount_ore": line.amount_ore,
        "amount_dkk": format_dkk(line.amount_ore),
        "debtor_id": line.debtor_id,
        "creditor_id": line.creditor_id,
        "text": line.text,
    }


def _party_json(party: Party) -> dict:
    total = party.amount_ore
    return {
        "org_id": party.org_id,
        "name": party.name,
        "cvr": party.cvr,
        "ean": party.ean,
        "amount_ore": total,
        "amount_dkk": format_dkk(total),
        "lines": [_line_json(line) for line in party.lines],
    }


def to_json(report: Report, generated_at: datetime) -> dict:
    share = report.ddh_share.amount_ore
    return {
        "from": report.start.isoformat(),
        "to": report.end.isoformat(),
        "generated_at": generated_at.isoformat(),
        "invoices": [_party_json(p) for p in report.invoices],
        "reimbursements": [_party_json(p) for p in report.reimbursements],
        "ddh_share": _party_json(report.ddh_share),
        "totals": {
            "invoiced_ore": report.invoiced_ore,
            "invoiced_dkk": format_dkk(report.invoiced_ore),
            "ddh_share_ore": share,
            "ddh_share_dkk": format_dkk(share),
            "reimbursed_ore": report.reimbursed_ore,
            "reimbursed_dkk": format_dkk(report.reimbursed_ore),
        },
    }


def _safe(text: str | None) -> str:
    """Excel runs a cell starting with = + - @ as a formula: make free text plain text."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _hours_da(hours: float) -> str:
    return f"{hours:.2f}".replace(".", ",")


def _rows(report: Report) -> Iterator[tuple[str, Party, ReportLine | None]]:
    """(view, party, line) for every line of every view; line None is the party's total."""
    for attr, view in VIEWS:
        for party in getattr(report, attr):
            for line in party.lines:
                yield view, party, line
            yield view, party, None
    for line in report.ddh_share.lines:
        yield "DDH-andel", report.ddh_share, line
    yield "DDH-andel", report.ddh_share, None


def _csv_row(view: str, party: Party, line: ReportLine | None) -> list[str]:
    head = [view, party.org_id, _safe(party.name), party.cvr or "", party.ean or ""]
    if line is None:
        total = party.amount_ore
        return [*head, "", "", "", "I alt", "", "", "", str(total), format_dkk(total), "", "", ""]
    rate = "" if line.rate_ore_per_hour is None else format_dkk(line.rate_ore_per_hour)
    return [
        *head,
        line.ref,
        _safe(line.title),
        STATUS.get(line.status, line.status),
        CATEGORY.get(line.category, line.category),
        _opening(line.in_hours),
        _hours_da(line.hours) if line.agent_micros else "",
        rate,
        str(line.amount_ore),
        format_dkk(line.amount_ore),
        line.debtor_id,
        line.creditor_id,
        _safe(line.text),
    ]


def to_csv(report: Report) -> bytes:
    """UTF-8 with BOM and `;`: what Danish Excel opens correctly."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in _rows(report):
        writer.writerow(_csv_row(*row))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report: Report) -> bytes:
    """Sheets Faktura, Refusion, DDH-andel (one row per party) and Linjer (the detail)."""
    import xlsxwriter  # loaded on the first XLSX export, not at start-up

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "constant_memory": True, "strings_to_formulas": False}
    )
    bold = book.add_format({"bold": True})
    kroner = book.add_format({"num_format": "#,##0.00"})
    summary = ["Part", "Navn", "CVR", "EAN", "Linjer", "Beløb (øre)", "Beløb (kr.)"]

    def party_sheet(name: str, parties: list[Party]) -> None:
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, summary, bold)
        for r, party in enumerate(parties, start=1):
            total = party.amount_ore
            sheet.write_row(
                r, 0, [party.org_id, party.name, party.cvr or "", party.ean or "", len(party.lines)]
            )
            sheet.write_number(r, 5, total)
            sheet.write_number(r, 6, total / 100, kroner)
        sheet.set_column(1, 1, 32)

    party_sheet("Faktura", report.invoices)
    party_sheet("Refusion", report.reimbursements)
    party_sheet("DDH-andel", [report.ddh_share])
    lines = book.add_worksheet("Linjer")
    lines.write_row(0, 0, HEADER, bold)
    r = 1
    for view, party, line in _rows(report):
        if line is None:
            continue
        lines.write_row(r, 0, _csv_row(view, party, line)[:10])
        lines.write_number(r, 10, line.hours)
        if line.rate_ore_per_hour is not None:
            lines.write_number(r, 11, line.rate_ore_per_hour / 100, kroner)
        lines.write_number(r, 12, line.amount_ore)
        lines.write_number(r, 13, line.amount_ore / 100, kroner)
        lines.write_row(r, 14, [line.debtor_id, line.creditor_id, line.text])
        r += 1
    book.close()
    return buffer.getvalue()
