"""The log as a PDF for filing, with the chain head on each page. Loaded on the first export,
not at start-up (the log route imports it then): fpdf2 and what it imports are ≈ 20 MB."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from fpdf import FPDF

from beredskab.eventlog.export import local_time
from beredskab.eventlog.schemas import LogEntryRead


def _latin1(text: str) -> str:
    # the PDF core fonts are Latin-1 (æ, ø, å are in it); anything else is replaced visibly
    replacements = {"—": "-", "–": "-", "…": "...", "“": '"', "”": '"', "‘": "'", "’": "'"}
    text = "".join(replacements.get(c, c) for c in text)
    return text.encode("latin-1", errors="replace").decode("latin-1")


class _LogPdf(FPDF):
    def __init__(self, title: str, head_hash: str) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.doc_title = title
        self.head_hash = head_hash
        self.set_auto_page_break(auto=True, margin=15)

    def header(self) -> None:
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 6, _latin1(self.doc_title), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "B", 8)
        for label, width in COLUMNS:
            self.cell(width, 5, label, border="B")
        self.ln(6)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 7)
        self.cell(
            0,
            5,
            f"Kædens seneste hash: {self.head_hash}   Side {self.page_no()}/{{nb}}".encode(
                "latin-1", "replace"
            ).decode("latin-1"),
            align="C",
        )


# the log keeper's own kinds in Danish for the filed document; automatic steps read "system: …"
KIND_DA = {
    "information": "information",
    "decision": "beslutning",
    "action": "handling",
    "omission": "undladelse",
    "note": "notat",
}

COLUMNS = [("Nr.", 12), ("Tidspunkt", 32), ("Type", 30), ("Af", 45), ("Tekst", 158)]


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """Greedy word wrap by the font's real widths (fpdf's own dry run is 3x slower)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current, current_w = "", 0.0
        space = pdf.get_string_width(" ")
        for word in paragraph.split(" "):
            word_w = pdf.get_string_width(word)
            while word_w > width:  # a word longer than the column is cut hard
                cut = len(word)
                while cut > 1 and pdf.get_string_width(word[:cut]) > width:
                    cut = max(1, int(cut * width / pdf.get_string_width(word[:cut])) - 1)
                if current:
                    lines.append(current)
                    current, current_w = "", 0.0
                lines.append(word[:cut])
                word = word[cut:]
                word_w = pdf.get_string_width(word)
            extra = word_w + (space if current else 0)
            if current and current_w + extra > width:
                lines.append(current)
                current, current_w = word, word_w
            else:
                current = f"{current} {word}" if current else word
                current_w += extra
        lines.append(current)
    return lines or [""]


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
        f"{local_time(first, tz)} - {local_time(last, tz)}" if first and last else "ingen poster"
    )
    pdf = _LogPdf(f"Logbog {ref} - {authority} - {title} - periode {period}", head_hash)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font("Helvetica", "", 8)
    (w_seq, w_time, w_kind, w_actor, w_text) = (w for _, w in COLUMNS)
    line_h = 4
    for e in entries:
        text = e.text
        if e.corrects:
            text = f"[retter nr. {e.corrects}] {text}"
        if e.superseded:
            text = f"[rettet af nr. {', '.join(map(str, e.corrected_by))}] {text}"
        text, actor = _latin1(text), _latin1(e.actor)
        # only the two free-text columns can wrap; measure them, draw the rest as single cells
        text_lines = _wrap(pdf, text, w_text - 2)
        actor_lines = _wrap(pdf, actor, w_actor - 2)
        height = line_h * max(len(text_lines), len(actor_lines), 1)
        if pdf.get_y() + height > pdf.h - pdf.b_margin:
            pdf.add_page()
        y = pdf.get_y()
        x = pdf.l_margin
        for width, value in (
            (w_seq, str(e.seq)),
            (w_time, local_time(e.occurred_at, tz)),
            (w_kind, KIND_DA.get(e.kind, f"system: {e.kind}")),
        ):
            pdf.set_xy(x, y)
            pdf.cell(width, line_h, value)
            x += width
        for width, lines in ((w_actor, actor_lines), (w_text, text_lines)):
            for n, line in enumerate(lines):
                pdf.set_xy(x, y + n * line_h)
                pdf.cell(width, line_h, line)
            x += width
        pdf.set_y(y + height + 1)
    return bytes(pdf.output())
