"""The debrief as a report for the steering group: Danish, a one-page summary first, then the
detail, then the whole log as an appendix (the log PDF's table, font and chain head). Loaded on
the first download, as the log's PDF is."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from beredskab.debrief.schemas import Debrief
from beredskab.eventlog.export import local_time
from beredskab.eventlog.pdf import FONT, LogPdf, draw_entries, printable
from beredskab.eventlog.schemas import LogEntryRead

ROLE_DA = {
    "crisis_leader": "Krisestabsleder",
    "log_keeper": "Logfører",
    "process_lead": "Procesansvarlig",
    "staffing_lead": "Bemandingsansvarlig",
}
GROUP_DA = {"steering": "Styregruppen", "municipalities": "Kommunerne", **ROLE_DA}
STATE_DA = {
    "declined": "sagde nej",
    "expired": "svarede ikke",
    "failed": "kunne ikke nås",
    "cancelled": "annulleret",
    "open": "ubesvaret",
}
STATUS_DA = {
    "requested": "anmodet",
    "active": "aktiv",
    "stood_down": "afsluttet",
    "rejected": "afvist",
    "cancelled": "annulleret",
}


def _min(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",") + " min"


class _DebriefPdf(LogPdf):
    """The log's document with a plain header outside the appendix (the log's column heads
    belong to the appendix's pages only)."""

    appendix = False

    def header(self) -> None:
        if self.appendix:
            super().header()
            return
        self.set_font(FONT, "B", 11)
        self.multi_cell(0, 6, self.doc_title, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 7)
        self.cell(0, 4, f"Tidspunkter i lokal tid, {self.tz.key}.", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def when(self, moment: datetime | None) -> str:
        return local_time(moment, self.tz)[:16] if moment else "–"

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font(FONT, "B", 10)
        self.multi_cell(0, 6, printable(text, self.bold_glyphs), new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 9)

    def fact(self, label: str, value: str) -> None:
        self.set_font(FONT, "B", 9)
        self.cell(62, 5, label)
        self.set_font(FONT, "", 9)
        self.multi_cell(0, 5, printable(value, self.glyphs), new_x="LMARGIN", new_y="NEXT")

    def row(self, widths: Sequence[float], values: Sequence[str], *, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", 8)
        for width, value in zip(widths, values, strict=True):
            self.cell(width, 5, printable(value, self.glyphs), border="B" if bold else 0)
        self.ln(5)


def to_pdf(d: Debrief, entries: Sequence[LogEntryRead], tz: ZoneInfo) -> bytes:
    head = entries[-1].hash if entries else "0" * 64
    kind = "Øvelse" if d.exercise else "Aktivering"
    pdf = _DebriefPdf(f"Evaluering {d.ref} – {d.authority} – {d.title}", head, tz)
    pdf.alias_nb_pages()
    pdf.add_page(orientation="P")
    _summary(pdf, d, kind)
    pdf.add_page(orientation="P")
    _detail(pdf, d)
    pdf.appendix = True
    pdf.add_page(orientation="L")
    draw_entries(pdf, entries, tz)
    return bytes(pdf.output())


def _summary(pdf: _DebriefPdf, d: Debrief, kind: str) -> None:
    m, r, c = d.milestones, d.reach, d.costs
    pdf.heading(f"Resumé – {kind.lower()}, {STATUS_DA.get(d.status, d.status)}")
    pdf.fact("Anmodet", f"{pdf.when(m.requested_at)} af {m.requested_by}")
    pdf.fact(
        "Godkendt af styregruppen",
        f"{pdf.when(m.endorsed_at)} af {m.endorsed_by or '–'}, "
        f"{_min(m.endorsed_minutes_after_request)} efter anmodningen",
    )
    for role in m.roles:
        label = ROLE_DA.get(role.role, role.role)
        if role.filled_at is None:
            pdf.fact(label, "ikke besat")
            continue
        tried = f"; {len(role.tried_before)} forsøgt før" if role.tried_before else ""
        pdf.fact(
            label,
            f"{role.name}, {_min(role.minutes_after_endorsement)} efter godkendelsen{tried}",
        )
    pdf.fact(
        "Krisestaben fuldt bemandet",
        f"{pdf.when(m.all_filled_at)}, {_min(m.all_filled_minutes_after_endorsement)} "
        "efter godkendelsen",
    )
    if m.first_shift:
        f = m.first_shift
        pdf.fact(
            "Første vagt",
            f"anmodet {pdf.when(f.requested_at)}, godkendt {pdf.when(f.approved_at)}, "
            f"fuldt bemandet {pdf.when(f.full_at)}, bekræftet {pdf.when(f.confirmed_at)}",
        )
    pdf.fact("Afsluttet", pdf.when(m.stood_down_at))
    pdf.fact("Logbogen arkiveret", pdf.when(m.archived_at))
    pdf.heading("Rækkevidde")
    pdf.fact("Forespørgsler (sider)", f"{r.pages} sendt, {r.pages_answered} besvaret")
    pdf.fact(
        "SMS",
        f"{r.sms_sent} sendt, {r.sms_delivered} leveret, {r.sms_failed} fejlet; "
        f"{r.sms_segments} SMS-dele",
    )
    pdf.fact("Opkald", r.calls_note)
    pdf.heading("Omkostninger")
    status = {"draft": "udkast", "final": "endelig", "unavailable": "ikke opgjort"}[c.status]
    pdf.fact("Opgørelse", f"{status}: {c.total_dkk} kr i alt" + (f". {c.note}" if c.note else ""))
    for total in c.by_debtor:
        pdf.fact(f"Betaler: {total.name}", f"{total.amount_dkk} kr")
    pdf.heading("Evaluering")
    e = d.evaluation
    pdf.fact("Status", "udfyldt" if e else "ikke udfyldt endnu")


def _detail(pdf: _DebriefPdf, d: Debrief) -> None:
    pdf.heading("Svartider pr. gruppe")
    widths = (50, 25, 25, 35, 35)
    pdf.row(widths, ("Gruppe", "Sider", "Besvaret", "Median", "Længste"), bold=True)
    for t in d.reach.answer_times:
        pdf.row(
            widths,
            (GROUP_DA.get(t.group, t.group), str(t.pages), str(t.answered),
             _min(t.median_minutes), _min(t.worst_minutes)),
        )  # fmt: skip
    pdf.heading("Roller: forsøgt før den, der tog rollen")
    for role in d.milestones.roles:
        tried = ", ".join(
            f"{t.name} (rang {t.rank}, runde {t.pass_no}: {STATE_DA.get(t.state, t.state)})"
            for t in role.tried_before
        )
        taken = (
            f"{role.name} (rang {role.rank}, runde {role.pass_no})"
            if role.via == "page"
            else f"{role.name or '–'} (overdraget)"
        )
        pdf.fact(ROLE_DA[role.role], f"{taken}; forsøgt før: {tried or 'ingen'}")
    pdf.heading("Vagter")
    widths = (30, 14, 16, 14, 18, 18, 18, 22, 40)
    pdf.row(
        widths,
        ("Start", "Pladser", "Tilbudt", "Taget", "Bekræftet", "Afmeldt", "Genbesat",
         "Til fuld", "Kommuner"),
        bold=True,
    )  # fmt: skip
    for s in d.shifts:
        pdf.row(
            widths,
            (pdf.when(s.start), str(s.places_asked), str(s.places_offered), str(s.places_taken),
             str(s.places_confirmed), str(s.places_withdrawn), str(s.places_refilled),
             _min(s.minutes_approval_to_full), ", ".join(s.municipalities_helped)),
        )  # fmt: skip
    pdf.heading("Omkostninger pr. betaler og modtager")
    for label, totals in (("Betaler", d.costs.by_debtor), ("Modtager", d.costs.by_creditor)):
        for total in totals:
            pdf.fact(f"{label}: {total.name}", f"{total.amount_dkk} kr")
    e = d.evaluation
    if e is None:
        return
    pdf.heading("Evaluering (krisestabslederen)")
    waits = (
        f"gennemsnit {e.average_wait_seconds or '–'} s, længste {e.longest_wait_seconds or '–'} s"
    )
    pdf.fact("Ventetid i kontaktcentret", waits)
    pdf.fact("Besvarede opkald / chats", f"{e.calls_answered or 0} / {e.chats_answered or 0}")
    guides = ", ".join(f"{g.name} (version {g.version or '–'})" for g in e.guides)
    pdf.fact("Vejledninger", guides or "–")
    pdf.fact("Betydning for borgerne", e.citizen_impact or "–")
    pdf.fact("Hvad gik godt", e.went_well or "–")
    pdf.fact("Hvad skal ændres", e.to_change or "–")
    pdf.fact("Fritekst", e.notes or "–")
    pdf.fact("Skrevet af", f"{e.updated_by}, {pdf.when(e.updated_at)}")
