"""The directory file format, without a database: every problem named with its path."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from beredskab.directory.yamlformat import (
    dump_directory_yaml,
    parse_directory_yaml,
    validate_directory,
)
from beredskab.errors import InvalidInput

DEMO_TEXT = (Path(__file__).resolve().parents[2] / "data" / "ddh_directory.yaml").read_text(
    encoding="utf-8"
)
DEMO = parse_directory_yaml(DEMO_TEXT)


def problems_of(data: dict) -> list[str]:
    return [str(p) for p in validate_directory(data)[1]]


def mutated(change) -> dict:  # noqa: ANN001
    data = copy.deepcopy(DEMO)
    change(data)
    return data


def test_demo_file_is_valid_and_phones_are_e164():
    directory, problems = validate_directory(DEMO)
    assert problems == []
    assert len(directory.organisations) == 36 and len(directory.people) == 77
    assert all(p["phone"].startswith("+45") and len(p["phone"]) == 11 for p in directory.people)
    assert ("log_keeper", 2, "p005") in directory.roster
    assert ("skive", 1, "p024") in directory.municipality_contacts


@pytest.mark.parametrize(
    ("raw", "e164"),
    [("20123456", "+4520123456"), ("0045 20123456", "+4520123456"), (20123456, "+4520123456")],
)
def test_phone_numbers_are_normalised_to_e164(raw, e164):
    data = mutated(lambda d: d["people"][0].update(phone=raw))
    assert validate_directory(data)[0].people[0]["phone"] == e164


def test_an_unquoted_international_number_is_read_as_meant():
    data = parse_directory_yaml(DEMO_TEXT.replace("'+4550100001'", "+4550100001"))
    assert validate_directory(data)[0].people[0]["phone"] == "+4550100001"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["people"][12].update(phone="+45 123"),
            "people[12].phone: '+45 123' is not a valid phone number",
        ),
        (
            lambda d: d["people"][12].update(phone="+4512345678"),
            "people[12].phone: '+4512345678' is not a valid phone number",
        ),
        (
            lambda d: d["people"][3].update(org="xyz"),
            "people[3].org: unknown organisation 'xyz'",
        ),
        (
            lambda d: d["crisis_roster"]["log_keeper"].__setitem__(1, "p999"),
            "crisis_roster.log_keeper[1]: unknown person 'p999'",
        ),
        (
            lambda d: d["crisis_roster"]["log_keeper"].__setitem__(1, "p003"),
            "crisis_roster.log_keeper[1]: 'p003' is already on the log_keeper roster",
        ),
        (
            lambda d: d["crisis_roster"]["log_keeper"].__setitem__(
                1, {"person": "p004", "rank": 0}
            ),
            "crisis_roster.log_keeper[1]: rank 0 of log_keeper is already taken by 'p003'",
        ),
        (
            lambda d: d["crisis_roster"].update(chef=["p001"]),
            "crisis_roster.chef: unknown role (roles: crisis_leader, log_keeper, process_lead, "
            "staffing_lead)",
        ),
        (
            lambda d: d["people"].append(dict(d["people"][0], phone="+4520123456")),
            "people[77].id: duplicate person id 'p001'",
        ),
        (
            lambda d: d["organisations"].append(dict(d["organisations"][0])),
            "organisations[36].id: duplicate organisation id 'ddh'",
        ),
        (
            lambda d: d["people"][0].update(grants=["finance", "steering"]),
            "people[0].grants[1]: 'steering' is not one of finance, admin",
        ),
        (
            lambda d: d["people"][0].update(grants=["admin", "admin"]),
            "people[0].grants[1]: 'admin' is listed twice",
        ),
        (
            lambda d: d["people"][0].update(grants="admin"),
            "people[0].grants: must be a list (finance, admin)",
        ),
        (
            lambda d: d["people"][1].update(phone="+4550100001"),
            "people[1].phone: +4550100001 is already the phone of 'p001'",
        ),
        (
            lambda d: d["municipality_contacts"].update(skive=["p023", "p024", "p021"]),
            "municipality_contacts.skive: must list a primary and a secondary contact "
            "(one or two people)",
        ),
        (
            lambda d: d["municipality_contacts"].update(skive=[]),
            "municipality_contacts.skive: must list a primary and a secondary contact "
            "(one or two people)",
        ),
        (
            lambda d: d["municipality_contacts"].update(skive=["p023", "p023"]),
            "municipality_contacts.skive[1]: 'p023' is already the primary contact",
        ),
        (
            lambda d: d["municipality_contacts"].update({"region-sjaelland": ["p074"]}),
            "municipality_contacts.region-sjaelland: 'region-sjaelland' is not a municipality",
        ),
        (
            lambda d: d["municipality_contacts"].update(atlantis=["p001"]),
            "municipality_contacts.atlantis: unknown organisation 'atlantis'",
        ),
        (
            lambda d: d["authority_contacts"].update(kobenhavn="p999"),
            "authority_contacts.kobenhavn: unknown person 'p999'",
        ),
        (
            lambda d: d["steering_group"].append("p012"),
            "steering_group[9]: 'p012' is listed twice",
        ),
        (
            lambda d: d["organisations"][1].update(kind="galaxy"),
            "organisations[1].kind: 'galaxy' is not one of municipality, region, national, "
            "cooperation",
        ),
        (
            lambda d: d["organisations"][1].update(cvr="1234"),
            "organisations[1].cvr: '1234' is not 8 digits (write it in quotes)",
        ),
        (
            lambda d: d["organisations"][1].update(ean="57980000"),
            "organisations[1].ean: '57980000' is not 13 digits (write it in quotes)",
        ),
        (
            lambda d: d["people"][0].update(email="jens.aarhus.dk"),
            "people[0].email: 'jens.aarhus.dk' is not an e-mail address",
        ),
        (
            lambda d: d["people"][0].update(active="ja"),
            "people[0].active: must be true or false, got 'ja'",
        ),
        (lambda d: d["people"][0].pop("name"), "people[0].name: is required"),
        (lambda d: d["people"][0].update(shoe=42), "people[0].shoe: is not a known field"),
        (lambda d: d.update(pets=[]), "pets: is not a known section"),
        (lambda d: d.update(people={}), "people: must be a list"),
        (lambda d: d.update(municipality_contacts=["p001"]), "municipality_contacts: must be a"),
    ],
)
def test_each_problem_is_reported_with_its_path(change, expected):
    problems = problems_of(mutated(change))
    assert any(p.startswith(expected) for p in problems), problems


def test_every_problem_in_a_file_is_reported_at_once():
    def break_three_things(d: dict) -> None:
        d["people"][12]["phone"] = "+45 123"
        d["people"][3]["org"] = "xyz"
        d["crisis_roster"]["process_lead"].append("p999")

    assert problems_of(mutated(break_three_things)) == [
        "people[3].org: unknown organisation 'xyz'",
        "people[12].phone: '+45 123' is not a valid phone number",
        "crisis_roster.process_lead[3]: unknown person 'p999'",
    ]


def test_optional_fields_are_accepted():
    def add(d: dict) -> None:
        d["organisations"][1].update(cvr="29189846", ean="5798000420045")
        d["people"][0].update(email="jens@example.dk", active=False)

    directory, problems = validate_directory(mutated(add))
    assert problems == []
    assert directory.organisations[1]["cvr"] == "29189846"
    assert directory.people[0]["email"] == "jens@example.dk"
    assert directory.people[0]["active"] is False


def test_a_gap_in_the_ranks_can_be_written_explicitly():
    data = mutated(
        lambda d: d["crisis_roster"].update(crisis_leader=["p001", {"person": "p002", "rank": 3}])
    )
    assert ("crisis_leader", 3, "p002") in validate_directory(data)[0].roster


def test_yaml_syntax_error_names_its_line():
    with pytest.raises(InvalidInput) as exc:
        parse_directory_yaml("organisations:\n  - {id: ddh, name: x\npeople: []\n")
    assert exc.value.problems[0].field == "line 3, column 7"


def test_duplicate_yaml_keys_are_errors_not_silently_dropped():
    text = "crisis_roster:\n  log_keeper: [p003]\n  log_keeper: [p004]\n"
    with pytest.raises(InvalidInput) as exc:
        parse_directory_yaml(text)
    assert [str(p) for p in exc.value.problems] == ["line 3, column 3: duplicate key 'log_keeper'"]


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text"])
def test_a_file_that_is_not_a_mapping_is_refused(text):
    with pytest.raises(InvalidInput) as exc:
        parse_directory_yaml(text)
    assert exc.value.problems[0].field == "file"


def test_dump_writes_one_line_per_row_and_parses_back_the_same():
    directory, _ = validate_directory(DEMO)
    data = copy.deepcopy(DEMO)
    text = dump_directory_yaml(data)
    assert "- {id: p001, name: Jens Rasmussen, phone: '+4550100001', org: aarhus" in text
    assert "  log_keeper: [p003, p004, p005]" in text
    assert validate_directory(parse_directory_yaml(text)) == (directory, [])
    assert yaml.safe_load(text) == DEMO
