"""National scale (P8, issue 18): all 98 Danish municipalities with two contacts each, 10
activations at once, each endorsed and asking for an out-of-hours shift, on 2 API replicas
(`serve --no-worker`) and 2 `worker` processes sharing one PostgreSQL.

The steering group approves each shift through the API, so the primary contacts of all 98
municipalities are paged for each (980 pages). The bench answers each page "JA <kode> 1" the
moment the Twilio mock has accepted it ("as fast as the gateway delivers"), signed like Twilio,
alternating the two replicas like a load balancer. The primaries of two in three municipalities
stay silent; once every primary page is out, their secondary timeout is fast-forwarded, so their
secondaries are paged (up to 650 more pages) and answer as fast. A shift's 50 places are more
than the 33 answering primaries and fewer than all 98 offers, so the last 17 are raced for across
both replicas. Each worker sends from its own number, a tag that shows who sent what.

Targets (issue 18):
- every page sent exactly once: for each page row, one SMS with its code to its person; and
  every SMS the outbox marked sent was accepted once (no doubles, none missing);
- every reply processed (stored with its outcome, none in error); allocations exact: each
  shift, read through the API, holds PLACES agents from PLACES municipalities;
- webhook p99 <= 50 ms, beside an empty FastAPI form POST sent right after each reply (same load);
  on PostgreSQL the webhook keeps every reply in line and a drain does it (flows.in_line): the
  time from its arrival until the drain took it up is reported beside it;
- fan-out within 5 % of the configured rate, BENCH_SMS_RATE (default 50 SMS/s). The token
  bucket is per process (notifications/ratelimit.py), so each worker is given half of it.

PostgreSQL only: SQLite is a single-writer file for one process (API and worker together);
two replicas and two workers cannot share it. The bench says so instead of running it.
BENCH_NATIONAL_ACTIVATIONS changes the 10; BENCH_NATIONAL_SLOWEST=1 lists the slowest replies;
BENCH_PROFILE=<folder> runs the replicas under `bench/profiled.py`.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from bench.common import (
    cli,
    cpu_seconds,
    free_port,
    postgres,
    server,
    token,
    twilio_env,
    worker,
)
from bench.municipalities import write_directory
from bench.national_report import report
from bench.sms import CODE, Replier, quiet, reply_waits
from tests.twilio_mock import TwilioMock

MUNICIPALITIES = 98
ACTIVATIONS = int(os.environ.get("BENCH_NATIONAL_ACTIVATIONS", "10"))
PLACES = 50  # the most a shift may ask for (shifts.rules.MAX_AGENTS)
RATE = float(os.environ.get("BENCH_SMS_RATE", "50"))
REPLICAS = WORKERS = 2
PROFILE = os.environ.get("BENCH_PROFILE", "")  # a folder: profile the replicas into it
PUBLIC = "http://beredskab.lb:8000"  # what Twilio signs: the load balancer's address
AUTHORITIES = ("jammerbugt", "skive", "lemvig", "rebild", "struer", "vesthimmerland", "hjoerring")
RETRIES: list[tuple[str, str]] = []  # (what, why): requests answered 409 and sent again


def _out_of_hours_span() -> tuple[datetime, datetime]:
    """Four hours, all outside opening hours, a few days ahead (a weekday evening)."""
    from beredskab.calendar import default_rules, split

    tz = ZoneInfo("Europe/Copenhagen")
    day = datetime.now(tz).date() + timedelta(days=3)
    while True:
        start = datetime.combine(day, datetime.min.time(), tzinfo=tz).replace(hour=20, minute=30)
        pieces = split(start, start + timedelta(hours=4), default_rules())
        if all(not p.in_hours for p in pieces):
            return start, start + timedelta(hours=4)
        day += timedelta(days=1)


def _post(client: httpx.Client, url: str, what: str, **kw: object) -> httpx.Response:
    """POST, sent again (up to 5 times) while the API answers 409 "try again": a request for a
    reference another took at the same instant, or a reply code another request gave the same
    person at the same moment (the steering group is paged by all ten shifts at once)."""
    for attempt in itertools.count(1):
        r = client.post(url, **kw)
        if r.status_code != 409 or attempt == 5:
            r.raise_for_status()
            return r
        RETRIES.append((what, r.json().get("detail", "")))
        time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


def _open(client: httpx.Client, tokens: dict[str, str], n: int, places: int) -> tuple[str, int]:
    """Activation n, endorsed at once (steering), an out-of-hours shift asked for and approved:
    (activation id, shift id)."""
    start, end = _out_of_hours_span()
    r = _post(
        client,
        "/activations",
        "activation",
        json={
            "title": f"Landsdækkende {n}",
            "contact_name": "Vagtchef",
            "contact_phone": "20123456",
            "authority_id": AUTHORITIES[n % len(AUTHORITIES)],
            "out_of_hours_requested": True,
        },
        headers={"Authorization": f"Bearer {tokens['steering']}", "Idempotency-Key": f"{n}"},
    )
    activation = r.json()["id"]
    r = _post(
        client,
        f"/activations/{activation}/shifts",
        "shift",
        json={"start": start.isoformat(), "end": end.isoformat(), "agents_needed": places},
        headers={"Authorization": f"Bearer {tokens['staff']}"},
    )
    shift = r.json()["id"]
    _post(
        client,
        f"/activations/{activation}/shifts/{shift}/approve",
        "approval",
        headers={"Authorization": f"Bearer {tokens['steering']}"},
    )
    return activation, shift


async def _db(db_url: str, activations: list[str], *, fast_forward: bool = False) -> dict:
    """Fast-forward the secondary timeouts, or read back pages, outbox, replies and deadlines."""
    from sqlalchemy import func, select, update

    from beredskab.activations.models import (
        REPLY_IN_LINE,
        Activation,
        InboundSms,
        Page,
        PagePurpose,
    )
    from beredskab.db import make_engine
    from beredskab.deadlines import Deadline, DeadlineStatus
    from beredskab.directory.models import Person
    from beredskab.outbox import Channel, OutboxMessage

    secondary = (
        Deadline.kind == "volunteer_secondary",
        Deadline.status == DeadlineStatus.pending,
        Deadline.activation_id.in_(activations),
    )
    engine = make_engine(db_url)
    try:
        async with engine.begin() as conn:
            if fast_forward:
                moved = await conn.execute(
                    update(Deadline).where(*secondary).values(due_at=datetime.now(UTC))
                )
                return {"moved": moved.rowcount}
            pages = (
                await conn.execute(
                    select(Page.code, Person.phone, Page.rank, Activation.ref)
                    .join(Person, Person.id == Page.person_id)
                    .join(Activation, Activation.id == Page.activation_id)
                    .where(
                        Page.activation_id.in_(activations),
                        Page.purpose == PagePurpose.volunteer,
                    )
                )
            ).all()
            sms = (
                await conn.execute(
                    select(OutboxMessage.status, OutboxMessage.recipient, OutboxMessage.body).where(
                        OutboxMessage.channel == Channel.sms
                    )
                )
            ).all()
            outcomes = (
                await conn.execute(
                    select(InboundSms.outcome, func.count()).group_by(InboundSms.outcome)
                )
            ).all()
            waiting = (
                await conn.execute(
                    select(func.count()).where(*secondary, Deadline.due_at <= datetime.now(UTC))
                )
            ).scalar()
            # replies the webhook kept in line (PostgreSQL keeps every reply there) and not yet done
            waiting += (
                await conn.execute(select(func.count()).where(InboundSms.outcome == REPLY_IN_LINE))
            ).scalar()
            return {
                "pages": pages,
                "sms": sms,
                "outcomes": dict(outcomes),
                "waiting": waiting,
                "waits": await reply_waits(conn),
            }
    finally:
        await engine.dispose()


def _settle(mock: TwilioMock, replier: Replier, db_url: str, activations: list[str]) -> int:
    """Wait until the mock is quiet, every reply is answered and done (none waits in line) and no
    secondary timeout is due (those of the pages answered fall due later, and then do nothing)."""
    while True:
        seen = quiet(mock)
        if replier.idle() and asyncio.run(_db(db_url, activations))["waiting"] == 0:
            return seen


def run(db_url: str, mock: TwilioMock) -> dict:
    mock.reset()
    directory = Path(tempfile.mkdtemp()) / "directory.yaml"
    contacts = write_directory(directory, MUNICIPALITIES)
    silent = {phones[0] for n, (_, phones) in enumerate(sorted(contacts.items())) if n % 3}
    cli(db_url, "migrate")
    cli(db_url, "directory", "import", str(directory))
    tokens = {
        "steering": token(db_url, "steering", "--person", "p012"),
        "staff": token(db_url, "crisis_staff", "--person", "p003"),
    }
    env = twilio_env(db_url, mock, public_base_url=PUBLIC)
    senders = [f"+457000009{i}" for i in range(WORKERS)]  # one per worker: who sent what
    ports = [free_port() for _ in range(REPLICAS)]
    empty = free_port()
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    with ExitStack() as stack:
        procs = []
        for port in ports:
            serve = ["-m", "beredskab", "serve", "--no-worker", "--port", str(port)]
            if PROFILE:  # each replica under cProfile and statement timing (bench/profiled.py)
                serve[1:2] = ["bench.profiled", f"{PROFILE}/replica-{port}"]
            procs.append(stack.enter_context(server(serve, env, port)))
        for sender in senders:
            rate = f"{RATE / WORKERS:g}"
            procs.append(
                stack.enter_context(
                    worker({**env, "TWILIO_FROM": sender, "SMS_RATE_PER_SECOND": rate})
                )
            )
        stack.enter_context(
            server(
                ["-m", "uvicorn", "bench.empty_app:app", "--port", str(empty)],
                {**os.environ, "LOG_LEVEL": "WARNING"},
                empty,
            )
        )
        clients = [stack.enter_context(httpx.Client(base_url=u, timeout=60)) for u in urls]
        # Warm-up, as on servers that have been in use: one national activation with two
        # places, answered through both replicas, so the run does not time each process's
        # one-time statement compilation.
        warm = Replier(mock, urls, PUBLIC, f"http://127.0.0.1:{empty}", silent)
        warm.start(len(mock.messages))
        _open(clients[0], tokens, 0, 2)
        _settle(mock, warm, db_url, [])
        warm.close()
        mark = quiet(mock)  # the buckets are full again
        cpu = [cpu_seconds(p.pid) for p in procs]
        load = [os.getloadavg()[0]]
        replier = Replier(mock, urls, PUBLIC, f"http://127.0.0.1:{empty}", silent)
        replier.start(mark)
        with ThreadPoolExecutor(ACTIVATIONS) as pool:
            opened = list(
                pool.map(
                    lambda n: _open(clients[n % REPLICAS], tokens, n, PLACES),
                    range(1, ACTIVATIONS + 1),
                )
            )
        ids = [a for a, _ in opened]
        all_open = time.time()  # the last shift is approved: the replicas only take replies now
        started = time.monotonic()
        while sum(1 for m in mock.messages[mark:] if CODE.search(m["Body"])) < 98 * ACTIVATIONS:
            if time.monotonic() - started > 300:
                raise RuntimeError("the primary pages did not all leave within 5 minutes")
            time.sleep(0.05)
        middle = _settle(mock, replier, db_url, ids)
        load.append(os.getloadavg()[0])
        moved = asyncio.run(_db(db_url, ids, fast_forward=True))["moved"]
        end = _settle(mock, replier, db_url, ids)
        load.append(os.getloadavg()[0])
        cpu = [cpu_seconds(p.pid) - before for p, before in zip(procs, cpu, strict=True)]
        replier.close()
        shifts = [
            clients[0]
            .get(
                f"/activations/{a}/shifts/{s}",
                headers={"Authorization": f"Bearer {tokens['steering']}"},
            )
            .json()
            for a, s in opened
        ]
    db = asyncio.run(_db(db_url, ids))
    return {
        "phases": (mock.messages[mark:middle], mock.messages[middle:end]),
        "all": list(mock.messages),
        "warm_replies": len(warm.replied),
        "moved": moved,
        "replier": replier,
        "shifts": shifts,
        "db": db,
        "load": load,
        "senders": senders,
        "all_open": all_open,
        "cpu": cpu,
    }


def main() -> None:
    print(
        f"national scale (P8): {MUNICIPALITIES} municipalities x 2 contacts, {ACTIVATIONS} "
        f"activations at once, each an out-of-hours shift of {PLACES} places; {REPLICAS} API "
        f"replicas and {WORKERS} workers; replies as fast as the gateway delivers at "
        f"{RATE:g} SMS/s ({RATE / WORKERS:g} per worker)"
    )
    print(
        "  sqlite     skipped: a single-writer file for one process (API and worker together); "
        "two replicas and two workers cannot share it"
    )
    # ended from outside: unwind, so the replicas and workers are stopped too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    db_url = postgres()
    if db_url is None:
        print("  postgresql skipped: not reachable (BENCH_DATABASE_URL)")
        return
    with TwilioMock() as mock:
        report(run(db_url, mock), places=PLACES, rate=RATE, retries=RETRIES)


if __name__ == "__main__":
    main()
