"""The log page's server time (issue 12), beside the API's JSON timeline in the same run.

Target: `GET /aktivering/{id}/logbog` (the console's Logbog: the newest 100 entries rendered,
the filters' choices, who may write) p99 <= 50 ms with 1,000 entries in the log. The baseline
is `GET /activations/{id}/log` (a JSON page of 100) on the same server, same log, alternating.
The log keeper signs in as a person does: a code by SMS (read from the outbox), a cookie.

    python -m bench.console_log [--db sqlite] [--entries 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import re
from contextlib import closing

import httpx

from bench.common import databases, free_port, percentile, server, staffed_directory, timed_get
from bench.log_keeper import _activation, _seed_big_log

TARGET_P99_MS = 50.0
REQUESTS = 200


async def _last_code(db_url: str) -> str:
    from sqlalchemy import text

    from beredskab.db import make_engine

    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            body = (
                await conn.execute(text("SELECT body FROM outbox ORDER BY id DESC LIMIT 1"))
            ).scalar_one()
    finally:
        await engine.dispose()
    return re.search(r"\b(\d{6})\b", body)[1]


def _signed_in(db_url: str, base: str, phone: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"phone": phone, "csrf": csrf}).raise_for_status()
    code = asyncio.run(_last_code(db_url))
    done = client.post("/login/kode", data={"phone": phone, "code": code, "csrf": csrf})
    if done.status_code != 303:
        raise SystemExit(f"bench sign-in failed: {done.status_code}")
    return client


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.console_log", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], help="only this database")
    parser.add_argument("--entries", type=int, default=1000, help="entries in the log")
    args = parser.parse_args(argv)
    print(f"console log page: {REQUESTS} requests each over a log of {args.entries:,} entries")
    for name, url in databases():
        if args.db and name != args.db:
            continue
        staff, steering, env = staffed_directory(url)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with server(["-m", "beredskab", "serve", "--port", str(port), "--no-worker"], env, port):
            activation = _activation(url, port, steering, staff)
            asyncio.run(_seed_big_log(url, activation, args.entries))
            with closing(_signed_in(url, base, "+4550100075")) as keeper:
                page = f"/aktivering/{activation}/logbog"
                api = f"/activations/{activation}/log"
                auth = {"Authorization": f"Bearer {staff}"}
                for _ in range(20):  # warm-up: pools, templates, statement caches
                    timed_get(keeper, page)
                    timed_get(keeper, api, auth)
                ours, baseline = [], []
                for i in range(REQUESTS):
                    if i % 2:
                        ours.append(timed_get(keeper, page))
                        baseline.append(timed_get(keeper, api, auth))
                    else:
                        baseline.append(timed_get(keeper, api, auth))
                        ours.append(timed_get(keeper, page))
        p99 = percentile(ours, 99)
        verdict = "meets" if p99 <= TARGET_P99_MS else "MISSES"
        print(
            f"  {name:<10} Logbog page: p50 {percentile(ours, 50):5.1f} ms  p99 {p99:5.1f} ms"
            f"  (API JSON page: p50 {percentile(baseline, 50):5.1f} ms  "
            f"p99 {percentile(baseline, 99):5.1f} ms)  {verdict} <= {TARGET_P99_MS:.0f} ms"
        )


if __name__ == "__main__":
    main()
