"""Finance report benchmark (issue 6), beside a baseline from the same run.

A year of synthetic data: 500 activations ended across 2025, 200,000 time entries (crisis-staff
tenures and volunteer allocations, nights across DST, holidays, members, non-members, exercises,
two tariffs). Each activation: 4 roles held by 2 people each, 98 shifts with 4 of the 8
municipalities that volunteered for it.

Target: GET /costs/report?format=json for the year through the API ≤ 1 s on PostgreSQL and
≤ 2 s on SQLite, with the server's peak memory (VmHWM) ≤ 200 MB. Baseline: a plain SELECT of the
same time rows, in the same run. Printed: how the time grows from 50,000 to 200,000 entries,
once with every statement final (a closed year: finance has locked them) and once with every
statement still a draft (recomputed from the raw records on each request).

Growth curve (issue 18): `BENCH_REPORT_ENTRIES=20000,50000,200000` seeds a fresh database per
size (entries ÷ 400 activations over the year, every statement a draft) and prints the year's
report p50/p99 beside the baseline SELECT's, sampled alternately (`BENCH_REPORT_RUNS`, default
15, after one warm-up request), and their ratio. Unset, the single run above.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from bench.common import ROOT, cli, databases, free_port, percentile, server, token

CPH = ZoneInfo("Europe/Copenhagen")
ACTIVATIONS = int(os.environ.get("BENCH_REPORT_ACTIVATIONS", "500"))
ROLES = ("crisis_leader", "log_keeper", "process_lead", "staffing_lead")
SHIFTS_PER_ACTIVATION, ALLOCATIONS_PER_SHIFT, VOLUNTEER_POOL = 98, 4, 8
ENTRIES_PER_ACTIVATION = 2 * len(ROLES) + SHIFTS_PER_ACTIVATION * ALLOCATIONS_PER_SHIFT  # 400
NON_MEMBERS = ("kobenhavn", "region-sjaelland", "beredskabsstyrelsen")
QUARTERS = (date(2025, 3, 31), date(2025, 6, 30), date(2025, 9, 30), date(2025, 12, 31))


def _local(day: date, hour: float) -> datetime:
    return (
        datetime.combine(day, datetime.min.time(), tzinfo=CPH) + timedelta(hours=hour)
    ).astimezone(UTC)


async def _seed(db_url: str, activations: int = ACTIVATIONS) -> list[str]:
    """Insert the year straight into the tables (through the API it would take an hour)."""
    from sqlalchemy import insert, select, text

    from beredskab.activations.models import Activation
    from beredskab.costs.models import Tariff
    from beredskab.crisis_staff.models import RoleTenure
    from beredskab.db import make_engine
    from beredskab.directory.models import Organisation, Person
    from beredskab.shifts.models import Shift, VolunteerAllocation

    rnd = random.Random(2025)
    engine = make_engine(db_url)
    ids: list[str] = []
    async with engine.begin() as conn:
        people = (await conn.execute(select(Person.id, Person.org_id))).all()
        members = [
            o
            for (o,) in await conn.execute(
                select(Organisation.id).where(
                    Organisation.ddh_member.is_(True), Organisation.contact_centre.is_(True)
                )
            )
        ]
        await conn.execute(
            insert(Tariff),
            [
                {
                    "valid_from": date(2024, 1, 1),
                    "rate_ore_per_hour": 45_000,
                    "created_by": "bench",
                },
                {
                    "valid_from": date(2025, 7, 1),
                    "rate_ore_per_hour": 46_350,
                    "created_by": "bench",
                },
            ],
        )
        shift_id = 0
        for i in range(activations):
            day = date(2025, 1, 1) + timedelta(days=i * 362 // activations)
            start = _local(day, rnd.choice([7.5, 10, 14, 19, 22]))
            end = start + timedelta(hours=rnd.randint(20, 60))
            activation_id = str(uuid.uuid4())
            ids.append(activation_id)
            await conn.execute(
                insert(Activation).values(
                    id=activation_id,
                    ref=f"BENCH-{i:04d}",
                    title=f"Syntetisk hændelse {i}",
                    description="",
                    authority_id=NON_MEMBERS[i % 3] if i % 5 == 0 else rnd.choice(members),
                    contact_name="Bench",
                    contact_phone="+4520123456",
                    channels=["phone"],
                    exercise=i % 7 == 0,
                    out_of_hours_requested=True,
                    status="stood_down",
                    playbook_hash="bench",
                    created_by="bench",
                    created_at=start,
                    endorsed_at=start,
                    ended_at=end,
                    endorse_reminders=0,
                    log_seq=0,
                    log_head_hash="0" * 64,
                )
            )
            tenures = []
            middle = start + (end - start) / 2
            for role in ROLES:
                for a, b in ((start, middle), (middle, end)):
                    person, org = rnd.choice(people)
                    tenures.append(
                        {
                            "activation_id": activation_id,
                            "role": role,
                            "person_id": person,
                            "org_id": org,
                            "started_at": a,
                            "ended_at": b,
                            "end_reason": "relieved",
                        }
                    )
            await conn.execute(insert(RoleTenure), tenures)
            # the municipalities that volunteer for this activation's shifts
            pool = rnd.sample(members, VOLUNTEER_POOL)
            shifts, allocations = [], []
            span = (end - start).total_seconds() / 3600 - 4
            for s in range(SHIFTS_PER_ACTIVATION):
                shift_id += 1
                begins = start + timedelta(minutes=15 * round(rnd.uniform(0, span) * 4))
                shifts.append(
                    {
                        "id": shift_id,
                        "activation_id": activation_id,
                        "start": begins,
                        "end": begins + timedelta(hours=rnd.choice([2, 4, 4, 6])),
                        "agents_needed": 8,
                        "state": "full",
                        "in_hours_minutes": 0,
                        "out_of_hours_minutes": 0,
                        "pieces": [],
                        "requested_by": "bench",
                        "created_at": start,
                        "approved_at": start if s % 3 == 0 else None,
                        "callout_round": 1,
                    }
                )
                for org in rnd.sample(pool, ALLOCATIONS_PER_SHIFT):
                    late = rnd.random() < 0.1
                    allocations.append(
                        {
                            "shift_id": shift_id,
                            "org_id": org,
                            "agents": rnd.randint(1, 3),
                            "state": "active",
                            "created_at": start,
                            "agent_names": [],
                            "actual_start": begins + timedelta(minutes=20) if late else None,
                            "actual_end": None,
                            "actual_agents": None,
                        }
                    )
            await conn.execute(insert(Shift), shifts)
            await conn.execute(insert(VolunteerAllocation), allocations)
        if engine.dialect.name == "postgresql":
            await conn.execute(text("SELECT setval('shift_id_seq', (SELECT max(id) FROM shift))"))
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    await engine.dispose()
    return ids


async def _baseline(db_url: str, last: date) -> tuple[float, int]:
    """A plain SELECT of the period's time rows (tenures and allocations with their shift)."""
    from sqlalchemy import select

    from beredskab.activations.models import Activation
    from beredskab.crisis_staff.models import RoleTenure
    from beredskab.db import make_engine
    from beredskab.shifts.models import Shift, VolunteerAllocation

    until = _local(last + timedelta(days=1), 0)
    engine = make_engine(db_url)
    async with engine.connect() as conn:
        t0 = time.perf_counter()
        tenures = (
            await conn.execute(
                select(RoleTenure.started_at, RoleTenure.ended_at, RoleTenure.org_id)
                .join(Activation, Activation.id == RoleTenure.activation_id)
                .where(Activation.ended_at < until)
            )
        ).all()
        allocations = (
            await conn.execute(
                select(
                    Shift.start,
                    Shift.end,
                    VolunteerAllocation.org_id,
                    VolunteerAllocation.agents,
                    VolunteerAllocation.actual_start,
                )
                .join(Shift, Shift.id == VolunteerAllocation.shift_id)
                .join(Activation, Activation.id == Shift.activation_id)
                .where(Activation.ended_at < until)
            )
        ).all()
        took = time.perf_counter() - t0
    await engine.dispose()
    return took, len(tenures) + len(allocations)


