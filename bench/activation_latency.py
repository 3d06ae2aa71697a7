"""Activation latency (P1): POST /activations (steering token, so endorsed at once) until the
mock Twilio has accepted all four primaries' pages.

Floor, measured in the same run and interleaved with the activations (so both see the same load):
an empty FastAPI POST plus four concurrent sends through our `TwilioGateway` (the real `twilio`
SDK) to the same mock: what this machine needs at least to take a request and hand four SMS to
the gateway. Each floor sample is one empty POST plus one wave of four sends.

Both end at the instant the mock accepted the last of the four SMS (it runs in this process and
stamps each with `time.perf_counter()`), not when a poll or the SDK's response saw it. Both are
sampled on a settled server (the previous activation's bookkeeping done).

Also measured, in the same run and database: the durable floor, a POST that commits one row
(`bench/insert_app.py`: BEGIN, one INSERT, COMMIT) plus the same wave of sends: what any route
that must make a page durable before sending it pays at least. It tells how much of the ratio
is the commit itself and how much the use case's own work (issue 18's eighth step).

Targets: p99 <= 100 ms (issue 3); p50 and p99 <= 2x the floor (issue 18), on SQLite and
PostgreSQL. Also reported: the POST round trip alone, and (with BENCH_ROSTER_DEPUTIES="1,3,10")
the growth of the latency with the roster (4 roles x that many people each).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from pathlib import Path

import httpx
import yaml

from bench.common import cli, databases, free_port, percentile, server, token
from notifications.twilio_gateway import TwilioGateway
from tests.twilio_mock import TwilioMock

N = int(os.environ.get("BENCH_ACTIVATIONS", "200"))
TARGET_P99_MS = 100.0
TARGET_RATIO = 2.0
FLOOR_SMS = "Gulv"  # the floor's own SMS: told from an activation's late ones (its notice)
DIRECTORY = Path("data/ddh_directory.yaml")
BODY = {"title": "Bench", "contact_name": "A", "contact_phone": "20123456", "authority_id": "odder"}


def _directory_with_deputies(deputies: int) -> Path:
    """The demo directory with each role's roster cut or grown to `deputies` people."""
    data = yaml.safe_load(DIRECTORY.read_text(encoding="utf-8"))
    people = data["people"]
    extra = 0
    for role, ranks in data["crisis_roster"].items():
        ranks = ranks[:deputies]
        while len(ranks) < deputies:
            extra += 1
            person = f"x{extra:03d}"
            people.append(
                {
                    "id": person,
                    "name": f"Stedfortræder {extra}",
                    "phone": f"+45502{extra:05d}",
                    "org": "aarhus",
                    "title": "Stedfortræder",
                }
            )
            ranks.append(person)
        data["crisis_roster"][role] = ranks
    path = Path(tempfile.mkdtemp()) / "directory.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _prepare(db_url: str, directory: Path) -> str:
    cli(db_url, "migrate")
    cli(db_url, "directory", "import", str(directory))
    return token(db_url, "steering", "--person", "p012")


class Floor:
    """The floor: an empty FastAPI POST and a wave of four concurrent SDK sends to the mock."""

    def __init__(self, mock: TwilioMock) -> None:
        self.mock = mock
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.gateway = TwilioGateway(
            mock.account_sid,
            mock.auth_token,
            from_number="+4570000000",
            api_base_url=mock.base_url,
        )
        self._server = server(
            [
                "-m",
                "uvicorn",
                "bench.empty_app:app",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            dict(os.environ),
            self.port,
        )
        self.posts: list[float] = []
        self.sends: list[float] = []

    def __enter__(self) -> Floor:
        self._server.__enter__()
        self.client = httpx.Client()
        for _ in range(20):  # warm both paths
            self.sample()
        self.posts.clear()
        self.sends.clear()
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.loop.run_until_complete(self.gateway.aclose())
        self.loop.close()
        self._server.__exit__(None, None, None)

    async def _wave(self) -> None:
        await asyncio.gather(*(self.gateway.send(f"+452000000{i}", FLOOR_SMS) for i in range(4)))

    def sample(self) -> None:
        t0 = time.perf_counter()
        self.client.post(f"http://127.0.0.1:{self.port}/echo", json={"title": "x"})
        t1 = time.perf_counter()
        before = len(self.mock.messages)
        self.loop.run_until_complete(self._wave())
        # until the mock accepted the last of the four, as the activations are measured
        t2 = max(m["accepted_at"] for m in self.mock.messages[before:] if m["Body"] == FLOOR_SMS)
        self.posts.append((t1 - t0) * 1000)
        self.sends.append((t2 - t1) * 1000)

    def totals(self) -> list[float]:
        return [a + b for a, b in zip(self.posts, self.sends, strict=True)]


def _activations(
    db_url: str,
    mock: TwilioMock,
    floor: Floor,
    n: int,
    directory: Path = DIRECTORY,
    durable: list[float] | None = None,
) -> tuple[list[float], list[float]]:
    """(POST until four pages accepted, POST round trip alone) in ms, one floor sample each;
    with `durable`, also one POST of the one-row insert app on the same database each (ms)."""
    steering = _prepare(db_url, directory)
    port = free_port()
    insert_port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "SMS_GATEWAY": "twilio",
        "TWILIO_ACCOUNT_SID": mock.account_sid,
        "TWILIO_AUTH_TOKEN": mock.auth_token,
        "TWILIO_FROM": "+4570000000",
        "TWILIO_API_BASE_URL": mock.base_url,
        "SMS_RATE_PER_SECOND": "1000",
        "LOG_LEVEL": "WARNING",
    }
    latencies: list[float] = []
    posts: list[float] = []
    insert_app = ["-m", "uvicorn", "bench.insert_app:app", "--port", str(insert_port)]
    # SQLite: a file of its own beside ours (one writer per file: sharing would make each wait
    # for the other, and its checkpoints would copy our WAL); PostgreSQL: a table of its own
    insert_env = {**env, "DATABASE_URL": _beside(db_url, "insert.db")}
    with (
        server(["-m", "beredskab", "serve", "--port", str(port)], env, port),
        server([*insert_app, "--log-level", "warning"], insert_env, insert_port)
        if durable is not None
        else contextlib.nullcontext(),
        httpx.Client(headers={"Authorization": f"Bearer {steering}"}) as client,
    ):
        for i in range(n + 10):  # the first ten warm the server up (not counted)
            # the previous activation's bookkeeping (marking sent, its action cards) settles
            # before the floor's sample as before the next activation: both on a quiet server
            time.sleep(0.02)
            floor.sample()
            if durable is not None:
                t = time.perf_counter()
                client.post(
                    f"http://127.0.0.1:{insert_port}/insert", json={"text": "x"}
                ).raise_for_status()
                if i >= 10:
                    durable.append((time.perf_counter() - t) * 1000)
            time.sleep(0.02)
            start_count = len(mock.messages)
            t0 = time.perf_counter()
            r = client.post(f"http://127.0.0.1:{port}/activations", json=BODY)
            posted = time.perf_counter()
            r.raise_for_status()
            ref = r.json()["ref"]

            def pages(ref: str = ref, start: int = start_count) -> list[dict]:
                return [m for m in mock.messages[start:] if ref in m["Body"]]

            with mock.accepted:  # woken by each accepted SMS: no poll competing with the mock
                if not mock.accepted.wait_for(lambda: len(pages()) >= 4, timeout=10):
                    raise RuntimeError(f"{ref}: only {len(pages())} pages after 10 s")
            if i >= 10:
                # the instant the mock accepted the last of the four (it runs in this process),
                # not the instant this loop saw it: the poll's own delay is no part of the path
                accepted = max(m["accepted_at"] for m in pages()[:4])
                latencies.append((accepted - t0) * 1000)
                posts.append((posted - t0) * 1000)
    return latencies, posts


