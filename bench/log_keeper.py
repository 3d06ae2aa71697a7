"""Log keeper benchmarks (issue 4), each beside a baseline from the same run.

Targets: append through the API with 8 concurrent writers >= 50 % of a minimal insert route's
throughput (SQLite and PostgreSQL); a timeline page of 100 from a log of 100,000 entries
p99 <= 20 ms; a PDF of 10,000 entries <= 10 s.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx

from bench.common import ROOT, databases, free_port, percentile, server

WRITERS, PER_WRITER = 8, int(os.environ.get("BENCH_LOG_PER_WRITER", "100"))
BIG_LOG = int(os.environ.get("BENCH_LOG_ENTRIES", "100000"))


def _cli(db_url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.run(
        [sys.executable, "-m", "beredskab", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


async def _throughput(url: str, headers: dict, body: dict) -> float:
    async with httpx.AsyncClient(headers=headers, timeout=60) as client:

        async def writer() -> None:
            for _ in range(PER_WRITER):
                (await client.post(url, json=body)).raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(WRITERS)))
        return WRITERS * PER_WRITER / (time.perf_counter() - start)


def _activation(db_url: str, port: int, token: str) -> str:
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
    return r.json()["id"]


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


def main() -> None:
    print(
        f"log keeper: {WRITERS} writers x {PER_WRITER} appends; timeline over {BIG_LOG:,} entries"
    )
    for name, url in databases():
        _cli(url, "migrate")
        _cli(url, "directory", "import", "data/ddh_directory.yaml")
        staff = (
            _cli(url, "token", "create", "crisis_staff", "--person", "p003")
            .strip()
            .splitlines()[-1]
        )
        steering = (
            _cli(url, "token", "create", "steering", "--person", "p012").strip().splitlines()[-1]
        )
        env = {**os.environ, "DATABASE_URL": url, "SMS_GATEWAY": "fake", "LOG_LEVEL": "WARNING"}
        port = free_port()
        with server(
            [
                "-m",
                "uvicorn",
                "bench.insert_app:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env,
            port,
        ):
            base = asyncio.run(
                _throughput(f"http://127.0.0.1:{port}/insert", {}, {"text": "x" * 60})
            )
        port = free_port()
        with server(["-m", "beredskab", "serve", "--port", str(port), "--no-worker"], env, port):
            activation = _activation(url, port, steering)
            ours = asyncio.run(
                _throughput(
                    f"http://127.0.0.1:{port}/activations/{activation}/log",
                    {"Authorization": f"Bearer {staff}"},
                    {"kind": "note", "text": "Borgerne ringer om vandet" + "x" * 35},
                )
            )
            verdict = "meets" if ours >= 0.5 * base else "MISSES"
            print(
                f"  {name:<10} append {ours:7.0f}/s  baseline insert {base:7.0f}/s  "
                f"= {ours / base:5.1%}  {verdict} >= 50 %"
            )
            asyncio.run(_seed_big_log(url, activation, BIG_LOG))
            lat = _timeline_latency(port, activation, staff)
            p50, p99 = percentile(lat, 50), percentile(lat, 99)
            print(
                f"  {name:<10} timeline page of 100: p50 {p50:5.1f} ms  p99 {p99:5.1f} ms  "
                f"{'meets' if p99 <= 20 else 'MISSES'} p99 <= 20 ms"
            )
    _pdf()


def _pdf() -> None:
    from zoneinfo import ZoneInfo

    from beredskab.eventlog.export import to_pdf
    from beredskab.eventlog.schemas import LogEntryRead

    now = datetime.now(UTC)
    entries = [
        LogEntryRead(
            seq=i,
            occurred_at=now,
            recorded_at=now,
            actor="Jens Rasmussen (crisis_staff)",
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
