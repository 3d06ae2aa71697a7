"""`GET /stats` over a year (issue 16), beside a baseline from the same run.

The year of tests/stats_year.py: 500 endorsed activations across 2025 (400 real, 100 exercises),
each with its four role tenures and pages, 2-3 shifts and their "full" log entries, a final
statement (real) or a draft recomputed on each request (exercises); plus 10 rejected ones. The
people and organisations are the demo directory's.

Target: GET /stats?from=2025-01-01&to=2025-12-31 (JSON) p99 <= 500 ms on PostgreSQL and SQLite.
Baseline, interleaved: the API's activation list, GET /activations (the newest page of the same
table). `?format=csv` and `by=month` are timed too.
"""

from __future__ import annotations

import argparse
import asyncio

import httpx

from bench.common import databases, free_port, percentile, server, staffed_directory, timed_get

TARGET_MS = 500.0
REQUESTS = 30
YEAR = "/stats?from=2025-01-01&to=2025-12-31"


async def _seed(db_url: str) -> None:
    from sqlalchemy import select

    from beredskab.db import make_engine
    from beredskab.directory.models import Organisation, OrgKind, Person, RosterEntry
    from tests.stats_year import seed_year

    engine = make_engine(db_url)
    try:
        async with engine.begin() as conn:
            ddh = (
                await conn.execute(
                    select(Organisation.id).where(Organisation.kind == OrgKind.cooperation)
                )
            ).scalar_one()
            authority = (
                (
                    await conn.execute(
                        select(Organisation.id)
                        .where(Organisation.kind == OrgKind.municipality)
                        .order_by(Organisation.id)
                    )
                )
                .scalars()
                .first()
            )
            roster = await conn.execute(
                select(RosterEntry.role, RosterEntry.person_id, Person.org_id)
                .join(Person, Person.id == RosterEntry.person_id)
                .order_by(RosterEntry.role, RosterEntry.rank)
            )
            people: dict[str, list[tuple[str, str]]] = {}
            for role, person, org in roster.all():
                people.setdefault(str(role), []).append((person, org))
            await seed_year(conn, authority=authority, ddh=ddh, people=people)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stats", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], help="only this database")
    args = parser.parse_args(argv)
    print("stats: a year of 500 activations")
    for name, url in databases():
        if args.db and name != args.db:
            continue
        _, steering, env = staffed_directory(url)
        asyncio.run(_seed(url))
        port = free_port()
        with server(["-m", "beredskab", "serve", "--port", str(port), "--no-worker"], env, port):
            auth = {"Authorization": f"Bearer {steering}"}
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=auth, timeout=60) as c:
                for _ in range(3):  # warm-up: pools, statement caches
                    timed_get(c, YEAR)
                    timed_get(c, "/activations")
                ours, baseline = [], []
                for i in range(REQUESTS):
                    pair = [(ours, YEAR), (baseline, "/activations")]
                    for into, url_ in pair if i % 2 else reversed(pair):
                        into.append(timed_get(c, url_))
                csv = [timed_get(c, YEAR + "&format=csv") for _ in range(5)]
                months = [timed_get(c, YEAR + "&by=month") for _ in range(5)]
        p99 = percentile(ours, 99)
        verdict = "meets" if p99 <= TARGET_MS else "MISSES"
        print(
            f"  {name:<10} JSON: p50 {percentile(ours, 50):6.1f} ms  p99 {p99:6.1f} ms  "
            f"(GET /activations: p50 {percentile(baseline, 50):5.1f} ms  p99 "
            f"{percentile(baseline, 99):5.1f} ms)  {verdict} <= {TARGET_MS:.0f} ms"
        )
        print(
            f"  {name:<10} CSV: p50 {percentile(csv, 50):6.1f} ms   by month: p50 "
            f"{percentile(months, 50):6.1f} ms"
        )


if __name__ == "__main__":
    main()
