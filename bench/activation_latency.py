"""Activation latency: POST /activations (steering token, so endorsed at once) until the mock
Twilio has accepted all four primaries' pages. Baseline: an empty FastAPI POST, same run.

Target (issue 3): p99 <= 100 ms, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import time

import httpx

from bench.common import cli, databases, free_port, percentile, server, token, twilio_env
from tests.twilio_mock import TwilioMock

N = int(os.environ.get("BENCH_ACTIVATIONS", "200"))
TARGET_P99_MS = 100.0


def _prepare(db_url: str) -> str:
    cli(db_url, "migrate")
    cli(db_url, "directory", "import", "data/ddh_directory.yaml")
    return token(db_url, "steering", "--person", "p012")


def _baseline(n: int) -> list[float]:
    port = free_port()
    with (
        server(
            ["-m", "uvicorn", "bench.empty_app:app", "--port", str(port), "--log-level", "warning"],
            dict(os.environ),
            port,
        ),
        httpx.Client() as client,
    ):
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            client.post(f"http://127.0.0.1:{port}/echo", json={"title": "x"})
            out.append((time.perf_counter() - t0) * 1000)
    return out


def _activations(db_url: str, mock: TwilioMock, n: int) -> list[float]:
    token = _prepare(db_url)
    port = free_port()
    env = twilio_env(db_url, mock)
    latencies = []
    body = {
        "title": "Bench",
        "contact_name": "A",
        "contact_phone": "20123456",
        "authority_id": "odder",
    }
    with (
        server(["-m", "beredskab", "serve", "--port", str(port)], env, port),
        httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client,
    ):
        for _ in range(n):
            start_count = len(mock.messages)
            t0 = time.perf_counter()
            r = client.post(f"http://127.0.0.1:{port}/activations", json=body)
            r.raise_for_status()
            ref = r.json()["ref"]
            while True:
                pages = [m for m in mock.messages[start_count:] if ref in m["Body"]]
                if len(pages) >= 4:
                    break
                if time.perf_counter() - t0 > 10:
                    raise RuntimeError(f"{ref}: only {len(pages)} pages after 10 s")
                time.sleep(0.0005)
            latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


def main() -> None:
    print(f"activation latency: {N} activations, POST until 4 pages accepted by the mock")
    base = _baseline(N)
    b50, b99 = percentile(base, 50), percentile(base, 99)
    print(f"  baseline empty FastAPI POST: p50 {b50:.1f} ms  p99 {b99:.1f} ms")
    with TwilioMock() as mock:
        for name, url in databases():
            lat = _activations(url, mock, N)
            p50, p99 = percentile(lat, 50), percentile(lat, 99)
            verdict = "meets" if p99 <= TARGET_P99_MS else "MISSES"
            print(
                f"  {name:<10} p50 {p50:6.1f} ms ({p50 / b50:4.1f}x baseline)  "
                f"p99 {p99:6.1f} ms ({p99 / b99:4.1f}x baseline)  {verdict} p99 <= "
                f"{TARGET_P99_MS:.0f} ms"
            )


if __name__ == "__main__":
    main()
