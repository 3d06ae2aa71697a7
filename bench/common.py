"""Shared benchmark plumbing: servers in subprocesses, percentiles, databases to run on."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
OUR_NUMBER = "+4570000000"  # the service's sender number (TWILIO_FROM) in the benchmarks
_sid = itertools.count(1)  # MessageSids of the replies the benchmarks post
PG_URL = os.environ.get(
    "BENCH_DATABASE_URL",
    os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/bench"),
)


def cli(db_url: str, *args: str) -> str:
    """`python -m beredskab <args>` against `db_url`; its output."""
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "beredskab", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": db_url},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def token(db_url: str, *args: str) -> str:
    """A new API token (`token create <args>`): the last line the CLI prints."""
    return cli(db_url, "token", "create", *args).splitlines()[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


@contextmanager
def server(args: list[str], env: dict[str, str], port: int):
    # stderr to a file, not a pipe: nobody reads a pipe while the server runs, and a full pipe
    # would stall the server mid-benchmark
    errors = tempfile.NamedTemporaryFile(prefix="bench-server-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            proc.kill()
            raise RuntimeError(Path(errors.name).read_text(errors="replace")[-2000:] or "no start")
        yield proc
    finally:
        stop(proc)
        errors.close()
        size = Path(errors.name).stat().st_size
        if size > 100_000:
            print(f"  (the server wrote {size:,} bytes to stderr: {errors.name})")
        else:
            Path(errors.name).unlink()


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it has not ended within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextmanager
def worker(env: dict[str, str]):
    """A `beredskab worker` process (dispatcher and scheduler, no API) in `env`."""
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "beredskab", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        stop(proc)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def databases() -> list[tuple[str, str]]:
    """SQLite in a temp file, and PostgreSQL when reachable (created if missing)."""
    out = [("sqlite", f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db")]
    pg = postgres()
    if pg is not None:
        out.append(("postgresql", pg))
    return out


def postgres() -> str | None:
    """BENCH_DATABASE_URL, dropped and created afresh; None (said why) when unreachable."""
    try:
        import asyncio

        import asyncpg

        async def _ensure() -> None:
            dsn = PG_URL.replace("postgresql+asyncpg", "postgresql")
            base, name = dsn.rsplit("/", 1)
            conn = await asyncpg.connect(base + "/postgres")
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        asyncio.run(_ensure())
    except Exception as exc:  # noqa: BLE001 - reported, not hidden
        print(f"  (PostgreSQL not available for benchmarks: {exc})")
        return None
    return PG_URL


def staffed_directory(db_url: str) -> tuple[str, str, dict[str, str]]:
    """Migrate, import the demo directory, and make a crisis-staff token (p003, a log keeper)
    and a steering token (p012); with the environment a server on `db_url` runs in."""
    cli(db_url, "migrate")
    cli(db_url, "directory", "import", "data/ddh_directory.yaml")
    staff = token(db_url, "crisis_staff", "--person", "p003")
    steering = token(db_url, "steering", "--person", "p012")
    env = {**os.environ, "DATABASE_URL": db_url, "SMS_GATEWAY": "fake", "LOG_LEVEL": "WARNING"}
    return staff, steering, env


def twilio_env(
    db_url: str, mock: object, *, rate: float = 1000, public_base_url: str | None = None
) -> dict[str, str]:
    """The environment of a server on `db_url` whose SMS and calls go to the Twilio mock, sent
    at `rate` SMS/s; `public_base_url` is where the server is reached (signed webhooks)."""
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "SMS_GATEWAY": "twilio",
        "TWILIO_ACCOUNT_SID": mock.account_sid,  # type: ignore[attr-defined]
        "TWILIO_AUTH_TOKEN": mock.auth_token,  # type: ignore[attr-defined]
        "TWILIO_FROM": OUR_NUMBER,
        "TWILIO_API_BASE_URL": mock.base_url,  # type: ignore[attr-defined]
        "SMS_RATE_PER_SECOND": f"{rate:g}",
        **({"PUBLIC_BASE_URL": public_base_url} if public_base_url else {}),
        "LOG_LEVEL": "WARNING",
    }


def sms_reply(page: dict, account_sid: str, body: str) -> dict[str, str]:
    """The form Twilio posts when whoever got `page` (a message the mock accepted) answers
    `body`; each with a MessageSid of its own."""
    return {
        "MessageSid": f"SM{next(_sid):032d}",
        "AccountSid": account_sid,
        "From": page["To"],
        "To": OUR_NUMBER,
        "Body": body,
    }


def twilio_signer(url: str, auth_token: str) -> Callable[[dict], dict[str, str]]:
    """The headers that sign a form posted to `url` as Twilio signs it."""
    validator = RequestValidator(auth_token)
    return lambda params: {"X-Twilio-Signature": validator.compute_signature(url, params)}


def timed_get(client: httpx.Client, url: str, headers: dict | None = None) -> float:
    """One GET's time in ms (it must succeed)."""
    t0 = time.perf_counter()
    r = client.get(url, headers=headers or {})
    elapsed = (time.perf_counter() - t0) * 1000
    r.raise_for_status()
    return elapsed
