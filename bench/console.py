"""Console benchmarks (issue 12), each beside a baseline from the same run.

(a) Server time of the status board page `/aktivering/{id}` (and the log page
    `/aktivering/{id}/logbog`, when it is there) with 1,000 log entries: p99 <= 50 ms.
    Baseline: the API's JSON board `GET /activations/{id}`, same server, requests interleaved.
(b) From a signed SMS reply (the Twilio webhook) to the changed role visible on an open board
    page in Chromium: p99 <= 1 s. 30 replies over 10 activations; the page notes the moment with
    a MutationObserver on the live part, the same wall clock as the reply's start.

    python -m bench.console [--only pages,live] [--db sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import time

import httpx

from bench.common import cli, databases, free_port, percentile, server, token
from bench.log_keeper import _seed_big_log
from tests.twilio_mock import TEST_FROM, TwilioMock, sign

LOG_ENTRIES = 1000
REQUESTS = int(os.environ.get("BENCH_CONSOLE_REQUESTS", "300"))
ACTIVATIONS, REPLIES_EACH = 10, 3  # 30 replies
TARGET_PAGE_P99_MS = 50.0
TARGET_LIVE_P99_MS = 1000.0
STEERING, AUTHORITY_ORG = "p012", "odder"
# the primaries of the roles the bench answers for, and their numbers in the demo directory
PRIMARIES = {"crisis_leader": "p001", "log_keeper": "p003", "process_lead": "p006"}
BODY = {"title": "Bench", "contact_name": "A", "contact_phone": "20123456", "authority_id": "odder"}
CODE = re.compile(r"\b(\d{6})\b")


def _people() -> dict[str, dict]:
    import yaml

    data = yaml.safe_load((_root() / "data" / "ddh_directory.yaml").read_text(encoding="utf-8"))
    return {p["id"]: p for p in data["people"]}


def _root():  # noqa: ANN202
    from bench.common import ROOT

    return ROOT


def _sign_in(base: str, mock: TwilioMock, phone: str) -> tuple[httpx.Client, str]:
    """A client signed in to the console with the code the SMS brought; its session token."""
    from beredskab.phones import normalise_phone
    from web.deps import COOKIE

    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    before = len(mock.sent_to(normalise_phone(phone)))
    client.post("/login", data={"phone": phone, "csrf": csrf}).raise_for_status()
    deadline = time.monotonic() + 10
    while len(mock.sent_to(normalise_phone(phone))) <= before:
        if time.monotonic() > deadline:
            raise RuntimeError("no sign-in code came")
        time.sleep(0.05)
    code = CODE.search(mock.sent_to(normalise_phone(phone))[-1]["Body"])[1]
    done = client.post("/login/kode", data={"phone": phone, "code": code, "csrf": csrf})
    if done.status_code != 303:
        raise RuntimeError(f"sign-in failed: {done.status_code}")
    return client, client.cookies[COOKIE]


def _pages(name: str, base: str, db_url: str, api: httpx.Client, web: httpx.Client) -> None:
    activation = api.post("/activations", json=BODY).json()["id"]
    asyncio.run(_seed_big_log(db_url, activation, LOG_ENTRIES))
    paths = {"board": f"/aktivering/{activation}", "log": f"/aktivering/{activation}/logbog"}
    has_log_page = web.get(paths["log"]).status_code == 200
    timings: dict[str, list[float]] = {"baseline": [], "board": [], "log": []}
    for i in range(REQUESTS + 20):  # interleaved: a noisy moment hits all alike
        for kind, client, path in (
            ("baseline", api, f"/activations/{activation}"),
            ("board", web, paths["board"]),
            *((("log", web, paths["log"]),) if has_log_page else ()),
        ):
            t0 = time.perf_counter()
            r = client.get(path)
            took = (time.perf_counter() - t0) * 1000
            r.raise_for_status()
            if i >= 20:  # the first 20 warm up pools and template caches
                timings[kind].append(took)
    base_p50, base_p99 = percentile(timings["baseline"], 50), percentile(timings["baseline"], 99)
    print(f"  {name:<10} API board JSON (baseline): p50 {base_p50:5.1f} ms  p99 {base_p99:5.1f} ms")
    for kind, label in (("board", "board page"), ("log", "log page")):
        if not timings[kind]:
            # SLOT: the log page is built on another branch; it is measured here once it serves
            print(f"  {name:<10} {label}: not served yet (no {paths[kind].split('/')[-1]} page)")
            continue
        p50, p99 = percentile(timings[kind], 50), percentile(timings[kind], 99)
        print(
            f"  {name:<10} {label} ({LOG_ENTRIES:,} log entries): p50 {p50:5.1f} ms  "
            f"p99 {p99:5.1f} ms  ({p99 / base_p99:.1f}x the baseline's p99)  "
            f"{'meets' if p99 <= TARGET_PAGE_P99_MS else 'MISSES'} p99 <= {TARGET_PAGE_P99_MS:g} ms"
        )


OBSERVE = """([role, name]) => {
  window.__seen = null;
  const check = () => {
    const row = document.querySelector(`tr[data-role="${role}"]`);
    if (window.__seen === null && row && row.textContent.includes(name)
        && row.textContent.includes("Besat")) { window.__seen = Date.now(); }
  };
  new MutationObserver(check).observe(document.getElementById("tavle"),
    {childList: true, subtree: true, characterData: true});
}"""


def _live(name: str, base: str, mock: TwilioMock, api: httpx.Client, token: str) -> None:
    from playwright.sync_api import sync_playwright

    from beredskab.phones import normalise_phone
    from tests.e2e.conftest import CHROMIUM, FLAGS
    from web.deps import COOKIE

    people = _people()
    webhook = f"{base}/webhooks/twilio/sms"
    latencies: list[float] = []
    with sync_playwright() as pw, httpx.Client(timeout=30) as twilio:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = chromium.new_context()
        context.add_cookies([{"name": COOKIE, "value": token, "url": base}])
        context.add_init_script(
            "document.addEventListener('htmx:sseOpen', () => { window.__open = true; });"
        )
        tab = context.new_page()
        for n in range(ACTIVATIONS):
            made = api.post("/activations", json=BODY)
            made.raise_for_status()
            activation, ref = made.json()["id"], made.json()["ref"]
            tab.goto(f"{base}/aktivering/{activation}")
            tab.wait_for_function("window.__open === true")
            tab.wait_for_timeout(300)  # the stream's first event (the board as it is) is in
            for role, person in list(PRIMARIES.items())[:REPLIES_EACH]:
                phone = normalise_phone(people[person]["phone"])
                deadline = time.monotonic() + 10
                while not (texts := [m["Body"] for m in mock.sent_to(phone) if ref in m["Body"]]):
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"no page for {role} in {ref}")
                    time.sleep(0.02)
                code = re.search(r"OK (\d+)", texts[-1])[1]
                tab.evaluate(OBSERVE, [role, people[person]["name"]])
                params = {
                    "MessageSid": f"SM{n:016d}{len(latencies):016d}",
                    "From": phone,
                    "To": TEST_FROM,
                    "Body": f"OK {code}",
                }
                headers = {"X-Twilio-Signature": sign(webhook, params, mock.auth_token)}
                started = time.time() * 1000
                twilio.post(webhook, data=params, headers=headers).raise_for_status()
                tab.wait_for_function("window.__seen !== null", timeout=10_000)
                latencies.append(tab.evaluate("window.__seen") - started)
        chromium.close()
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(
        f"  {name:<10} SMS reply -> role shown on the open board ({len(latencies)} replies, "
        f"{ACTIVATIONS} activations): p50 {p50:4.0f} ms  p99 {p99:4.0f} ms  max "
        f"{max(latencies):4.0f} ms  {'meets' if p99 <= TARGET_LIVE_P99_MS else 'MISSES'} "
        f"p99 <= {TARGET_LIVE_P99_MS:g} ms (the board polls every 250 ms)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.console",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--only", default="pages,live", help="pages, live (default: both)")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], help="only this database")
    args = parser.parse_args(argv)
    parts = set(args.only.split(","))
    print(
        f"console: board and log pages over {LOG_ENTRIES:,} log entries, {REQUESTS} requests; "
        f"{ACTIVATIONS * REPLIES_EACH} SMS replies to an open board in Chromium"
    )
    for name, url in databases():
        if args.db and name != args.db:
            continue
        cli(url, "migrate")
        cli(url, "directory", "import", "data/ddh_directory.yaml")
        steering = token(url, "steering", "--person", STEERING)
        with TwilioMock() as mock:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "SMS_GATEWAY": "twilio",
                "TWILIO_ACCOUNT_SID": mock.account_sid,
                "TWILIO_AUTH_TOKEN": mock.auth_token,
                "TWILIO_FROM": TEST_FROM,
                "TWILIO_API_BASE_URL": mock.base_url,
                "SMS_RATE_PER_SECOND": "1000",
                "PUBLIC_BASE_URL": base,
                "LOG_LEVEL": "WARNING",
            }
            with (
                server(["-m", "beredskab", "serve", "--port", str(port)], env, port),
                httpx.Client(
                    base_url=base, headers={"Authorization": f"Bearer {steering}"}, timeout=30
                ) as api,
            ):
                web, session_token = _sign_in(base, mock, _people()[STEERING]["phone"])
                try:
                    if "pages" in parts:
                        _pages(name, base, url, api, web)
                    if "live" in parts:
                        _live(name, base, mock, api, session_token)
                finally:
                    web.close()


if __name__ == "__main__":
    main()
