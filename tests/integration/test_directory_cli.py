"""`beredskab directory import|export|check` as a user runs them: a subprocess on the test db."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest
import yaml

from tests.integration.test_directory import DEMO, DEMO_ROWS, contents, demo

pytestmark = pytest.mark.slow  # subprocesses


async def beredskab(db, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "beredskab",
        "directory",
        *args,
        env={**os.environ, "DATABASE_URL": db.url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    return proc.returncode, out.decode(), err.decode()


def write(path, data: dict) -> str:  # noqa: ANN001
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


async def test_import_then_reimport_reports_nothing_changed(db):
    code, out, _ = await beredskab(db, "import", str(DEMO))
    assert code == 0
    assert out.strip() == f"{DEMO}: {DEMO_ROWS} created, 0 updated, 0 unchanged, 0 removed"
    code, out, _ = await beredskab(db, "import", str(DEMO))
    assert code == 0
    assert f"0 created, 0 updated, {DEMO_ROWS} unchanged, 0 removed: nothing changed" in out


async def test_a_bad_file_exits_1_prints_every_problem_and_imports_nothing(db, tmp_path):
    assert (await beredskab(db, "import", str(DEMO)))[0] == 0
    before = await contents(db)
    data = demo()
    data["people"][12]["phone"] = "+45 123"
    data["people"][3]["org"] = "xyz"
    data["crisis_roster"]["log_keeper"][1] = "p999"
    bad = write(tmp_path / "bad.yaml", data)
    code, out, err = await beredskab(db, "import", bad)
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"{bad}: 3 problem(s); nothing was imported:",
        "  people[3].org: unknown organisation 'xyz'",
        "  people[12].phone: '+45 123' is not a valid phone number",
        "  crisis_roster.log_keeper[1]: unknown person 'p999'",
    ]
    assert await contents(db) == before


async def test_a_yaml_syntax_error_is_reported_with_its_line(db, tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("organisations:\n  - {id: ddh\npeople: []\n", encoding="utf-8")
    code, _, err = await beredskab(db, "import", str(bad))
    assert code == 1 and "  line 3, column 7: " in err


async def test_a_missing_file_exits_1(db, tmp_path):
    code, _, err = await beredskab(db, "import", str(tmp_path / "nope.yaml"))
    assert code == 1 and "cannot read" in err


async def test_export_writes_the_import_format_and_reimports_unchanged(db, tmp_path):
    await beredskab(db, "import", str(DEMO))
    exported = tmp_path / "out.yaml"
    code, out, _ = await beredskab(db, "export", str(exported))
    assert code == 0 and out.strip() == f"directory written to {exported}"
    assert yaml.safe_load(exported.read_text(encoding="utf-8"))["crisis_roster"]["log_keeper"] == [
        "p003",
        "p004",
        "p005",
    ]
    code, out, _ = await beredskab(db, "import", str(exported))
    assert code == 0 and "nothing changed" in out
    code, out, _ = await beredskab(db, "export", "-")
    assert code == 0 and out == exported.read_text(encoding="utf-8")


async def test_check_exits_0_when_ready_and_1_listing_the_gaps(db, tmp_path):
    await beredskab(db, "import", str(DEMO))
    code, out, _ = await beredskab(db, "check")
    assert code == 0 and out.startswith("ready")
    data = demo()
    data["steering_group"] = []
    data["crisis_roster"]["log_keeper"] = ["p003", "p004"]
    await beredskab(db, "import", write(tmp_path / "gaps.yaml", data))
    code, out, _ = await beredskab(db, "check")
    assert code == 1
    assert out.splitlines() == [
        "NOT READY: 2 gap(s)",
        "  too_few_deputies [log_keeper]: log_keeper has 1 deputies, needs 2",
        "  no_steering_group [steering_group]: the steering group is empty",
    ]