async def _finalise_all(db_url: str, ids: list[str]) -> None:
    from beredskab.costs import final
    from beredskab.db import make_engine, make_sessionmaker
    from beredskab.metadata import utcnow
    from beredskab.playbook_file import load_playbook

    rules = load_playbook(ROOT / "playbooks" / "ddh-beredskab.yaml").playbook.opening_rules(CPH)
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    for activation_id in ids:
        async with sessions() as session:
            await final.finalise(session, activation_id, rules, by="bench", now=utcnow())
    await engine.dispose()


def _peak_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _report(port: int, bearer: str, last: date, runs: int) -> tuple[float, int]:
    url = f"http://127.0.0.1:{port}/costs/report"
    params = {"from": "2025-01-01", "to": last.isoformat(), "format": "json"}
    best, size = float("inf"), 0
    with httpx.Client(headers={"Authorization": f"Bearer {bearer}"}, timeout=600) as client:
        for _ in range(runs):
            t0 = time.perf_counter()
            r = client.get(url, params=params)
            took = time.perf_counter() - t0
            r.raise_for_status()
            best, size = min(best, took), len(r.content)
    return best, size


def _series(name: str, url: str, env: dict, bearer: str, label: str, runs: int, limit: float):
    port = free_port()
    with server(["-m", "beredskab", "serve", "--port", str(port), "--no-worker"], env, port) as p:
        idle = _peak_mb(p.pid)
        for last in QUARTERS:
            base, rows = asyncio.run(_baseline(url, last))
            took, size = _report(port, bearer, last, runs)
            print(
                f"  {name:<10} {label:<6} {rows:>7,} entries: report {took * 1000:7.0f} ms "
                f"({size / 1e3:6.0f} kB)  baseline SELECT {base * 1000:6.0f} ms  "
                f"x{took / base:5.1f}"
            )
        peak = _peak_mb(p.pid)
    verdict = "meets" if took <= limit and peak <= 200 else "MISSES"
    print(
        f"  {name:<10} {label:<6} year: {took:.2f} s, server peak {peak:.0f} MB "
        f"(idle {idle:.0f} MB)  {verdict} <= {limit:g} s and <= 200 MB"
    )


