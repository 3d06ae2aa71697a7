"""The directory: all-or-nothing import with exact error paths, export round trip, readiness."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
import yaml
from sqlmodel import func, select

from beredskab.directory.models import (
    MunicipalityContact,
    Organisation,
    Person,
    RosterEntry,
    SteeringMember,
)
from beredskab.directory.service import export_directory, import_directory, load_text, readiness
from beredskab.errors import InvalidInput

DEMO = Path(__file__).resolve().parents[2] / "data" / "ddh_directory.yaml"


def demo() -> dict:
    return yaml.safe_load(DEMO.read_text(encoding="utf-8"))


async def load(session, data: dict):
    return await import_directory(
        session, load_text(yaml.safe_dump(data, allow_unicode=True)), "test"
    )


async def snapshot(db) -> dict:
    async with db.sessionmaker() as s:
        out = {}
        for model in (Organisation, Person, RosterEntry, SteeringMember, MunicipalityContact):
            out[model.__name__] = (await s.exec(select(func.count()).select_from(model))).one()
        out["phones"] = sorted((await s.exec(select(Person.phone))).all())
        return out


async def test_demo_imports_and_reimport_changes_nothing(db, session):
    first = await load(session, demo())
    assert first.created > 150 and not first.updated
    again = await load(session, demo())
    assert not again.changed and again.unchanged == first.created
    exported = await export_directory(session)
    assert not (await load(session, exported)).changed
    assert (await readiness(session)).ready


async def test_bad_file_imports_nothing_and_names_every_problem(db, session):
    await load(session, demo())
    before = await snapshot(db)
    data = demo()
    data["people"][12]["phone"] = "+45 123"
    data["people"][3]["org"] = "atlantis"
    data["crisis_roster"]["log_keeper"][1] = {"person": "p005", "rank": 0}
    data["people"].append({"id": "p999", "name": "Ny", "phone": "+4550100001", "org": "odder"})
    with pytest.raises(InvalidInput) as exc:
        load_text(yaml.safe_dump(data, allow_unicode=True))
    problems = [str(p) for p in exc.value.problems]
    assert "people[12].phone: '+45 123' is not a valid phone number" in problems
    assert "people[3].org: unknown organisation 'atlantis'" in problems
    assert any(
        p.startswith("crisis_roster.log_keeper[1]: rank 0 of log_keeper is already taken")
        for p in problems
    )
    assert any(
        p.startswith("people[75].phone: +4550100001 is already the phone of 'p001'")
        for p in problems
    )
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["crisis_roster"]["process_lead"].append("p999"),
            "crisis_roster.process_lead[3]: unknown person 'p999'",
        ),
        (lambda d: d["crisis_roster"].update(chef=["p001"]), "crisis_roster.chef: unknown role"),
        (
            lambda d: d["crisis_roster"]["log_keeper"].append("p003"),
            "crisis_roster.log_keeper[3]: 'p003' is already on the log_keeper roster",
        ),
        (
            lambda d: d["municipality_contacts"].update(skive=["p023", "p024", "p021"]),
            "municipality_contacts.skive: must list a primary",
        ),
        (
            lambda d: d["organisations"][1].update(kind="galaxy"),
            "organisations[1].kind: 'galaxy' is not one of",
        ),
        (
            lambda d: d["organisations"][1].update(cvr="12"),
            "organisations[1].cvr: '12' is not 8 digits",
        ),
        (
            lambda d: d["people"].append(dict(d["people"][0])),
            "people[75].id: duplicate person id 'p001'",
        ),
        (lambda d: d["steering_group"].append("p012"), "steering_group[9]: 'p012' is listed twice"),
    ],
)
async def test_each_problem_is_reported_with_its_path(mutate, expected):
    data = demo()
    mutate(data)
    with pytest.raises(InvalidInput) as exc:
        load_text(yaml.safe_dump(data, allow_unicode=True))
    assert any(str(p).startswith(expected) for p in exc.value.problems), exc.value.problems


def test_yaml_syntax_error_has_a_line():
    with pytest.raises(InvalidInput) as exc:
        load_text("people: [\n  {id: p1\n")
    assert exc.value.problems[0].field.startswith("line ")


@pytest.mark.parametrize(
    ("mutate", "kind"),
    [
        (lambda d: d["crisis_roster"].update(crisis_leader=[]), "no_primary"),
        (lambda d: d["crisis_roster"].update(log_keeper=["p003", "p004"]), "too_few_deputies"),
        (lambda d: d["municipality_contacts"].update(skive=["p023"]), "no_secondary_contact"),
        (lambda d: d["municipality_contacts"].pop("lemvig"), "no_primary_contact"),
        (lambda d: d.update(steering_group=[]), "no_steering_group"),
        (lambda d: d["people"][5].update(active=False), "inactive_on_roster"),
    ],
)
async def test_readiness_reports_each_kind_of_gap(session, mutate, kind):
    data = demo()
    mutate(data)
    await load(session, data)
    result = await readiness(session)
    assert not result.ready and kind in {g.kind for g in result.gaps}, result.gaps


async def test_people_left_out_of_a_reimport_are_deactivated_not_deleted(session):
    await load(session, demo())
    data = demo()
    data["people"] = [p for p in data["people"] if p["id"] != "p075"]
    data["authority_contacts"].pop("odder")
    report = await load(session, data)
    assert report.updated == 1 and report.removed == 1
    person = await session.get(Person, "p075")
    assert person is not None and person.active is False


async def _cli(db, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "beredskab",
        "directory",
        *args,
        env={**os.environ, "DATABASE_URL": db.url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode, out.decode()


async def test_cli_import_check_export(db, tmp_path):
    code, out = await _cli(db, "import", str(DEMO))
    assert code == 0 and "created" in out
    code, out = await _cli(db, "import", str(DEMO))
    assert code == 0 and "nothing changed" in out
    code, out = await _cli(db, "check")
    assert code == 0 and out.startswith("ready")
    bad = tmp_path / "bad.yaml"
    data = demo()
    data["people"][0]["phone"] = "123"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True))
    code, out = await _cli(db, "import", str(bad))
    assert code == 1 and "people[0].phone: '123' is not a valid phone number" in out
    assert "nothing was imported" in out
    exported = tmp_path / "out.yaml"
    assert (await _cli(db, "export", str(exported)))[0] == 0
    assert yaml.safe_load(exported.read_text())["crisis_roster"]["log_keeper"] == [
        "p003",
        "p004",
        "p005",
    ]
    data = demo()
    data["steering_group"] = []
    bad.write_text(yaml.safe_dump(data, allow_unicode=True))
    await _cli(db, "import", str(bad))
    code, out = await _cli(db, "check")
    assert code == 1 and "no_steering_group" in out
