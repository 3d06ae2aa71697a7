"""Text cells of the spreadsheet exports (CSV, XLSX) that Excel can never run as a formula.

A cell that starts with = + - @ tab or CR is a formula to Excel and LibreOffice (OWASP "CSV
injection"): log text or a name typed as `=HYPERLINK(...)` would run on the reader's machine. In
CSV such text gets a leading single quote, which Excel shows and never runs; in XLSX it is a
string cell marked "quote prefix" (costs/export.py), which shows the text as typed and stays text
even when edited.

Only text goes through here. A number the service itself writes (an amount, hours, a sequence
number) is a number, also when negative: "-12,50" in a CSV amount column stays as it is, and an
XLSX number cell stays a number. So a column is text or number by what it holds, not by how its
value looks: free text "-2" is text and written "'-2".
"""

from __future__ import annotations

FORMULA_STARTS = frozenset("=+-@\t\r")


def runs_as_formula(text: str) -> bool:
    """Whether a spreadsheet would read `text` as a formula. One character alone cannot compute
    anything (and "-" is the report's mark for "not shown"): it stays as it is."""
    return len(text) > 1 and text[0] in FORMULA_STARTS


def text_cell(text: str | None) -> str:
    """`text` for a CSV cell: as it is, or with a leading single quote if it would run."""
    text = text or ""
    return "'" + text if runs_as_formula(text) else text
