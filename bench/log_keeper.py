"""Log keeper benchmarks (issue 4), each beside a baseline from the same run.

Targets: append through the API with 8 concurrent writers >= 50 % of a minimal insert route's
throughput (SQLite and PostgreSQL); a timeline page of 100 from a log of 100,000 entries
p99 <= 20 ms; a PDF of 10,000 entries <= 10 s.

The append figure is the median of several rounds. Both servers run side by side on the same
database, each round measures the baseline and ours back to back (alternating which goes first),
with the same client, the same 8 writers and a warm-up first; a round's ratio compares the two
runs of that round, so a noisy moment on a shared machine moves both. Afterwards the baseline's
table must hold exactly one row per request and our log must verify with one entry per append.

    python -m bench.log_keeper [--only append,timeline,pdf] [--rounds 7] [--db sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx

from bench.common import databases, free_port, percentile, server, staffed_directory

WRITERS, PER_WRITER = 8, int(os.environ.get("BENCH_LOG_PER_WRITER", "100"))
WARM_UP_PER_WRITER = 20
TARGET_RATIO = 0.5
BIG_LOG = int(os.environ.get("BENCH_LOG_ENTRIES", "100000"))


async def _throughput(url: str, headers: dict, body: dict, per_writer: int = PER_WRITER) -> float:
    """Requests per second of WRITERS concurrent writers, each posting per_writer times."""
    async with httpx.AsyncClient(headers=headers, timeout=60) as client:

        async def writer() -> None:
            for _ in range(per_writer):
                (await client.post(url, json=body)).raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(WRITERS)))
        return WRITERS * per_writer / (time.perf_counter() - start)


BASELINE_BODY = {"text": "x" * 60}
ENTRY_BODY = {"kind": "note", "text": "Borgerne ringer om vandet" + "x" * 35}


def _append_rounds(base_port: int, port: int, activation: str, staff: str, rounds: int) -> list:
    """[(ours, baseline)] per round, after a warm-up of both (pools, statement caches)."""
    base_url = f"http://127.0.0.1:{base_port}/insert"
    our_url = f"http://127.0.0.1:{port}/activations/{activation}/log"
    auth = {"Authorization": f"Bearer {staff}"}

    def base(n: int = PER_WRITER) -> float:
        return asyncio.run(_throughput(base_url, {}, BASELINE_BODY, n))

    def ours(n: int = PER_WRITER) -> float:
        return asyncio.run(_throughput(our_url, auth, ENTRY_BODY, n))

    base(WARM_UP_PER_WRITER)
    ours(WARM_UP_PER_WRITER)
    out = []
    for r in range(rounds):
        if r % 2:  # alternate the order: neither always runs on a warmer (or busier) machine
            o, b = ours(), base()
        else:
            b, o = base(), ours()
        out.append((o, b))
    return out


async def _counts(db_url: str, activation_id: str) -> tuple[int, int]:
    """Rows the baseline inserted; entries of ours in the activation's log."""
    from sqlalchemy import text

    from beredskab.db import make_engine

    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT count(*) FROM bench_row"))).scalar_one()
            entries = (
                await conn.execute(
                    text("SELECT count(*) FROM log_entry WHERE activation_id = :a AND text = :t"),
                    {"a": activation_id, "t": ENTRY_BODY["text"]},
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    return rows, entries


def _check_append_counts(db_url: str, port: int, activation: str, token: str, n: int) -> None:
    """Each side did what it claims: one baseline row per request (each its own transaction,
    see bench/insert_app.py), one entry per append, and the log's chain still verifies."""
    rows, entries = asyncio.run(_counts(db_url, activation))
    r = httpx.get(
        f"http://127.0.0.1:{port}/activations/{activation}/log/verify",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    r.raise_for_status()
    if rows != n or entries != n or not r.json()["ok"]:
        raise SystemExit(
            f"append benchmark is off: {n} requests each, but {rows} baseline rows, "
            f"{entries} log entries, verify {r.json()}"
        )


def _activation(db_url: str, port: int, token: str, log_keeper: str) -> str:
    """A steering member's activation (endorsed at once) whose log keeper role `log_keeper`
    has taken: only the holders of its roles and its delegates may write in its log."""
    r = httpx.post(
        f"http://127.0.0.1:{port}/activations",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "title": "Bench",
            "contact_name": "A",
            "contact_phone": "20123456",
            "authority_id": "odder",
        },
    )
    r.raise_for_status()
    activation_id = r.json()["id"]
    httpx.post(
        f"http://127.0.0.1:{port}/activations/{activation_id}/roles/log_keeper/ack",
        headers={"Authorization": f"Bearer {log_keeper}"},
    ).raise_for_status()
    return activation_id


async def _seed_big_log(db_url: str, activation_id: str, n: int) -> None:
    """Write n chained entries straight into the table (the API would take minutes)."""
    from sqlalchemy import insert, select, text, update

    from beredskab.activations.models import Activation
    from beredskab.db import make_engine
    from beredskab.eventlog.chain import entry_hash
    from beredskab.eventlog.models import LogEntry

    engine = make_engine(db_url)
    async with engine.begin() as conn:
        seq, head = (
            await conn.execute(
                select(Activation.log_seq, Activation.log_head_hash).where(
                    Activation.id == activation_id
                )
            )
        ).one()
        t0 = datetime.now(UTC) - timedelta(days=2)
        batch = []
        for i in range(n):
            seq += 1
            fields = {
                "activation_id": activation_id,
                "seq": seq,
                "occurred_at": t0 + timedelta(seconds=i),
                "recorded_at": t0 + timedelta(seconds=i),
                "actor": f"skriver {i % 8}",
                "kind": ("note", "decision", "action")[i % 3],
                "text": f"Post {i}: borgerhenvendelser om vandforsyningen",
                "data": None,
                "corrects": None,
            }
            digest = entry_hash(head, **fields)
            batch.append({**fields, "prev_hash": head, "hash": digest})
            head = digest
            if len(batch) == 5000:
                await conn.execute(insert(LogEntry), batch)
                batch = []
        if batch:
            await conn.execute(insert(LogEntry), batch)
        await conn.execute(
            update(Activation)
            .where(Activation.id == activation_id)
            .values(log_seq=seq, log_head_hash=head)
        )
    if engine.dialect.name == "postgresql":
        # as autovacuum does after a bulk load (SQLite never analyses by itself, nor do we)
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    await engine.dispose()


def _timeline_latency(port: int, activation_id: str, token: str) -> list[float]:
    base = f"http://127.0.0.1:{port}/activations/{activation_id}/log"
    out = []
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
        cursor = None
        for i in range(200):
            params: dict = {"limit": 100}
            if i % 4 == 1:
                params["kind"] = "decision"
            elif i % 4 == 2:
                params["order"] = "occurred_at"
            elif cursor:
                params["cursor"] = cursor
            t0 = time.perf_counter()
            r = client.get(base, params=params)
            out.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
            if "cursor" in params or i % 4 == 0:
                cursor = r.json()["next_cursor"]
    return out


def _report_append(name: str, results: list[tuple[float, float]]) -> None:
    ratios = sorted(o / b for o, b in results)
    median = statistics.median(ratios)
    ours = statistics.median(o for o, _ in results)
    base = statistics.median(b for _, b in results)
    verdict = "meets" if median >= TARGET_RATIO else "MISSES"
    print(
        f"  {name:<10} append {ours:5.0f}/s  baseline insert {base:5.0f}/s (medians)  "
        f"ratio median {median:5.1%} of {len(ratios)} rounds "
        f"(range {ratios[0]:.0%}-{ratios[-1]:.0%})  {verdict} >= {TARGET_RATIO:.0%}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.log_keeper",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--only",
        default="append,timeline,pdf",
        help="comma-separated parts to run: append, timeline, pdf (default: all)",
    )
    parser.add_argument("--rounds", type=int, default=7, help="append rounds (default 7)")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], help="only this database")
    args = parser.parse_args(argv)
    parts = set(args.only.split(","))
    print(
        f"log keeper: {WRITERS} writers x {PER_WRITER} appends, {args.rounds} rounds; "
        f"timeline over {BIG_LOG:,} entries"
    )
    for name, url in databases() if parts & {"append", "timeline"} else []:
        if args.db and name != args.db:
            continue
        staff, steering, env = staffed_directory(url)
        base_port, port = free_port(), free_port()
        baseline = ["-m", "uvicorn", "bench.insert_app:app", "--port", str(base_port)]
        with (
            server([*baseline, "--log-level", "warning"], env, base_port),
            server(["-m", "beredskab", "serve", "--port", str(port), "--no-worker"], env, port),
        ):
            activation = _activation(url, port, steering, staff)
            if "append" in parts:
                results = _append_rounds(base_port, port, activation, staff, args.rounds)
                requests = WRITERS * (WARM_UP_PER_WRITER + args.rounds * PER_WRITER)
                _check_append_counts(url, port, activation, steering, requests)
                _report_append(name, results)
            if "timeline" in parts:
                asyncio.run(_seed_big_log(url, activation, BIG_LOG))
                lat = _timeline_latency(port, activation, staff)
                p50, p99 = percentile(lat, 50), percentile(lat, 99)
                print(
                    f"  {name:<10} timeline page of 100: p50 {p50:5.1f} ms  p99 {p99:5.1f} ms  "
                    f"{'meets' if p99 <= 20 else 'MISSES'} p99 <= 20 ms"
                )
    if "pdf" in parts:
        _pdf()


def _pdf() -> None:
    from zoneinfo import ZoneInfo

    from beredskab.eventlog.pdf import to_pdf
    from beredskab.eventlog.schemas import LogEntryRead

    now = datetime.now(UTC)
    entries = [
        LogEntryRead(
            seq=i,
            occurred_at=now,
            recorded_at=now,
            actor="Jens Rasmussen",
            kind="decision",
            text=f"Beslutning {i}: " + "borgerne informeres om vandet. " * (1 + i % 4),
            data=None,
            corrects=None,
            corrected_by=[],
            superseded=False,
            hash="ab" * 32,
        )
        for i in range(1, 10_001)
    ]
    t0 = time.perf_counter()
    pdf = to_pdf(
        entries,
        ref="DDH-2026-0001",
        authority="Odder Kommune",
        title="Bench",
        tz=ZoneInfo("Europe/Copenhagen"),
        head_hash="ab" * 32,
    )
    took = time.perf_counter() - t0
    print(
        f"  PDF of 10,000 entries: {took:.1f} s, {len(pdf) / 1e6:.1f} MB  "
        f"{'meets' if took <= 10 else 'MISSES'} <= 10 s"
    )


if __name__ == "__main__":
    main()
