"""The log as a PDF for filing, with the chain head on each page. Loaded on the first export,
not at start-up (the log route imports it then): fpdf2 and what it imports are ≈ 20 MB.

Every character prints as typed: DejaVu Sans (beredskab/fonts, with its licence) is embedded,
and a character it has no glyph for is printed as a visible "[U+XXXX]", never dropped or "?".
Not declared PDF/A-2b: that needs an output intent and XMP identification fpdf2 does not write,
and a validator (veraPDF) to prove it; the embedded fonts are what archiving needs most.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF

from beredskab.eventlog.export import local_time
from beredskab.eventlog.schemas import LogEntryRead

FONTS = Path(__file__).resolve().parent.parent / "fonts"
FONT = "DejaVu"

# the log keeper's own kinds in Danish for the filed document; automatic steps read "system: …"
KIND_DA = {
    "information": "information",
    "decision": "beslutning",
    "action": "handling",
    "omission": "undladelse",
    "note": "notat",
}

COLUMNS = [("Nr.", 12), ("Tidspunkt", 32), ("Type", 34), ("Af", 45), ("Tekst", 154)]
_PAD = 2  # mm kept free at the right of each column
_LINE_H = 4
_BODY_PT = 8
# scripts written right to left: a line holding one is laid out by fpdf2's bidi algorithm
_RTL = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\U00010800-\U00010fff\U0001e800-\U0001efff]"
)


def printable(text: str, glyphs: frozenset[int]) -> str:
    """The text with each character the font cannot draw written as "[U+XXXX]": fpdf2 would
    leave it out, and a filed log must not lose a character without a trace."""
    if text.isascii():  # DejaVu Sans draws all of ASCII
        return text
    return "".join(c if ord(c) in glyphs or c == "\n" else f"[U+{ord(c):04X}]" for c in text)


class LogPdf(FPDF):
    def __init__(self, title: str, head_hash: str, tz: ZoneInfo) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.glyphs = frozenset(self.fonts["dejavu"].cmap)
        self.bold_glyphs = frozenset(self.fonts["dejavuB"].cmap)
        self.doc_title = printable(title, self.bold_glyphs)
        self.head_hash = head_hash
        self.tz = tz
        self.set_title(title)
        self.set_creator("DDH Beredskab")
        self.set_lang("da")
        self.set_auto_page_break(auto=True, margin=15)
        self.set_font(FONT, "", _BODY_PT)
        self.measure = _ruler(self)  # the body font's

    def header(self) -> None:
        self.set_font(FONT, "B", 11)
        self.multi_cell(0, 6, self.doc_title, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 7)
        # the archive must be read without guessing: which clock the times are on
        self.cell(0, 4, f"Tidspunkter i lokal tid, {self.tz.key}.", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "B", 8)
        for label, width in COLUMNS:
            self.cell(width, 5, label, border="B")
        self.ln(6)
        self.set_font(FONT, "", _BODY_PT)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 7)
        self.cell(
            0, 5, f"Kædens seneste hash: {self.head_hash}   Side {self.page_no()}/{{nb}}", align="C"
        )
        self.set_font(FONT, "", _BODY_PT)


Ruler = Callable[[str], float]


def _ruler(pdf: FPDF) -> Ruler:
    """The width of a text in the current font, in mm: what `get_string_width` gives without
    text shaping, from the font's glyph widths alone (get_string_width runs the bidi algorithm
    on every call: most of the time of a 10,000-entry log)."""
    widths = pdf.current_font.cw  # type: ignore[union-attr]
    scale = pdf.font_size_pt * 0.001 / pdf.k

    def width(text: str) -> float:
        return sum([widths[ord(c)] for c in text]) * scale

    return width


def _hard_cut(measure: Ruler, word: str, width: float) -> int:
    """How much of a word wider than the column fits on one line; after an underscore where one
    fits, so a system kind ("endorsement_requested") breaks between its words."""
    cut = len(word)
    while cut > 1 and measure(word[:cut]) > width:
        cut = max(1, int(cut * width / measure(word[:cut])) - 1)
    joint = word.rfind("_", 0, cut) + 1
    return joint if joint > 0 else cut


def _wrap(measure: Ruler, text: str, width: float) -> list[str]:
    """Greedy word wrap by the font's real widths (fpdf's own dry run is 3x slower)."""
    lines: list[str] = []
    space = measure(" ")
    for paragraph in text.split("\n"):
        current, current_w = "", 0.0
        for word in paragraph.split(" "):
            word_w = measure(word)
            while word_w > width:  # a word longer than the column is cut hard
                cut = _hard_cut(measure, word, width)
                if current:
                    lines.append(current)
                    current, current_w = "", 0.0
                lines.append(word[:cut])
                word = word[cut:]
                word_w = measure(word)
            extra = word_w + (space if current else 0)
            if current and current_w + extra > width:
                lines.append(current)
                current, current_w = word, word_w
            else:
                current = f"{current} {word}" if current else word
                current_w += extra
        lines.append(current)
    return lines or [""]


def layout(title: str, head_hash: str, tz: ZoneInfo) -> LogPdf:
    """An empty log document with its fonts loaded and the body font set."""
    return LogPdf(title, head_hash, tz)


def cells(pdf: LogPdf, e: LogEntryRead, tz: ZoneInfo) -> list[list[str]]:
    """The lines of each column (COLUMNS) for one entry, each within its column's width."""
    text = e.text
    if e.corrects:
        text = f"[retter nr. {e.corrects}] {text}"
    if e.superseded:
        text = f"[rettet af nr. {', '.join(map(str, e.corrected_by))}] {text}"
    (_, _, w_kind, w_actor, w_text) = (w - _PAD for _, w in COLUMNS)
    kind = KIND_DA.get(e.kind, f"system: {e.kind}")
    return [
        [str(e.seq)],
        [local_time(e.occurred_at, tz)],
        _wrap(pdf.measure, kind, w_kind),
        _wrap(pdf.measure, printable(e.actor, pdf.glyphs), w_actor),
        _wrap(pdf.measure, printable(text, pdf.glyphs), w_text),
    ]