def _sizes() -> list[int]:
    raw = os.environ.get("BENCH_REPORT_ENTRIES", "")
    return [int(size.replace("_", "")) for size in raw.split(",") if size.strip()]


def _load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def _growth_point(name: str, url: str, entries: int, runs: int) -> None:
    """One size on one fresh database: the year's draft report against the baseline SELECT."""
    cli(url, "migrate")
    cli(url, "directory", "import", "data/ddh_directory.yaml")
    finance = token(url, "finance", "--label", "økonomisystem")
    asyncio.run(_seed(url, max(1, round(entries / ENTRIES_PER_ACTIVATION))))
    env = {**os.environ, "DATABASE_URL": url, "SMS_GATEWAY": "fake", "LOG_LEVEL": "WARNING"}
    last = QUARTERS[-1]
    port = free_port()
    reports, baselines = [], []
    with server(["-m", "beredskab", "serve", "--port", str(port), "--no-worker"], env, port):
        _report(port, finance, last, 1)  # warm-up: statement compilation, lazy imports
        for _ in range(runs):
            base, rows = asyncio.run(_baseline(url, last))
            baselines.append(base * 1000)
            reports.append(_report(port, finance, last, 1)[0] * 1000)
    p50, p99 = percentile(reports, 50), percentile(reports, 99)
    b50, b99 = percentile(baselines, 50), percentile(baselines, 99)
    print(
        f"  {name:<10} {rows:>7,} entries: report p50 {p50:6.0f} · p99 {p99:6.0f} ms "
        f"({p50 * 1000 / rows:4.1f} µs/entry)  baseline p50 {b50:5.0f} · p99 {b99:5.0f} ms  "
        f"x{p50 / b50:4.2f} · x{p99 / b99:4.2f}  (load {_load()})"
    )


def growth(sizes: list[int]) -> None:
    runs = int(os.environ.get("BENCH_REPORT_RUNS", "15"))
    print(f"finance report growth: year of drafts, {runs} samples each (load {_load()})")
    for entries in sizes:
        for name, url in databases():  # a fresh SQLite file and a recreated PostgreSQL database
            _growth_point(name, url, entries, runs)


def main() -> None:
    if sizes := _sizes():
        growth(sizes)
        return
    print(
        f"finance report: {ACTIVATIONS} activations, "
        f"{ACTIVATIONS * ENTRIES_PER_ACTIVATION:,} time entries over 2025"
    )
    for name, url in databases():
        cli(url, "migrate")
        cli(url, "directory", "import", "data/ddh_directory.yaml")
        finance = token(url, "finance", "--label", "økonomisystem")
        t0 = time.perf_counter()
        ids = asyncio.run(_seed(url))
        print(f"  {name:<10} seeded in {time.perf_counter() - t0:.0f} s")
        env = {**os.environ, "DATABASE_URL": url, "SMS_GATEWAY": "fake", "LOG_LEVEL": "WARNING"}
        limit = 1.0 if name == "postgresql" else 2.0
        _series(name, url, env, finance, "draft", 3, limit)
        t0 = time.perf_counter()
        asyncio.run(_finalise_all(url, ids))
        print(
            f"  {name:<10} finance marked {len(ids)} statements final in "
            f"{time.perf_counter() - t0:.0f} s"
        )
        _series(name, url, env, finance, "final", 3, limit)


if __name__ == "__main__":
    main()