def _beside(db_url: str, name: str) -> str:
    """A SQLite URL's sibling file `name`; any other URL as it is."""
    if not db_url.startswith("sqlite"):
        return db_url
    return db_url.rsplit("/", 1)[0] + "/" + name


def _line(label: str, values: list[float], floor: list[float]) -> str:
    p50, p99 = percentile(values, 50), percentile(values, 99)
    f50, f99 = percentile(floor, 50), percentile(floor, 99)
    return (
        f"{label:<22} p50 {p50:6.1f} ms ({p50 / f50:4.1f}x floor)  "
        f"p99 {p99:6.1f} ms ({p99 / f99:4.1f}x floor)"
    )


def main() -> None:
    print(f"activation latency (P1): {N} activations, POST until 4 pages accepted by the mock")
    print(f"  load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    with TwilioMock() as mock, Floor(mock) as floor:
        for name, url in databases():
            floor.posts.clear()
            floor.sends.clear()
            inserts: list[float] = []
            lat, posts = _activations(url, mock, floor, N, durable=inserts)
            base = floor.totals()
            # the durable floor: the one-row commit's POST and the same wave of sends
            kept = [a + b for a, b in zip(inserts, floor.sends[-len(inserts) :], strict=True)]
            p50, p99 = percentile(lat, 50), percentile(lat, 99)
            f50, f99 = percentile(base, 50), percentile(base, 99)
            meets = p99 <= TARGET_P99_MS
            ratio_ok = p50 <= TARGET_RATIO * f50 and p99 <= TARGET_RATIO * f99
            print(
                f"  {name}: floor p50 {f50:.1f} ms  p99 {f99:.1f} ms  (empty POST p50 "
                f"{percentile(floor.posts, 50):.1f} ms + 4 SDK sends p50 "
                f"{percentile(floor.sends, 50):.1f} ms)"
            )
            print("    " + _line("POST until 4 pages", lat, base))
            print("    " + _line("POST alone", posts, floor.posts))
            print(
                "    "
                + _line("durable floor", kept, base)
                + f"  (one-row commit POST p50 {percentile(inserts, 50):.1f} ms + the sends)"
            )
            print("    " + _line("POST until 4 pages", lat, kept).replace("floor", "durable"))
            print(
                f"    {'meets' if meets else 'MISSES'} p99 <= {TARGET_P99_MS:.0f} ms; "
                f"{'meets' if ratio_ok else 'MISSES'} p50 and p99 <= {TARGET_RATIO:.0f}x floor"
            )
        deputies = os.environ.get("BENCH_ROSTER_DEPUTIES", "")
        if deputies:
            print("  growth with the roster (4 roles x k people), SQLite:")
            for k in [int(x) for x in deputies.split(",")]:
                floor.posts.clear()
                floor.sends.clear()
                url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
                lat, _ = _activations(
                    url, mock, floor, max(20, N // 4), _directory_with_deputies(k)
                )
                print("    " + _line(f"k = {k:>2}", lat, floor.totals()))


if __name__ == "__main__":
    main()
