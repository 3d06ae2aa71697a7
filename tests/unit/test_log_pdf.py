"""The log PDF for the archive keeps every character as typed, keeps each column inside its
bounds, and says which time zone its times are in (issue 14.5)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from beredskab.eventlog.pdf import COLUMNS, cells, layout, to_pdf
from beredskab.eventlog.schemas import LogEntryRead

CPH = ZoneInfo("Europe/Copenhagen")
POLISH = "Łukasz Żółć"
GREEK = "Σεισμός στην Αθήνα· τα νερά ανεβαίνουν"
ARABIC = "مرحبا بالعالم"
TYPOGRAPHY = "„Vi lukker“ – sagde hun — ‘ikke’ … 40 °C, ½ time, €"
EMOJI_IN_FONT = "😀"
EMOJI_NOT_IN_FONT = "🔥"  # DejaVu Sans has no glyph for it: a visible placeholder instead


def _entry(seq: int, *, actor: str, kind: str, text: str) -> LogEntryRead:
    at = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)  # 16:30 in Copenhagen
    return LogEntryRead(
        seq=seq,
        occurred_at=at,
        recorded_at=at,
        actor=actor,
        kind=kind,
        text=text,
        data=None,
        corrects=None,
        corrected_by=[],
        superseded=False,
        hash="ab" * 32,
    )


ENTRIES = [
    _entry(1, actor=f"{POLISH} (krisestab)", kind="note", text=f"{POLISH} har vagten. {GREEK}"),
    _entry(2, actor="system", kind="endorsement_requested", text=TYPOGRAPHY),
    _entry(
        3,
        actor="Anne-Mette Kristiansen-Østergaard (logfører, krisestab, Region Midtjylland)",
        kind="decision",
        text=f"Brand ved havnen {EMOJI_NOT_IN_FONT} {EMOJI_IN_FONT}",
    ),
    # alone in its cell: how a reader orders a line mixing both directions is its own affair
    _entry(4, actor="Rania", kind="information", text=ARABIC),
]


def _text() -> str:
    pdf = to_pdf(
        ENTRIES,
        ref="DDH-2026-0001",
        authority="Odder Kommune",
        title="Vandet stiger — „Åen“",
        tz=CPH,
        head_hash="ab" * 32,
    )
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_every_character_prints_as_typed() -> None:
    content = _text()
    for typed in (POLISH, GREEK, TYPOGRAPHY, EMOJI_IN_FONT, "Vandet stiger — „Åen“"):
        assert typed in content, typed
    # right to left: the extracted order depends on the reader; every letter is there
    assert all(c in content for c in ARABIC if not c.isspace())
    assert "?" not in content  # nothing replaced silently


def test_a_character_without_a_glyph_becomes_a_visible_placeholder() -> None:
    content = _text()
    assert "[U+1F525]" in content and "Brand ved havnen [U+1F525]" in content


def test_the_pdf_says_which_time_zone_its_times_are_in() -> None:
    content = _text()
    assert "Europe/Copenhagen" in content
    assert "2026-11-20 16:30:00" in content


def test_every_column_keeps_inside_its_width() -> None:
    pdf = layout("titel", "ab" * 32, CPH)
    for entry in ENTRIES:
        for (label, width), lines in zip(COLUMNS, cells(pdf, entry, CPH), strict=True):
            for line in lines:
                assert pdf.get_string_width(line) <= width - 2, (label, line)
    kind = cells(pdf, ENTRIES[1], CPH)[2]
    assert "".join(kind).replace(" ", "") == "system:endorsement_requested"
    assert len(kind) > 1  # wrapped, not printed over the next column
    actor = cells(pdf, ENTRIES[2], CPH)[3]
    assert len(actor) > 1 and " ".join(actor) == ENTRIES[2].actor
