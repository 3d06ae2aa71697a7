"""The national run's verdict (P8, `bench/national.py`): webhook latency beside the empty POST,
every page and every SMS sent once, every reply processed, allocations exact, fan-out."""

from __future__ import annotations

import os
from collections import Counter

from bench.common import percentile
from bench.sms import CODE, Replier

TARGET_P99_MS = 50.0
TARGET_RATE_TOLERANCE = 0.05


def _rate(messages: list[dict], last: float, burst: float) -> float:
    """SMS/s from the first message to `last`, once the first burst (full buckets) has left."""
    times = sorted(m["received_at"] for m in messages if m["received_at"] <= last)
    k = min(int(burst), len(times) - 2)
    return (len(times) - 1 - k) / (times[-1] - times[k])


def report(out: dict, *, places: int, rate: float, retries: list[tuple[str, str]]) -> None:
    """Print the run's figures beside the targets (see bench/national.py)."""
    replier: Replier = out["replier"]
    replicas, workers = len(replier.clients), len(out["senders"])
    ms = [m for _, m, _ in replier.latencies]
    p50, p99 = percentile(ms, 50), percentile(ms, 99)
    b50, b99 = percentile(replier.baseline, 50), percentile(replier.baseline, 99)
    per = [[m for r, m, _ in replier.latencies if r == i] for i in range(replicas)]
    split = out["phases"][1][0]["received_at"] if out["phases"][1] else float("inf")
    phases = [[m for _, m, t in replier.latencies if (t >= split) == late] for late in (0, 1)]
    after = [m for _, m, t in replier.latencies if t >= out["all_open"]]
    print(
        f"  postgresql webhook p99 {p99:.1f} ms (p50 {p50:.1f}) over {len(ms)} replies; replicas "
        + ", ".join(f"p99 {percentile(p, 99):.1f}" for p in per)
        + " ms; primaries, secondaries "
        + ", ".join(f"p99 {percentile(p, 99):.1f}" for p in phases if p)
        + f" ms; empty POST p99 {b99:.1f} ms (p50 {b50:.1f}): "
        f"{'meets' if p99 <= TARGET_P99_MS else 'MISSES'} p99 <= {TARGET_P99_MS:.0f} ms"
    )
    if after:  # the replicas were opening activations (heavy use cases) before this
        print(
            f"  {'':<10} {len(after)} replies after the last activation was opened: p99 "
            f"{percentile(after, 99):.1f} ms (p50 {percentile(after, 50):.1f})"
        )
    if os.environ.get("BENCH_NATIONAL_SLOWEST"):
        t0 = out["phases"][0][0]["received_at"]
        for ms_, at, page in sorted(replier.slowest, reverse=True)[:12]:
            print(f"  {'':<10}   slow reply {ms_:.0f} ms sent at +{at - t0:.2f} s to: {page}")
    db = out["db"]
    # a code is unique within its activation only: a page is its code, person and reference
    sent_by_code = Counter(
        (m["To"], c.group(1), m["Body"].split(":", 1)[0].rsplit(" ", 1)[-1])
        for m in out["all"]
        if (c := CODE.search(m["Body"]))
    )
    pages = db["pages"]
    once = sum(1 for code, phone, _, ref in pages if sent_by_code[(phone, code, ref)] == 1)
    secondaries = sum(1 for _, _, rank, _ in pages if rank == 1)
    # the same person holding one code in two activations: "JA <kode>" goes to the newest page
    shared = sum(n - 1 for n in Counter((phone, code) for code, phone, _, _ in pages).values())
    statuses = Counter(status for status, *_ in db["sms"])
    outbox = Counter((to, body) for status, to, body in db["sms"] if status == "sent")
    accepted = Counter((m["To"], m["Body"]) for m in out["all"])
    exact_sms = outbox == accepted
    by_worker = Counter(m["From"] for m in out["all"])
    print(
        f"  {'':<10} pages: {len(pages)} ({len(pages) - secondaries} primaries, {secondaries} "
        f"secondaries after {out['moved']} timeouts), each sent exactly once: "
        f"{'yes' if once == len(pages) else f'NO ({once} of {len(pages)})'}; outbox SMS "
        f"{dict(statuses)}, each one sent accepted once: {'yes' if exact_sms else 'NO'}; "
        "by worker " + ", ".join(f"{by_worker[s]}" for s in out["senders"])
    )
    if shared:
        print(f"  {'':<10} {shared} pages share their person and code with another activation's")
    outcomes = db["outcomes"]
    errors = sum(n for o, n in outcomes.items() if o.startswith("error"))
    processed = sum(outcomes.values()) - out["warm_replies"]
    print(
        f"  {'':<10} replies: {len(replier.replied)} sent, {processed} stored, {errors} in error,"
        f" {len(replier.failures)} answered otherwise than empty TwiML; outcomes "
        + ", ".join(f"{o} {n}" for o, n in sorted(outcomes.items()))
    )
    # on PostgreSQL the webhook keeps every reply in line: processed_at is the drain's commit
    waited = db["waits"]
    print(
        f"  {'':<10} every reply (warm-up included), from its arrival until the drain took "
        f"it up (its work committed a few ms later): p50 {percentile(waited, 50):.0f} ms, "
        f"p99 {percentile(waited, 99):.0f} ms, "
        f"max {max(waited):.0f} ms over {len(waited)}"
    )
    exact = [
        s["agents_allocated"] == places
        and len({a["org_id"] for a in s["allocations"]}) == places
        and s["open_pages"] == 0
        for s in out["shifts"]
    ]
    wrong = [(s["agents_allocated"], len(s["allocations"]), s["open_pages"]) for s in out["shifts"]]
    print(
        f"  {'':<10} allocations (through the API): {sum(exact)} of {len(exact)} shifts hold "
        f"exactly {places} agents from {places} municipalities, no page left open"
        + ("" if all(exact) else f": (agents, municipalities, open pages) {wrong}")
    )
    for phase, messages in zip(("primaries", "secondaries"), out["phases"], strict=True):
        pages_at = [m["received_at"] for m in messages if CODE.search(m["Body"])]
        if len(pages_at) < 2:
            continue
        last = max(pages_at)
        total = _rate(messages, last, rate) / rate
        each = [
            _rate([m for m in messages if m["From"] == s], last, rate / workers) / (rate / workers)
            for s in out["senders"]
        ]
        print(
            f"  {'':<10} fan-out, {phase}: {len(messages)} SMS, {total:.3f}x of {rate:g} SMS/s "
            f"({'within' if abs(1 - total) <= TARGET_RATE_TOLERANCE else 'NOT within'} 5 %); "
            "each worker " + ", ".join(f"{e:.3f}x" for e in each) + f" of {rate / workers:g}"
        )
    cpu = out["cpu"]
    print(
        f"  {'':<10} CPU used in the run: replicas "
        + ", ".join(f"{c:.1f}" for c in cpu[:replicas])
        + " s, workers "
        + ", ".join(f"{c:.1f}" for c in cpu[replicas:])
        + f" s; {1000 * sum(cpu[:replicas]) / max(1, len(ms)):.0f} ms of replica CPU per reply"
        " (the openings included)"
    )
    print(
        f"  {'':<10} requests answered 409 (try again) and sent again: "
        f"{_retried(retries) or 'none'}; load average (1 min) at start, between phases, end: "
        f"{out['load']}"
    )


def _retried(retries: list[tuple[str, str]]) -> str:
    """'2 activation (reference taken), 1 shift (reply code)': what was sent again, and why."""
    counts = Counter(
        (what, "reply code" if "reply code" in why else "reference taken") for what, why in retries
    )
    return ", ".join(f"{n} {what} ({why})" for (what, why), n in sorted(counts.items()))
