"""`GET /stats?format=csv`: the figures one per row, for Danish Excel (UTF-8 with BOM, `;`,
decimal commas), with the terms of the domain. Text that would run as a formula is quoted
(spreadsheet.py); names of debtors are the only free text."""

from __future__ import annotations

import csv
import io

from beredskab.spreadsheet import text_cell
from beredskab.stats.schemas import KindFigures, Minutes, Share, Stats

CSV = "text/csv; charset=utf-8"
HEADER = [
    "Fra",
    "Til",
    "Type",
    "Nøgletal",
    "Rolle / debitor",
    "Antal",
    "Median (min.)",
    "90 %-fraktil (min.)",
    "Andel (%)",
    "Beløb (kr.)",
    "Mål",
    "Mål nået",
]
KIND = {"real": "Aktivering", "exercise": "Øvelse"}


def _da(value: float | None) -> str:
    return "" if value is None else f"{value:g}".replace(".", ",")


def _met(met: bool | None) -> str:
    return {True: "ja", False: "nej", None: ""}[met]


def _minutes(label: str, who: str, m: Minutes) -> list[str]:
    target = "" if m.target_minutes is None else f"{m.target_minutes} min."
    numbers = [str(m.count), _da(m.median_minutes), _da(m.p90_minutes), "", ""]
    return [label, who, *numbers, target, _met(m.met)]


def _share(label: str, who: str, s: Share) -> list[str]:
    percent = None if s.share is None else round(s.share * 100, 1)
    target = "" if s.target_percent is None else f"{s.target_percent} %"
    return [label, who, f"{s.part} af {s.whole}", "", "", _da(percent), "", target, _met(s.met)]


def _count(label: str, n: int, who: str = "") -> list[str]:
    return [label, who, str(n), "", "", "", "", "", ""]


def _rows(k: KindFigures) -> list[list[str]]:
    rows = [
        _count("Aktiveringer", k.activations),
        _count("Godkendt af styregruppen", k.endorsed),
        _count("Afvist", k.rejected),
        _count("Annulleret", k.cancelled),
        _count("Stadig åbne", k.open),
        _minutes("Tid fra anmodning til godkendelse", "", k.endorsed_after_request),
        _minutes("Tid fra godkendelse til alle fire roller besat", "", k.all_roles_filled),
        _share("Roller besat af den primære ved første kald", "", k.by_primary),
        _count("Roller besat af en stedfortræder", k.deputies_used),
        _count("Roller overdraget uden kald", k.handovers),
    ]
    for r in k.roles:
        rows.append(_minutes("Tid fra godkendelse til rollen besat", r.name, r.minutes_to_fill))
        rows.append(_share("Besat af den primære ved første kald", r.name, r.by_primary))
        rows.append(_count("Besat af en stedfortræder", r.deputies_used, r.name))
    s = k.shifts
    rows += [
        _count("Vagter ønsket", s.requested),
        _count("Vagter afvist", s.rejected),
        _count("Vagter aflyst før start", s.cancelled_before_start),
        _share("Vagter fuldt bemandet før start", "", s.filled_in_time),
    ]
    c = k.costs
    if c.status == "unavailable":
        rows.append(["Omkostninger kan ikke opgøres", c.note, "", "", "", "", "", "", ""])
        return rows
    status = f"{c.final} endelige, {c.draft} kladder"
    rows.append(["Omkostning pr. aktivering i alt", status, str(c.activations)])
    rows[-1] += ["", "", "", c.per_activation_dkk, "", ""]
    for d in c.by_debtor:
        rows.append(["Omkostning pr. aktivering", d.name, str(c.activations)])
        rows[-1] += ["", "", "", d.per_activation_dkk, "", ""]
    return rows


def to_csv(stats: Stats) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(HEADER)
    for period in stats.periods:
        for kind in ("real", "exercise"):
            for row in _rows(getattr(period, kind)):
                label, who, *numbers = row
                writer.writerow(
                    [str(period.from_), str(period.to), KIND[kind], label, text_cell(who)] + numbers
                )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def filename(stats: Stats) -> str:
    return f"ddh-noegletal-{stats.from_}-{stats.to}.csv"
