"""The debrief as a PDF to download: the log is read for the appendix, then the document is made
in a thread (fpdf2 loads on the first one, as for the log's PDF)."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.debrief.schemas import Debrief
from beredskab.eventlog.files import LogFile
from beredskab.eventlog.timeline import all_entries


async def debrief_pdf(session: AsyncSession, debrief: Debrief, tz: ZoneInfo) -> LogFile:
    entries = await all_entries(session, debrief.activation_id)
    await session.close()  # all is read: free the connection while the file is made
    from beredskab.debrief import pdf

    body = await asyncio.to_thread(pdf.to_pdf, debrief, entries, tz)
    return LogFile(body, "application/pdf", f"evaluering-{debrief.ref}.pdf")
