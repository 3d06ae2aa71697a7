"""`python -m bench.profiled <out> <beredskab args…>`: a beredskab command (e.g. `serve`) under
cProfile, with every SQL statement's time summed by its text; both written to `<out>.prof` and
`<out>.sql.txt` when the command ends (a server ends on SIGTERM). For finding where a path's
time goes in a real server process; `bench/national.py` uses it with BENCH_PROFILE=<dir>."""

from __future__ import annotations

import cProfile
import signal
import sys
import time
from collections import defaultdict

from sqlalchemy import event
from sqlalchemy.engine import Engine


def main(out: str, args: list[str]) -> None:
    spent: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])

    # start times per statement text, first in first out: `direct.fetch_many` announces all its
    # statements before running them, then ends them in order; one that failed never ends
    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        started = conn.info.setdefault("started", defaultdict(list))
        started[statement].append(time.perf_counter())

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        now = time.perf_counter()
        waiting = conn.info.get("started", {}).get(statement) or [now]
        row = spent[" ".join(statement.split())[:300]]
        row[0] += 1
        row[1] += now - waiting.pop(0)

    from beredskab.cli import app

    # uvicorn shuts down on SIGTERM, then raises it again with the handler it found: this one
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    profile = cProfile.Profile()
    profile.enable()
    try:
        app(args, standalone_mode=False)
    finally:
        profile.disable()
        profile.dump_stats(f"{out}.prof")
        with open(f"{out}.sql.txt", "w", encoding="utf-8") as f:
            for text, (n, seconds) in sorted(spent.items(), key=lambda kv: -kv[1][1]):
                f.write(f"{seconds * 1000:10.1f} ms {n:6d}x  {text}\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