def _draw(pdf: LogPdf, x: float, y: float, width: float, line: str) -> None:
    """One line of a cell. `text` where no script runs right to left: it places the glyphs
    as they are, without `cell`'s bidi pass (half the time of a big log); `cell` otherwise."""
    if _RTL.search(line):
        pdf.set_xy(x, y)
        pdf.cell(width, _LINE_H, line)
    else:  # where `cell` puts the baseline: half the line down, less 0.3 of the font size
        pdf.text(x + pdf.c_margin, y + 0.5 * _LINE_H + 0.3 * pdf.font_size, line)


def to_pdf(
    entries: Sequence[LogEntryRead],
    *,
    ref: str,
    authority: str,
    title: str,
    tz: ZoneInfo,
    head_hash: str,
) -> bytes:
    first = min((e.occurred_at for e in entries), default=None)
    last = max((e.occurred_at for e in entries), default=None)
    period = (
        f"{local_time(first, tz)} – {local_time(last, tz)}" if first and last else "ingen poster"
    )
    pdf = layout(f"Logbog {ref} – {authority} – {title} – periode {period}", head_hash, tz)
    pdf.alias_nb_pages()
    pdf.add_page()
    draw_entries(pdf, entries, tz)
    return bytes(pdf.output())


def draw_entries(pdf: LogPdf, entries: Sequence[LogEntryRead], tz: ZoneInfo) -> None:
    """The entries as the log's table, from the current position, a new page when one is full
    (the log's own PDF, and the appendix of the debrief's)."""
    for e in entries:
        columns = cells(pdf, e, tz)
        height = _LINE_H * max(len(lines) for lines in columns)
        if pdf.get_y() + height > pdf.h - pdf.b_margin:
            pdf.add_page()
        y = pdf.get_y()
        x = pdf.l_margin
        for (_, width), lines in zip(COLUMNS, columns, strict=True):
            for n, line in enumerate(lines):
                if line:
                    _draw(pdf, x, y + n * _LINE_H, width, line)
            x += width
        pdf.set_y(y + height + 1)
