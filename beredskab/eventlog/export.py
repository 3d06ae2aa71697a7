"""Exports of a log for filing: CSV for Danish Excel, JSON, and a PDF with the chain head on each
page (pdf.py)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from beredskab.eventlog.schemas import LogEntryRead
from beredskab.spreadsheet import text_cell

TIME_COLUMNS = ("occurred_at", "recorded_at")
CSV_COLUMNS = [
    "seq",
    *TIME_COLUMNS,
    "actor",
    "kind",
    "text",
    "source",
    "tags",
    "corrects",
    "corrected_by",
    "hash",
]


def local_time(dt: datetime, tz: ZoneInfo) -> str:
    return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def csv_header(tz: ZoneInfo) -> list[str]:
    """The columns, each time column naming its zone ("occurred_at (Europe/Copenhagen)"): the
    CSV's times are local, as a reader in Excel wants them, while the API's JSON keeps UTC."""
    return [f"{c} ({tz.key})" if c in TIME_COLUMNS else c for c in CSV_COLUMNS]


def to_csv(entries: Sequence[LogEntryRead], tz: ZoneInfo) -> bytes:
    """UTF-8 with BOM and `;` as separator, which is what Danish Excel opens correctly.

    Every text cell goes through `text_cell`, so no text runs as a formula; seq and corrects
    are numbers."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(csv_header(tz))
    for e in entries:
        data = e.data or {}
        source = data.get("source") or {}
        writer.writerow(
            [
                e.seq,
                local_time(e.occurred_at, tz),
                local_time(e.recorded_at, tz),
                text_cell(e.actor),
                text_cell(e.kind),
                text_cell(e.text),
                text_cell(" / ".join(v for v in (source.get("who"), source.get("channel")) if v)),
                text_cell(", ".join(data.get("tags") or [])),
                e.corrects or "",
                ", ".join(str(s) for s in e.corrected_by),
                e.hash,
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_json(entries: Sequence[LogEntryRead]) -> bytes:
    return json.dumps([e.model_dump(mode="json") for e in entries], ensure_ascii=False).encode()
