"""Call-out drill (issue 15.3): a drill paging 500 people, then its report.

Targets, on SQLite and PostgreSQL:
- the drill's SMS leave at SMS_RATE_PER_SECOND, within 5 % (after the token bucket's first
  second's burst): the gateway's rate is the limit, not the drill;
- its report over 500 people (GET /drills/{id}, JSON) p99 <= 200 ms. Baseline, interleaved in
  the same run: GET /activations (the API's list). The CSV is timed too.

The demo directory topped up with people on the crisis-staff roster to 500 in the group `all`;
the real twilio SDK against the Twilio mock; 70 % of the people answer by signed webhook, a few
numbers are refused by the mock (21211, 21610), so the report has every outcome.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import time

import httpx

from bench.common import (
    cli,
    databases,
    free_port,
    percentile,
    server,
    sms_reply,
    timed_get,
    token,
    twilio_env,
    twilio_signer,
    worker,
)
from tests.twilio_mock import TwilioMock

PEOPLE = 500
RATE = float(os.environ.get("BENCH_DRILL_SMS_RATE", "50"))
TARGET_MS = 200.0
TARGET_RATE_TOLERANCE = 0.05
REQUESTS = 30
CODE = re.compile(r"svar OK (\d{4})")


async def _top_up(db_url: str) -> int:
    """Add people on a roster until the group `all` has PEOPLE; returns how many were added."""
    from sqlalchemy import func, select, union

    from beredskab.db import make_engine
    from beredskab.directory.models import (
        MunicipalityContact,
        Organisation,
        OrgKind,
        Person,
        RosterEntry,
        SteeringMember,
    )
    from beredskab.roles import Role

    engine = make_engine(db_url)
    try:
        async with engine.begin() as conn:
            members = union(
                select(RosterEntry.person_id),
                select(SteeringMember.person_id),
                select(MunicipalityContact.person_id),
            ).subquery()
            have = (await conn.execute(select(func.count()).select_from(members))).scalar_one()
            ddh = (
                await conn.execute(
                    select(Organisation.id).where(Organisation.kind == OrgKind.cooperation)
                )
            ).scalar_one()
            top = (await conn.execute(select(func.max(RosterEntry.rank)))).scalar_one() or 0
            add = PEOPLE - have
            await conn.execute(
                Person.__table__.insert(),
                [
                    {
                        "id": f"drill{i}",
                        "name": f"Øvelse Person {i:03d}",
                        "phone": f"+4561{i:06d}",
                        "org_id": ddh,
                        "active": True,
                    }
                    for i in range(add)
                ],
            )
            roles = list(Role)
            await conn.execute(
                RosterEntry.__table__.insert(),
                [
                    {"role": roles[i % 4].value, "rank": top + 1 + i, "person_id": f"drill{i}"}
                    for i in range(add)
                ],
            )
        return add
    finally:
        await engine.dispose()


def _rate(times: list[float]) -> float:
    """SMS/s after the bucket's first burst (one second's worth leaves at once)."""
    times = sorted(times)
    burst = int(RATE)
    return (len(times) - burst) / (times[-1] - times[0])


def _wait(mock: TwilioMock, count: int, timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in list(mock.messages) if CODE.search(m["Body"])]
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise RuntimeError(f"only {len(found)} of {count} drill pages after {timeout:.0f} s")


def run(name: str, db_url: str, mock: TwilioMock) -> dict:
    mock.reset()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = twilio_env(db_url, mock, rate=RATE, public_base_url=base)
    cli(db_url, "migrate")
    cli(db_url, "directory", "import", "data/ddh_directory.yaml")
    asyncio.run(_top_up(db_url))
    steering = token(db_url, "steering", "--person", "p012")
    for i in range(5):  # numbers the provider refuses: undeliverable and unsubscribed
        mock.fail_number(f"+4561{i:06d}", 21211 if i % 2 else 21610)
    separate_worker = name == "postgresql"  # as deployed (see bench/callout_storm.py)
    serve = ["-m", "beredskab", "serve", "--port", str(port)]
    with server([*serve, "--no-worker"] if separate_worker else serve, env, port):
        background = worker(env) if separate_worker else None
        if background is not None:
            background.__enter__()
        try:
            auth = {"Authorization": f"Bearer {steering}"}
            with httpx.Client(base_url=base, headers=auth, timeout=60) as c:
                r = c.post("/drills", json={"group": "all"})
                r.raise_for_status()
                drill = r.json()
                pages = _wait(mock, drill["people"] - 5, timeout=drill["people"] / RATE * 3 + 30)
                rate = _rate([m["received_at"] for m in pages])
                url = f"{base}/webhooks/twilio/sms"
                sign = twilio_signer(url, mock.auth_token)
                for m in pages[: int(len(pages) * 0.7)]:
                    params = sms_reply(m, mock.account_sid, f"OK {CODE.search(m['Body']).group(1)}")
                    httpx.post(
                        url, data=params, headers=sign(params), timeout=30
                    ).raise_for_status()
                report = f"/drills/{drill['id']}"
                for _ in range(3):  # warm-up: pools, statement caches
                    timed_get(c, report)
                    timed_get(c, "/activations")
                ours, baseline = [], []
                for i in range(REQUESTS):
                    pair = [(ours, report), (baseline, "/activations")]
                    for into, url_ in pair if i % 2 else reversed(pair):
                        into.append(timed_get(c, url_))
                csv = [timed_get(c, report + ".csv") for _ in range(5)]
                counts = c.get(report).json()["counts"]
        finally:
            if background is not None:
                background.__exit__(None, None, None)
    return {"rate": rate, "ours": ours, "baseline": baseline, "csv": csv, "counts": counts}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.drills", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], help="only this database")
    args = parser.parse_args(argv)
    print(f"drills: a drill paging {PEOPLE} people at {RATE:g} SMS/s, then its report")
    with TwilioMock() as mock:
        for name, url in databases():
            if args.db and name != args.db:
                continue
            out = run(name, url, mock)
            ratio = out["rate"] / RATE
            within = abs(1 - ratio) <= TARGET_RATE_TOLERANCE
            p99 = percentile(out["ours"], 99)
            b99 = percentile(out["baseline"], 99)
            print(
                f"  {name:<10} fan-out {out['rate']:.2f} SMS/s = {ratio:.3f}x of {RATE:g}: "
                f"{'meets' if within else 'MISSES'} within {TARGET_RATE_TOLERANCE:.0%}"
            )
            print(
                f"  {name:<10} report: p50 {percentile(out['ours'], 50):6.1f} ms  p99 {p99:6.1f} ms"
                f"  (GET /activations: p50 {percentile(out['baseline'], 50):5.1f} ms  p99 "
                f"{b99:5.1f} ms; ratio p99 {p99 / b99:.1f}x)  "
                f"{'meets' if p99 <= TARGET_MS else 'MISSES'} <= {TARGET_MS:.0f} ms"
            )
            csv_p50 = percentile(out["csv"], 50)
            print(f"  {name:<10} CSV: p50 {csv_p50:6.1f} ms; counts {out['counts']}")


if __name__ == "__main__":
    main()
