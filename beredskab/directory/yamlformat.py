"""The directory file format (data/ddh_directory.yaml): parse and validate with exact paths.

Validation is by hand, not pydantic, so that every problem is named the way a person editing the
file sees it: `people[12].phone: '+45 123' is not a valid phone number`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from beredskab.directory.models import OrgKind, Role
from beredskab.errors import FieldProblem
from beredskab.phones import normalise_phone

ORG_KEYS = {"id", "name", "kind", "ddh_member", "contact_centre", "network", "cvr", "ean"}
PERSON_KEYS = {"id", "name", "phone", "org", "title", "email", "active"}
TOP_KEYS = {
    "organisations",
    "people",
    "crisis_roster",
    "steering_group",
    "municipality_contacts",
    "authority_contacts",
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class Directory:
    """A validated directory, ready to be written."""

    organisations: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    roster: list[tuple[str, int, str]] = field(default_factory=list)  # (role, rank, person)
    steering: list[str] = field(default_factory=list)
    municipality_contacts: list[tuple[str, int, str]] = field(default_factory=list)
    authority_contacts: list[tuple[str, str]] = field(default_factory=list)


def parse_yaml(text: str) -> tuple[Any, list[FieldProblem]]:
    try:
        return yaml.safe_load(text), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        return None, [FieldProblem(where, str(getattr(exc, "problem", None) or exc))]


class _Checker:
    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def add(self, path: str, reason: str) -> None:
        self.problems.append(FieldProblem(path, reason))

    def text(self, obj: dict, key: str, path: str, *, required: bool = True) -> str | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.add(f"{path}.{key}", "is required")
            return None
        if not isinstance(value, str | int) or not str(value).strip():
            self.add(f"{path}.{key}", f"must be text, got {value!r}")
            return None
        return str(value).strip()

    def flag(self, obj: dict, key: str, path: str, default: bool) -> bool:
        value = obj.get(key, default)
        if not isinstance(value, bool):
            self.add(f"{path}.{key}", f"must be true or false, got {value!r}")
            return default
        return value

    def unknown_keys(self, obj: dict, allowed: set[str], path: str) -> None:
        for key in sorted(set(obj) - allowed, key=str):
            self.add(f"{path}.{key}", "is not a known field")


def validate(data: Any) -> tuple[Directory, list[FieldProblem]]:  # noqa: C901 - one pass, many checks
    c = _Checker()
    d = Directory()
    if not isinstance(data, dict):
        c.add("file", "must be a mapping with organisations, people, crisis_roster, …")
        return d, c.problems
    for key in sorted(set(data) - TOP_KEYS, key=str):
        c.add(str(key), f"is not a known section ({', '.join(sorted(TOP_KEYS))})")

    orgs: dict[str, dict] = {}
    for i, org in enumerate(_list(c, data, "organisations")):
        path = f"organisations[{i}]"
        if not isinstance(org, dict):
            c.add(path, "must be a mapping")
            continue
        c.unknown_keys(org, ORG_KEYS, path)
        oid, name = c.text(org, "id", path), c.text(org, "name", path)
        kind = c.text(org, "kind", path)
        if kind is not None and kind not in OrgKind.__members__:
            c.add(f"{path}.kind", f"{kind!r} is not one of {', '.join(OrgKind.__members__)}")
            kind = None
        row = {
            "id": oid,
            "name": name,
            "kind": kind,
            "ddh_member": c.flag(org, "ddh_member", path, False),
            "contact_centre": c.flag(org, "contact_centre", path, False),
            "network": c.text(org, "network", path, required=False),
            "cvr": c.text(org, "cvr", path, required=False),
            "ean": c.text(org, "ean", path, required=False),
        }
        if row["cvr"] and not re.fullmatch(r"\d{8}", row["cvr"]):
            c.add(f"{path}.cvr", f"{row['cvr']!r} is not 8 digits")
        if row["ean"] and not re.fullmatch(r"\d{13}", row["ean"]):
            c.add(f"{path}.ean", f"{row['ean']!r} is not 13 digits")
        if oid is not None and oid in orgs:
            c.add(f"{path}.id", f"duplicate organisation id {oid!r}")
        elif oid is not None and name and kind:
            orgs[oid] = row
            d.organisations.append(row)

    people: dict[str, dict] = {}
    phones: dict[str, str] = {}
    for i, person in enumerate(_list(c, data, "people")):
        path = f"people[{i}]"
        if not isinstance(person, dict):
            c.add(path, "must be a mapping")
            continue
        c.unknown_keys(person, PERSON_KEYS, path)
        pid, name = c.text(person, "id", path), c.text(person, "name", path)
        raw_phone, org = c.text(person, "phone", path), c.text(person, "org", path)
        phone = None
        if raw_phone is not None:
            try:
                phone = normalise_phone(raw_phone)
            except ValueError as exc:
                c.add(f"{path}.phone", str(exc))
        if phone and phone in phones:
            c.add(f"{path}.phone", f"{phone} is already the phone of {phones[phone]!r}")
        if org is not None and org not in orgs:
            c.add(f"{path}.org", f"unknown organisation {org!r}")
        email = c.text(person, "email", path, required=False)
        if email and not EMAIL.match(email):
            c.add(f"{path}.email", f"{email!r} is not an e-mail address")
        if pid is not None and pid in people:
            c.add(f"{path}.id", f"duplicate person id {pid!r}")
            continue
        row = {
            "id": pid,
            "name": name,
            "phone": phone,
            "org_id": org,
            "title": c.text(person, "title", path, required=False),
            "email": email,
            "active": c.flag(person, "active", path, True),
        }
        if pid is not None:
            people[pid] = row
            if phone:
                phones[phone] = pid
            d.people.append(row)

    def person_ref(value: Any, path: str) -> str | None:
        if not isinstance(value, str) or value not in people:
            c.add(path, f"unknown person {value!r}")
            return None
        return value

    roster = data.get("crisis_roster") or {}
    if not isinstance(roster, dict):
        c.add("crisis_roster", "must map each role to its ranked people")
        roster = {}
    for role, entries in roster.items():
        path = f"crisis_roster.{role}"
        if role not in Role.__members__:
            c.add(path, f"unknown role (roles: {', '.join(Role.__members__)})")
            continue
        if not isinstance(entries, list):
            c.add(path, "must be a list, primary first")
            continue
        taken: dict[int, str] = {}
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            epath = f"{path}[{i}]"
            rank = i
            if isinstance(entry, dict):  # {person: p001, rank: 2}
                rank = entry.get("rank", i)
                if not isinstance(rank, int) or rank < 0:
                    c.add(f"{epath}.rank", f"must be a whole number from 0, got {rank!r}")
                    continue
                entry = entry.get("person")
            pid = person_ref(entry, epath)
            if pid is None:
                continue
            if rank in taken:
                c.add(epath, f"rank {rank} of {role} is already taken by {taken[rank]!r}")
                continue
            if pid in seen:
                c.add(epath, f"{pid!r} is already on the {role} roster")
                continue
            taken[rank] = pid
            seen.add(pid)
            d.roster.append((role, rank, pid))

    steering = data.get("steering_group") or []
    if not isinstance(steering, list):
        c.add("steering_group", "must be a list of people")
        steering = []
    for i, entry in enumerate(steering):
        pid = person_ref(entry, f"steering_group[{i}]")
        if pid is not None and pid in d.steering:
            c.add(f"steering_group[{i}]", f"{pid!r} is listed twice")
        elif pid is not None:
            d.steering.append(pid)

    for org_id, contacts in (data.get("municipality_contacts") or {}).items():
        path = f"municipality_contacts.{org_id}"
        if org_id not in orgs:
            c.add(path, f"unknown organisation {org_id!r}")
            continue
        if not isinstance(contacts, list) or not 1 <= len(contacts) <= 2:
            c.add(path, "must list a primary and a secondary contact (one or two people)")
            continue
        if len(set(map(str, contacts))) != len(contacts):
            c.add(path, "the primary and the secondary must be different people")
            continue
        for rank, entry in enumerate(contacts):
            pid = person_ref(entry, f"{path}[{rank}]")
            if pid is not None:
                d.municipality_contacts.append((org_id, rank, pid))

    for org_id, contacts in (data.get("authority_contacts") or {}).items():
        path = f"authority_contacts.{org_id}"
        if org_id not in orgs:
            c.add(path, f"unknown organisation {org_id!r}")
            continue
        entries = contacts if isinstance(contacts, list) else [contacts]
        for i, entry in enumerate(entries):
            pid = person_ref(entry, f"{path}[{i}]" if isinstance(contacts, list) else path)
            if pid is not None:
                d.authority_contacts.append((org_id, pid))
    return d, c.problems


def _list(c: _Checker, data: dict, key: str) -> list:
    value = data.get(key)
    if value is None:
        c.add(key, "is required")
        return []
    if not isinstance(value, list):
        c.add(key, "must be a list")
        return []
    return value
