"""The debrief's PDF: its first page, rendered to PNG, is the one-page summary with the key
figures of the scripted activation; then the detail; the whole log is the appendix."""

from __future__ import annotations

import io

import pypdf
import pypdfium2

from beredskab.debrief import pdf
from beredskab.debrief.models import ActivationEvaluation
from beredskab.debrief.report import debrief
from beredskab.eventlog.timeline import all_entries
from notifications.segments import segment_count
from tests.services.debrief_world import STOOD_DOWN, scripted_activation


async def test_the_summary_page_renders_with_the_key_figures(db, session, tmp_path):
    s = await scripted_activation(db, session)
    session.add(
        ActivationEvaluation(
            activation_id=s.activation.id, calls_answered=1240, went_well="Hurtig bemanding",
            created_at=STOOD_DOWN, created_by="Navn leader0",
            updated_at=STOOD_DOWN, updated_by="Navn leader0",
        )
    )  # fmt: skip
    await session.commit()
    d = await debrief(
        session, s.world.cfg, s.activation, segment_count=segment_count, now=STOOD_DOWN
    )
    entries = await all_entries(session, s.activation.id)
    body = pdf.to_pdf(d, entries, s.world.cfg.timezone)

    document = pypdfium2.PdfDocument(body)
    first = document[0]
    image = first.render(scale=2).to_pil()
    image.save(tmp_path / "summary.png")
    blank = ((255, 255),) * 3
    assert image.size[1] > image.size[0] and image.getextrema() != blank  # portrait, drawn
    summary = first.get_textpage().get_text_range()
    for figure in [
        f"Evaluering {s.activation.ref} – Odder Kommune – Vandforsyning svigter",
        "Godkendt af styregruppen",
        "4,0 min efter anmodningen",
        "Logfører",
        "Navn log1, 5,0 min efter godkendelsen; 1 forsøgt før",
        "Krisestaben fuldt bemandet",
        "11 sendt, 9 besvaret",
        "4 sendt, 3 leveret, 2 fejlet; 5 SMS-dele",
        "Opkald findes ikke endnu (kun SMS): 0.",
        f"udkast: {d.costs.total_dkk} kr i alt",
        "udfyldt",
    ]:
        assert figure in summary, (figure, summary)

    pages = pypdf.PdfReader(io.BytesIO(body)).pages
    detail = pages[1].extract_text()
    assert "Svartider pr. gruppe" in detail and "Hurtig bemanding" in detail
    assert "Navn log0 (rang 0, runde 1: sagde nej)" in " ".join(detail.split()), detail
    appendix = "".join(p.extract_text() for p in pages[2:])
    last = max(entries, key=lambda e: e.seq)
    assert (
        last.text[:30] in appendix.replace("\n", " ")
        and pages[2].mediabox.width > pages[0].mediabox.width
    )
