"""The debrief's server time (issue 16), beside the status board's JSON in the same run.

Targets, over an activation with 10,000 log entries and 2,000 pages (each with its SMS):
`GET /activations/{id}/debrief` (JSON) p99 <= 300 ms; `?format=pdf` (the log as its appendix)
<= 3 s. The baseline is `GET /activations/{id}` (the board) on the same server and activation,
alternating with ours.

    python -m bench.debrief [--db sqlite] [--entries 10000] [--pages 2000]
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from bench.common import databases, free_port, percentile, server, staffed_directory, timed_get
from bench.log_keeper import _activation, _seed_big_log

TARGET_JSON_MS = 300.0
TARGET_PDF_S = 3.0
REQUESTS = 40
PDFS = 5


async def _seed_pages(db_url: str, activation_id: str, n: int) -> None:
    """n answered pages (steering, roles, municipalities) and their delivered SMS, straight
    into the tables."""
    from sqlalchemy import insert

    from beredskab.activations.models import Page
    from beredskab.db import make_engine
    from beredskab.outbox import OutboxMessage

    purposes = [("volunteer", None), ("role", "process_lead"), ("endorse", None)]
    t0 = datetime.now(UTC) - timedelta(days=1)
    pages, sms = [], []
    for i in range(n):
        purpose, role = purposes[i % 3]
        sent = t0 + timedelta(seconds=30 * i)
        pages.append(
            {
                "activation_id": activation_id,
                "purpose": purpose,
                "role": role,
                "person_id": "p003",
                "phone": "+4550100075",
                "code": f"B{i:06d}",
                "state": ("acked", "declined", "expired")[i % 3],
                "org_id": "odder" if purpose == "volunteer" else None,
                "created_at": sent,
                "answered_at": sent + timedelta(seconds=60 + i % 600) if i % 3 < 2 else None,
                "rank": 0,
                "pass_no": 1,
            }
        )
        sms.append(
            {
                "channel": "sms",
                "recipient": "+4550100075",
                "body": f"DDH Beredskab: vagt {i} mangler agenter. Svar JA B{i:06d} [antal].",
                "activation_id": activation_id,
                "status": "sent",
                "provider_status": "delivered" if i % 50 else "undelivered",
                "created_at": sent,
                "next_attempt_at": sent,
                "attempts": 1,
                "auto_reply": False,
            }
        )
    engine = make_engine(db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(Page), pages)
            await conn.execute(insert(OutboxMessage), sms)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.debrief", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], help="only this database")
    parser.add_argument("--entries", type=int, default=10_000, help="entries in the log")
    parser.add_argument("--pages", type=int, default=2_000, help="pages (and their SMS)")
    args = parser.parse_args(argv)
    print(f"debrief: {args.entries:,} log entries, {args.pages:,} pages")
    for name, url in databases():
        if args.db and name != args.db:
            continue
        staff, steering, env = staffed_directory(url)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with server(["-m", "beredskab", "serve", "--port", str(port), "--no-worker"], env, port):
            activation = _activation(url, port, steering, staff)
            asyncio.run(_seed_big_log(url, activation, args.entries))
            asyncio.run(_seed_pages(url, activation, args.pages))
            auth = {"Authorization": f"Bearer {steering}"}
            with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
                ours_url, board_url = (
                    f"/activations/{activation}/debrief",
                    f"/activations/{activation}",
                )
                for _ in range(5):  # warm-up: pools, statement caches
                    timed_get(client, ours_url)
                    timed_get(client, board_url)
                ours, baseline = [], []
                for i in range(REQUESTS):
                    pair = [(ours, ours_url), (baseline, board_url)]
                    for into, url_ in pair if i % 2 else reversed(pair):
                        into.append(timed_get(client, url_))
                timed_get(client, ours_url + "?format=pdf")  # fpdf2 loads on the first
                pdfs = [timed_get(client, ours_url + "?format=pdf") / 1000 for _ in range(PDFS)]
        p99 = percentile(ours, 99)
        verdict = "meets" if p99 <= TARGET_JSON_MS else "MISSES"
        print(
            f"  {name:<10} JSON: p50 {percentile(ours, 50):6.1f} ms  p99 {p99:6.1f} ms  "
            f"(board: p50 {percentile(baseline, 50):5.1f} ms  p99 "
            f"{percentile(baseline, 99):5.1f} ms)  {verdict} <= {TARGET_JSON_MS:.0f} ms"
        )
        worst = max(pdfs)
        verdict = "meets" if worst <= TARGET_PDF_S else "MISSES"
        print(
            f"  {name:<10} PDF: median {sorted(pdfs)[len(pdfs) // 2]:.2f} s  worst {worst:.2f} s"
            f"  {verdict} <= {TARGET_PDF_S:.0f} s"
        )


if __name__ == "__main__":
    main()
