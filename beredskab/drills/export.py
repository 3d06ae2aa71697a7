"""`GET /drills/{id}.csv`: one row per person, for Danish Excel (UTF-8 with BOM, `;`, decimal
commas, Copenhagen time), then the share per group reached within 5, 15 and 30 minutes. Names
are the only free text (spreadsheet.py quotes what would run as a formula)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from beredskab.drill_schedule import GROUP_NAMES
from beredskab.drills.rules import CALL_NAMES, OUTCOME_NAMES
from beredskab.drills.schemas import DrillResult
from beredskab.spreadsheet import text_cell

CSV = "text/csv; charset=utf-8"
HEADER = [
    "Navn",
    "Telefon",
    "Grupper",
    "Resultat",
    "Svaret",
    "Minutter",
    "Svaret med",
    "Opringning",
]
CHANNELS = {"sms": "SMS", "key": "tast i opringning"}


def _da(value: float | None) -> str:
    return "" if value is None else f"{value:g}".replace(".", ",")


def _when(at: datetime | None, tz: ZoneInfo) -> str:
    return "" if at is None else at.astimezone(tz).strftime("%d-%m-%Y %H:%M:%S")


def to_csv(found: DrillResult, tz: ZoneInfo) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    d = found.drill
    writer.writerow(["Kaldeøvelse", str(d.id), d.group_name, _when(d.started_at, tz)])
    writer.writerow(HEADER)
    for p in found.people:
        writer.writerow(
            [
                text_cell(p.name),
                p.phone,
                ", ".join(GROUP_NAMES[g] for g in p.groups),
                OUTCOME_NAMES[p.outcome],
                _when(p.answered_at, tz),
                _da(p.minutes),
                CHANNELS.get(p.channel or "", ""),
                CALL_NAMES.get(p.call or "", ""),
            ]
        )
    writer.writerow([])
    writer.writerow(["Gruppe", "Personer", "Nået inden for (min.)", "Antal", "Andel (%)"])
    for g in found.groups:
        for r in g.reached:
            percent = None if r.share is None else round(r.share * 100, 1)
            writer.writerow(
                [g.name, str(g.people), str(r.within_minutes), str(r.part), _da(percent)]
            )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def filename(found: DrillResult) -> str:
    return f"ddh-kaldeoevelse-{found.drill.id}-{found.drill.started_at:%Y-%m-%d}.csv"
