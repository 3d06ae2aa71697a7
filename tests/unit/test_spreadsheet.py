"""Text that a spreadsheet would run as a formula gets a leading single quote; nothing else."""

from __future__ import annotations

import pytest

from beredskab.spreadsheet import text_cell


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ('=HYPERLINK("https://x","y")', '\'=HYPERLINK("https://x","y")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-12,50", "'-12,50"),  # as text: a number column never comes through here
        ("-", "-"),  # one character computes nothing: the report's "not shown"
        ("Odder Kommune", "Odder Kommune"),
        (" =1", " =1"),  # not at the start: text to Excel
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
    ],
)
def test_only_text_that_would_run_is_quoted(text, cell):
    assert text_cell(text) == cell
