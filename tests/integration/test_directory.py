"""The directory service on SQLite and PostgreSQL: import as a sync, all or nothing; export round
trip; readiness gaps; who is on duty."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select

from beredskab.directory.models import (
    AuthorityContact,
    DirectoryImport,
    MunicipalityContact,
    Organisation,
    Person,
    RosterEntry,
    SteeringMember,
)
from beredskab.directory.readiness import on_duty, readiness
from beredskab.directory.sync import export_directory, import_directory
from beredskab.directory.yamlformat import dump_directory_yaml, parse_directory_yaml
from beredskab.errors import InvalidInput
from beredskab.outbox import OutboxMessage

DEMO = Path(__file__).resolve().parents[2] / "data" / "ddh_directory.yaml"
DEMO_ROWS = 36 + 77 + 11 + 9 + 52 + 3 + 2  # orgs, people, roster, steering, contacts, grants


def demo() -> dict:
    return parse_directory_yaml(DEMO.read_text(encoding="utf-8"))


async def load(session, data: dict, source: str = "test"):
    """Import, as the CLI does (the import commits its own transaction)."""
    return await import_directory(session, data, source)


async def import_demo(session) -> None:
    await load(session, demo(), str(DEMO))


async def contents(db) -> dict:
    """Every directory row, in a fresh session, for before/after comparisons."""
    async with db.sessionmaker() as s:
        out = {}
        for model in (
            Organisation,
            Person,
            RosterEntry,
            SteeringMember,
            MunicipalityContact,
            AuthorityContact,
        ):
            # roster ids are surrogate keys: a rewrite with the same content is no change
            cols = [
                c.name for c in model.__table__.columns if (model, c.name) != (RosterEntry, "id")
            ]
            rows = (await s.exec(select(model))).all()
            out[model.__name__] = sorted(tuple(getattr(r, c) for c in cols) for r in rows)
        out["imports"] = (await s.exec(select(func.count()).select_from(DirectoryImport))).one()
        return out


async def test_demo_directory_imports_everything(session):
    report = await load(session, demo())
    assert (report.created, report.updated, report.unchanged, report.removed) == (
        DEMO_ROWS,
        0,
        0,
        0,
    )
    p001 = await session.get(Person, "p001")
    assert p001 is not None and p001.phone == "+4550100001" and p001.active


async def test_reimporting_the_same_file_changes_nothing_and_says_so(db, session):
    await import_demo(session)
    before = await contents(db)
    report = await load(session, demo())
    assert str(report) == f"0 created, 0 updated, {DEMO_ROWS} unchanged, 0 removed: nothing changed"
    after = await contents(db)
    assert after.pop("imports") == before.pop("imports") + 1
    assert after == before


async def test_every_import_is_recorded(session):
    await import_demo(session)
    await load(session, demo(), "second.yaml")
    rows = (await session.exec(select(DirectoryImport).order_by(DirectoryImport.id))).all()
    assert [(r.source, r.created, r.unchanged) for r in rows] == [
        (str(DEMO), DEMO_ROWS, 0),
        ("second.yaml", 0, DEMO_ROWS),
    ]


async def test_export_then_import_changes_nothing(session):
    data = demo()
    data["organisations"][1].update(cvr="29189846", ean="5798000420045")
    data["people"][0].update(email="jens@example.dk")
    data["people"][74].update(active=False)
    data["crisis_roster"]["crisis_leader"] = ["p001", {"person": "p002", "rank": 3}]
    data["authority_contacts"]["odder"] = ["p075", "p011"]
    await load(session, data)
    text = dump_directory_yaml(await export_directory(session))
    report = await load(session, parse_directory_yaml(text))
    assert not report.changed, report
    assert dump_directory_yaml(await export_directory(session)) == text


async def test_a_bad_file_imports_nothing_and_names_each_problem(db, session):
    await import_demo(session)
    before = await contents(db)
    data = demo()
    data["people"][12]["phone"] = "+45 123"
    data["people"][3]["org"] = "xyz"
    data["crisis_roster"]["log_keeper"][1] = {"person": "p005", "rank": 0}
    data["people"][0]["name"] = "Changed Name"  # a valid change must not slip through either
    with pytest.raises(InvalidInput) as exc:
        await import_directory(session, data, "bad.yaml")
    await session.rollback()
    assert [str(p) for p in exc.value.problems] == [
        "people[3].org: unknown organisation 'xyz'",
        "people[12].phone: '+45 123' is not a valid phone number",
        "crisis_roster.log_keeper[1]: rank 0 of log_keeper is already taken by 'p003'",
    ]
    assert await contents(db) == before


async def test_people_left_out_are_deactivated_not_deleted(session):
    await import_demo(session)
    data = demo()
    data["people"] = [p for p in data["people"] if p["id"] != "p075"]
    del data["authority_contacts"]["odder"]
    report = await load(session, data)
    assert (report.created, report.updated, report.removed) == (0, 1, 1)
    person = await session.get(Person, "p075")
    assert person is not None and person.active is False
    # putting them back reactivates them
    assert (await load(session, demo())).updated == 1
    await session.refresh(person)
    assert person.active is True


async def test_two_people_may_swap_phone_numbers(session):
    await import_demo(session)
    data = demo()
    people = data["people"]
    people[0]["phone"], people[1]["phone"] = people[1]["phone"], people[0]["phone"]
    report = await load(session, data)
    assert report.updated == 2
    assert (await session.get(Person, "p001")).phone == "+4550100038"


async def test_numbers_of_a_first_load_start_verified_later_ones_do_not(session):
    """#15.2: the first load takes over the phone list in use (no SMS); a later import that adds
    a person or changes a number leaves it unverified and sends it a code."""
    await import_demo(session)
    people = (await session.exec(select(Person))).all()
    assert all(p.phone_verified_at is not None and p.phone_code is None for p in people)
    assert (await session.exec(select(func.count()).select_from(OutboxMessage))).one() == 0
    data = demo()
    data["people"][0]["phone"] = "+4520123456"
    data["people"].append({**data["people"][1], "id": "p900", "phone": "+4520123499"})
    await load(session, data)
    changed, added, same = [await session.get(Person, pid) for pid in ("p001", "p900", "p002")]
    await session.refresh(changed)
    assert changed.phone_verified_at is None and changed.phone_code is not None
    assert added.phone_verified_at is None and added.phone_code is not None
    assert same.phone_verified_at is not None
    sent = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.recipient))).all()
    assert [(m.recipient, m.person_id) for m in sent] == [
        ("+4520123456", "p001"),
        ("+4520123499", "p900"),
    ]
    assert f"Svar OK {changed.phone_code} " in sent[0].body


async def test_a_number_still_held_by_someone_left_out_is_refused(db, session):
    await import_demo(session)
    before = await contents(db)
    data = demo()
    gone = data["people"].pop(74)
    del data["authority_contacts"]["odder"]
    data["people"].append({"id": "p099", "name": "Ny", "phone": gone["phone"], "org": "odder"})
    with pytest.raises(InvalidInput) as exc:
        await import_directory(session, data, "bad.yaml")
    await session.rollback()
    assert [str(p) for p in exc.value.problems] == [
        "people[76].phone: +4550102739 is the phone of 'p075', who is not in this file "
        "(list them with another number, active: false if they have left)"
    ]
    assert await contents(db) == before


async def test_a_new_roster_order_replaces_the_ranks(session):
    await import_demo(session)
    data = demo()
    data["crisis_roster"]["log_keeper"] = ["p004", "p003", "p005"]
    data["steering_group"] = data["steering_group"][:-1]
    report = await load(session, data)
    assert (report.created, report.removed) == (2, 3)
    rows = (
        await session.exec(
            select(RosterEntry.person_id)
            .where(RosterEntry.role == "log_keeper")
            .order_by(RosterEntry.rank)
        )
    ).all()
    assert rows == ["p004", "p003", "p005"]


async def test_the_demo_directory_is_ready(session):
    await import_demo(session)
    result = await readiness(session)
    assert result.ready and result.gaps == []


async def test_an_empty_directory_is_not_ready(session):
    result = await readiness(session)
    kinds = {g.kind for g in result.gaps}
    assert not result.ready
    assert {"no_primary", "too_few_deputies", "no_steering_group"} <= kinds


def _deactivate(pid: str):
    def change(d: dict) -> None:
        next(p for p in d["people"] if p["id"] == pid)["active"] = False

    return change


@pytest.mark.parametrize(
    ("change", "gaps"),
    [
        (
            lambda d: d["crisis_roster"].update(crisis_leader=[{"person": "p002", "rank": 1}]),
            [
                ("no_primary", "crisis_leader", "crisis_leader has no primary"),
            ],
        ),
        (
            lambda d: d["crisis_roster"].update(log_keeper=["p003", "p004"]),
            [
                ("too_few_deputies", "log_keeper", "log_keeper has 1 deputies, needs 2"),
            ],
        ),
        (
            lambda d: d["crisis_roster"].update(crisis_leader=["p001"]),
            [
                ("too_few_deputies", "crisis_leader", "crisis_leader has 0 deputies, needs 1"),
            ],
        ),
        (
            lambda d: d["municipality_contacts"].update(skive=["p023"]),
            [
                ("no_secondary_contact", "skive", "Skive Kommune has no secondary contact"),
            ],
        ),
        (
            lambda d: d["municipality_contacts"].pop("lemvig"),
            [
                ("no_primary_contact", "lemvig", "Lemvig Kommune has no primary contact"),
                ("no_secondary_contact", "lemvig", "Lemvig Kommune has no secondary contact"),
            ],
        ),
        (
            lambda d: d.update(steering_group=[]),
            [
                ("no_steering_group", "steering_group", "the steering group is empty"),
            ],
        ),
        (
            _deactivate("p004"),
            [
                ("inactive_on_roster", "log_keeper", "p004 (rank 1) is inactive"),
            ],
        ),
        (
            _deactivate("p013"),
            [
                ("inactive_in_steering_group", "steering_group", "p013 is inactive"),
            ],
        ),
        (
            _deactivate("p024"),
            [
                ("inactive_contact", "skive", "Skive Kommune's secondary contact p024 is inactive"),
            ],
        ),
        (
            _deactivate("p073"),
            [
                ("inactive_contact", "kobenhavn", "authority contact p073 is inactive"),
            ],
        ),
    ],
    ids=[
        "role_without_primary",
        "too_few_deputies",
        "leader_without_deputy",
        "only_a_primary_contact",
        "no_contacts",
        "empty_steering_group",
        "inactive_on_roster",
        "inactive_in_steering_group",
        "inactive_municipality_contact",
        "inactive_authority_contact",
    ],
)
async def test_readiness_reports_each_kind_of_gap(session, change, gaps):
    data = demo()
    change(data)
    await load(session, data)
    result = await readiness(session)
    assert not result.ready
    assert [(g.kind, g.subject, g.detail) for g in result.gaps] == gaps


async def test_municipalities_outside_the_contact_centre_need_no_contacts(session):
    data = demo()
    del data["municipality_contacts"]["skive"]
    next(o for o in data["organisations"] if o["id"] == "skive")["contact_centre"] = False
    await load(session, data)
    assert (await readiness(session)).ready


async def test_an_inactive_persons_gap_names_the_person(session):
    data = demo()
    _deactivate("p024")(data)
    _deactivate("p004")(data)
    await load(session, data)
    gaps = (await readiness(session)).gaps
    assert [(g.kind, g.person_id) for g in gaps] == [
        ("inactive_on_roster", "p004"),
        ("inactive_contact", "p024"),
    ]


async def test_on_duty_lists_each_role_in_rank_order_with_contacts_primary_first(session):
    data = demo()
    data["crisis_roster"]["log_keeper"] = ["p005", "p003", "p004"]
    _deactivate("p004")(data)
    await load(session, data)
    duty = await on_duty(session)
    assert [p.person_id for p in duty.roster["log_keeper"]] == ["p005", "p003", "p004"]
    assert [p.active for p in duty.roster["log_keeper"]] == [True, True, False]
    assert duty.roster["crisis_leader"][0].phone == "+4550100001"
    assert [p.person_id for p in duty.steering] == data["steering_group"]
    skive = next(m for m in duty.municipalities if m.org_id == "skive")
    assert [p.person_id for p in skive.people] == ["p023", "p024"]
    assert [m.name for m in duty.municipalities] == sorted(m.name for m in duty.municipalities)
    assert {a.org_id: [p.person_id for p in a.people] for a in duty.authorities} == {
        "kobenhavn": ["p073"],
        "odder": ["p075"],
        "region-sjaelland": ["p074"],
    }
    assert duty.required_deputies["log_keeper"] == 2


async def test_on_duty_of_an_empty_directory_is_empty(session):
    duty = await on_duty(session)
    assert all(people == [] for people in duty.roster.values())
    assert (duty.steering, duty.municipalities, duty.authorities) == ([], [], [])
