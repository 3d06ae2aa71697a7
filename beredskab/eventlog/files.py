"""The whole log as a file to download (CSV, JSON or PDF), the same for the API and the console."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from beredskab.eventlog import export
from beredskab.eventlog.timeline import LogForExport


@dataclass(frozen=True)
class LogFile:
    body: bytes
    media_type: str
    filename: str


async def log_file(log: LogForExport, fmt: Literal["csv", "json", "pdf"], tz: ZoneInfo) -> LogFile:
    """The whole log as a file to download, the same for the API and the console (the caller
    has read `log` and may have freed its connection: a PDF of a long log takes a while)."""
    activation, entries = log.activation, log.entries
    name = f"logbog-{activation.ref}"
    if fmt == "csv":
        return LogFile(export.to_csv(entries, tz), "text/csv; charset=utf-8", f"{name}.csv")
    if fmt == "json":
        return LogFile(export.to_json(entries), "application/json", f"{name}.json")
    from beredskab.eventlog import pdf  # fpdf2 loads on the first export

    body = await asyncio.to_thread(
        pdf.to_pdf,
        entries,
        ref=activation.ref,
        authority=log.authority,
        title=activation.title,
        tz=tz,
        head_hash=activation.log_head_hash,
    )
    return LogFile(body, "application/pdf", f"{name}.pdf")
