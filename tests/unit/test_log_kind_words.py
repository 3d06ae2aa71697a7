"""Every kind of log entry the code writes has a Danish word on the Logbog page.

There is no single list of kinds: they are the third argument of each `eventlog.append` call.
This reads them from the source; a kind not written literally must be named in DYNAMIC (with
the values it can take), so a new computed kind fails here until it is looked at."""

from __future__ import annotations

import ast
from pathlib import Path

from beredskab.activations.models import ActivationStatus
from beredskab.shifts import rules
from web.words import LOG_KIND, LOG_KIND_MANUAL

ROOT = Path(__file__).resolve().parents[2] / "beredskab"
# the calls whose kind is computed: (file, the expression) -> the kinds it can be
DYNAMIC = {
    ("flows/closing.py", "status.value"): {
        ActivationStatus.stood_down.value,
        ActivationStatus.rejected.value,
        ActivationStatus.cancelled.value,
    },
    ("shifts/ending.py", "plan.kind"): {"shift_ended_early", "shift_cancelled"},
    ("shifts/checkpoints.py", "kind"): {kind for kind, _ in rules.CHECKPOINTS},
}
# the log's own plumbing, which passes a kind through
PASSING = {("eventlog/service.py", "kind"), ("eventlog/timeline.py", "data.kind")}


def _written() -> tuple[set[str], set[tuple[str, str]]]:
    literal: set[str] = set()
    computed: set[tuple[str, str]] = set()
    for path in ROOT.rglob("*.py"):
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            position = {"append": 2, "chained": 3}.get(name)
            if position is None or len(node.args) <= position:
                continue
            if name == "append" and not ast.unparse(func).startswith("eventlog."):
                continue
            kind = node.args[position]
            if isinstance(kind, ast.Constant) and isinstance(kind.value, str):
                literal.add(kind.value)
            else:
                computed.add((where, ast.unparse(kind)))
    return literal, computed


def test_every_written_kind_is_known_here():
    literal, computed = _written()
    assert len(literal) > 30  # the scan finds the calls at all
    assert computed - PASSING == set(DYNAMIC), "a computed log kind: name its values in DYNAMIC"


def test_every_written_kind_has_a_danish_word():
    literal, _ = _written()
    kinds = literal.union(*DYNAMIC.values(), LOG_KIND_MANUAL)
    assert sorted(kinds - LOG_KIND.keys()) == []
