"""The layering rules of STYLE.md, checked mechanically: pure rule modules do no I/O, the domain
core never imports the web layer or the SMS adapters (the CLI entrypoint excepted)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE = [
    "beredskab/calendar.py",
    "beredskab/billing.py",
    "beredskab/escalation.py",
    "beredskab/eventlog/chain.py",
    "beredskab/shifts/rules.py",
    "beredskab/shifts/ics.py",
    "beredskab/replies.py",
    "notifications/segments.py",
]
IO_PACKAGES = {
    "sqlmodel",
    "sqlalchemy",
    "fastapi",
    "starlette",
    "httpx",
    "twilio",
    "aiohttp",
    "asyncpg",
    "aiosqlite",
}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", PURE)
def test_pure_rule_modules_import_no_io_library(module):
    assert not imported_top_levels(ROOT / module) & IO_PACKAGES


def test_the_domain_core_never_imports_the_web_layer_or_the_adapters():
    offenders = {
        str(path.relative_to(ROOT)): bad
        for path in (ROOT / "beredskab").rglob("*.py")
        if path.name not in ("cli.py", "runtime.py")  # the composition root wires it together
        and (bad := imported_top_levels(path) & {"api", "notifications"})
    }
    assert offenders == {}
