"""The finance report as JSON, as CSV for Danish Excel, and as XLSX with one sheet per view.

Headers, sheet names and labels are Danish (finance reads them); amounts are øre plus kroner
written the Danish way ("1.234,50"), except in XLSX where they are numbers with a number format.
No text runs as a formula (spreadsheet.py): in CSV it is quoted with a leading ', in XLSX it is a
quote-prefixed text cell; amounts and hours are numbers, negative ones too. The report holds no
times of day (the period is local dates, as in the JSON), so it names no time zone.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime

from beredskab.billing import format_dkk
from beredskab.costs.report import Party, Report
from beredskab.costs.report_lines import ReportLine
from beredskab.spreadsheet import runs_as_formula, text_cell

CATEGORY = {
    "crisis_staff": "Krisestab",
    "contact_centre_shift": "Vagt i kontaktcenteret",
    "expense": "Udgift",
    "training": "Uddannelse",
    "adjustment": "Regulering",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
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


def _texts(view: str, party: Party, line: ReportLine) -> tuple[list[str], list[str]]:
    """A line's text columns as typed: those before the numbers, and those after them."""
    head = [view, party.org_id, party.name, party.cvr or "", party.ean or "", line.ref, line.title]
    head += [
        STATUS.get(line.status, line.status),
        CATEGORY.get(line.category, line.category),
        _opening(line.in_hours),
    ]
    return head, [line.debtor_id, line.creditor_id, line.text]


def _csv_row(view: str, party: Party, line: ReportLine | None) -> list[str]:
    if line is None:
        total = party.amount_ore
        head = [view, party.org_id, party.name, party.cvr or "", party.ean or ""]
        head += ["", "", "", "I alt", ""]
        numbers, tail = ["", "", str(total), format_dkk(total)], ["", "", ""]
    else:
        head, tail = _texts(view, party, line)
        rate = "" if line.rate_ore_per_hour is None else format_dkk(line.rate_ore_per_hour)
        hours = _hours_da(line.hours) if line.agent_micros else ""
        numbers = [hours, rate, str(line.amount_ore), format_dkk(line.amount_ore)]
    return [*map(text_cell, head), *numbers, *map(text_cell, tail)]


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
    # text is text: never a formula, nor a link made of a text that looks like one
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    bold = book.add_format({"bold": True})
    kroner = book.add_format({"num_format": "#,##0.00"})
    # shows the text as typed and keeps it text when edited (a leading ' would be shown)
    quoted = book.add_format({"quote_prefix": True})
    summary = ["Part", "Navn", "CVR", "EAN", "Linjer", "Beløb (øre)", "Beløb (kr.)"]

    def write_texts(sheet, row: int, col: int, texts: list[str]) -> None:  # noqa: ANN001
        for i, text in enumerate(texts):
            sheet.write_string(row, col + i, text, quoted if runs_as_formula(text) else None)

    def party_sheet(name: str, parties: list[Party]) -> None:
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, summary, bold)
        for r, party in enumerate(parties, start=1):
            total = party.amount_ore
            write_texts(sheet, r, 0, [party.org_id, party.name, party.cvr or "", party.ean or ""])
            sheet.write_number(r, 4, len(party.lines))
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
        head, tail = _texts(view, party, line)
        write_texts(lines, r, 0, head)
        lines.write_number(r, 10, line.hours)
        if line.rate_ore_per_hour is not None:
            lines.write_number(r, 11, line.rate_ore_per_hour / 100, kroner)
        lines.write_number(r, 12, line.amount_ore)
        lines.write_number(r, 13, line.amount_ore / 100, kroner)
        write_texts(lines, r, 14, tail)
        r += 1
    book.close()
    return buffer.getvalue()


def as_file(report: Report, kind: str, generated_at: datetime) -> tuple[bytes, str, str]:
    """The report as a file to download: (body, media type, file name); `kind` is json, csv or
    xlsx."""
    name = f"ddh-omkostninger-{report.start}-{report.end}"
    if kind == "json":
        body = json.dumps(to_json(report, generated_at), ensure_ascii=False, indent=1)
        return body.encode("utf-8"), "application/json", f"{name}.json"
    if kind == "csv":
        return to_csv(report), CSV, f"{name}.csv"
    return to_xlsx(report), XLSX, f"{name}.xlsx"
