"""The directory file format (data/ddh_directory.yaml): parse, validate with exact paths, dump.

Pure: no database. Validation is by hand, not pydantic, so that every problem is named the way a
person editing the file sees it (`people[12].phone: '+45 123' is not a valid phone number`) and
all of them are collected in one pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from beredskab.directory.models import Grant, OrgKind
from beredskab.errors import FieldProblem, InvalidInput
from beredskab.phones import normalise_phone
from beredskab.roles import Role

ORG_KEYS = {
    "id",
    "name",
    "kind",
    "ddh_member",
    "contact_centre",
    "network",
    "cvr",
    "ean",
    "buyer_reference",
}
PERSON_KEYS = {"id", "name", "phone", "org", "title", "email", "active", "grants"}
RANKED_KEYS = {"person", "rank"}
SECTIONS = (
    "organisations",
    "people",
    "crisis_roster",
    "steering_group",
    "municipality_contacts",
    "authority_contacts",
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class Directory:
    """A validated directory: rows ready to be written (phones already E.164)."""

    organisations: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    roster: list[tuple[str, int, str]] = field(default_factory=list)  # (role, rank, person)
    steering: list[tuple[int, str]] = field(default_factory=list)  # (position, person)
    municipality_contacts: list[tuple[str, int, str]] = field(default_factory=list)
    authority_contacts: list[tuple[str, str]] = field(default_factory=list)
    grants: list[tuple[str, str]] = field(default_factory=list)  # (person, finance|admin)
    person_paths: dict[str, str] = field(default_factory=dict)  # id -> "people[i]" in the file


# --- parsing -------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """Safe loader that records duplicate keys (PyYAML silently keeps the last one)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[FieldProblem] = []


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float):
            continue  # unhashable keys are reported by the constructor below
        if key in seen:
            mark = key_node.start_mark
            where = f"line {mark.line + 1}, column {mark.column + 1}"
            loader.duplicates.append(FieldProblem(where, f"duplicate key {key!r}"))
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_directory_yaml(text: str) -> dict[str, Any]:
    """YAML text -> the raw mapping; InvalidInput gives the line of a syntax error or duplicate."""
    loader = _StrictLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        raise InvalidInput(
            [FieldProblem(where, str(getattr(exc, "problem", None) or exc))]
        ) from None
    finally:
        loader.dispose()
    if loader.duplicates:
        raise InvalidInput(loader.duplicates)
    if not isinstance(data, dict):
        raise InvalidInput("file", f"must be a mapping with the sections {', '.join(SECTIONS)}")
    return data


# --- validation ----------------------------------------------------------------------------------


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
        if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
            self.add(f"{path}.{key}", f"must be text, got {value!r}")
            return None
        return str(value).strip()

    def flag(self, obj: dict, key: str, path: str, default: bool) -> bool:
        value = obj.get(key, default)
        if not isinstance(value, bool):
            self.add(f"{path}.{key}", f"must be true or false, got {value!r}")
            return default
        return value

    def digits(self, row: dict, key: str, n: int, path: str) -> None:
        if row[key] is not None and not re.fullmatch(rf"\d{{{n}}}", row[key]):
            self.add(f"{path}.{key}", f"{row[key]!r} is not {n} digits (write it in quotes)")

    def unknown_keys(self, obj: dict, allowed: set[str], path: str) -> None:
        for key in sorted(set(obj) - allowed, key=str):
            self.add(f"{path}.{key}", "is not a known field")

    def section(self, data: dict, key: str, kind: type, *, required: bool = False) -> Any:
        value = data.get(key)
        if value is None:
            if required:
                self.add(key, "is required")
            return kind()
        if not isinstance(value, kind):
            self.add(key, "must be a list" if kind is list else "must be a mapping")
            return kind()
        return value


def _phone(c: _Checker, person: dict, path: str) -> str | None:
    raw = c.text(person, "phone", path)
    if raw is None:
        return None
    try:
        return normalise_phone(raw)
    except ValueError as exc:
        if isinstance(person["phone"], int):  # YAML reads an unquoted +4520123456 as 4520123456
            try:
                return normalise_phone(f"+{raw}")
            except ValueError:
                pass
        c.add(f"{path}.phone", str(exc))
        return None


def _grants(c: _Checker, person: dict, path: str) -> list[str]:
    """`grants: [finance, admin]`: the roles a person has by name, each once."""
    value = person.get("grants", [])
    if not isinstance(value, list):
        c.add(f"{path}.grants", f"must be a list ({', '.join(Grant.__members__)})")
        return []
    out: list[str] = []
    for i, grant in enumerate(value):
        if not isinstance(grant, str) or grant not in Grant.__members__:
            c.add(f"{path}.grants[{i}]", f"{grant!r} is not one of {', '.join(Grant.__members__)}")
        elif grant in out:
            c.add(f"{path}.grants[{i}]", f"{grant!r} is listed twice")
        else:
            out.append(grant)
    return out


def validate_directory(data: Any) -> tuple[Directory, list[FieldProblem]]:  # noqa: C901
    """Check the whole file; returns the rows and every problem found (empty when valid)."""
    c = _Checker()
    d = Directory()
    if not isinstance(data, dict):
        c.add("file", f"must be a mapping with the sections {', '.join(SECTIONS)}")
        return d, c.problems
    for key in sorted(set(data) - set(SECTIONS), key=str):
        c.add(str(key), f"is not a known section ({', '.join(SECTIONS)})")

    orgs: dict[str, dict] = {}
    for i, org in enumerate(c.section(data, "organisations", list, required=True)):
        path = f"organisations[{i}]"
        if not isinstance(org, dict):
            c.add(path, "must be a mapping")
            continue
        c.unknown_keys(org, ORG_KEYS, path)
        kind = c.text(org, "kind", path)
        if kind is not None and kind not in OrgKind.__members__:
            c.add(f"{path}.kind", f"{kind!r} is not one of {', '.join(OrgKind.__members__)}")
            kind = None
        row = {
            "id": c.text(org, "id", path),
            "name": c.text(org, "name", path),
            "kind": kind,
            "ddh_member": c.flag(org, "ddh_member", path, False),
            "contact_centre": c.flag(org, "contact_centre", path, False),
            "network": c.text(org, "network", path, required=False),
            "cvr": c.text(org, "cvr", path, required=False),
            "ean": c.text(org, "ean", path, required=False),
            "buyer_reference": c.text(org, "buyer_reference", path, required=False),
        }
        c.digits(row, "cvr", 8, path)
        c.digits(row, "ean", 13, path)
        if row["id"] is not None and row["id"] in orgs:
            c.add(f"{path}.id", f"duplicate organisation id {row['id']!r}")
        elif row["id"] is not None:
            orgs[row["id"]] = row
            d.organisations.append(row)

    people: dict[str, dict] = {}
    phones: dict[str, str] = {}
    for i, person in enumerate(c.section(data, "people", list, required=True)):
        path = f"people[{i}]"
        if not isinstance(person, dict):
            c.add(path, "must be a mapping")
            continue
        c.unknown_keys(person, PERSON_KEYS, path)
        pid = c.text(person, "id", path)
        phone = _phone(c, person, path)
        if phone and phone in phones:
            c.add(f"{path}.phone", f"{phone} is already the phone of {phones[phone]!r}")
        org = c.text(person, "org", path)
        if org is not None and org not in orgs:
            c.add(f"{path}.org", f"unknown organisation {org!r}")
        email = c.text(person, "email", path, required=False)
        if email and not EMAIL.match(email):
            c.add(f"{path}.email", f"{email!r} is not an e-mail address")
        row = {
            "id": pid,
            "name": c.text(person, "name", path),
            "phone": phone,
            "org_id": org,
            "title": c.text(person, "title", path, required=False),
            "email": email,
            "active": c.flag(person, "active", path, True),
        }
        if pid is not None and pid in people:
            c.add(f"{path}.id", f"duplicate person id {pid!r}")
        elif pid is not None:
            people[pid] = row
            d.person_paths[pid] = path
            if phone:
                phones.setdefault(phone, pid)
            d.people.append(row)
            d.grants += [(pid, g) for g in _grants(c, person, path)]

    def person_ref(value: Any, path: str) -> str | None:
        if not isinstance(value, str) or value not in people:
            c.add(path, f"unknown person {value!r}")
            return None
        return value

    for role, entries in c.section(data, "crisis_roster", dict).items():
        path = f"crisis_roster.{role}"
        if role not in Role.__members__:
            c.add(path, f"unknown role (roles: {', '.join(Role.__members__)})")
            continue
        if not isinstance(entries, list):
            c.add(path, "must be a list, primary first")
            continue
        taken: dict[int, str] = {}
        for i, entry in enumerate(entries):
            epath, rank = f"{path}[{i}]", i
            if isinstance(entry, dict):  # {person: p001, rank: 2}: a gap in the ranks
                c.unknown_keys(entry, RANKED_KEYS, epath)
                rank = entry.get("rank", i)
                if isinstance(rank, bool) or not isinstance(rank, int) or rank < 0:
                    c.add(f"{epath}.rank", f"must be a whole number from 0, got {rank!r}")
                    continue
                entry = entry.get("person")
            pid = person_ref(entry, epath)
            if pid is None:
                continue
            if rank in taken:
                c.add(epath, f"rank {rank} of {role} is already taken by {taken[rank]!r}")
            elif pid in taken.values():
                c.add(epath, f"{pid!r} is already on the {role} roster")
            else:
                taken[rank] = pid
                d.roster.append((role, rank, pid))

    for i, entry in enumerate(c.section(data, "steering_group", list)):
        pid = person_ref(entry, f"steering_group[{i}]")
        if pid is not None and any(pid == p for _, p in d.steering):
            c.add(f"steering_group[{i}]", f"{pid!r} is listed twice")
        elif pid is not None:
            d.steering.append((len(d.steering), pid))

    for org_id, contacts in c.section(data, "municipality_contacts", dict).items():
        path = f"municipality_contacts.{org_id}"
        if org_id not in orgs:
            c.add(path, f"unknown organisation {org_id!r}")
            continue
        if orgs[org_id]["kind"] not in (None, OrgKind.municipality.value):
            c.add(path, f"{org_id!r} is not a municipality")
        if not isinstance(contacts, list) or not 1 <= len(contacts) <= 2:
            c.add(path, "must list a primary and a secondary contact (one or two people)")
            continue
        for rank, entry in enumerate(contacts):
            pid = person_ref(entry, f"{path}[{rank}]")
            if pid is not None and rank == 1 and contacts[0] == pid:
                c.add(f"{path}[1]", f"{pid!r} is already the primary contact")
            elif pid is not None:
                d.municipality_contacts.append((org_id, rank, pid))

    for org_id, contacts in c.section(data, "authority_contacts", dict).items():
        path = f"authority_contacts.{org_id}"
        if org_id not in orgs:
            c.add(path, f"unknown organisation {org_id!r}")
            continue
        listed = isinstance(contacts, list)
        for i, entry in enumerate(contacts if listed else [contacts]):
            epath = f"{path}[{i}]" if listed else path
            pid = person_ref(entry, epath)
            if pid is not None and (org_id, pid) in d.authority_contacts:
                c.add(epath, f"{pid!r} is listed twice")
            elif pid is not None:
                d.authority_contacts.append((org_id, pid))
    return d, c.problems


# --- writing -------------------------------------------------------------------------------------


class _FlowDumper(yaml.SafeDumper):
    """One line per organisation, person and list of ids, like the hand-written demo file."""

    def represent_sequence(self, tag, sequence, flow_style=None):  # noqa: ANN001, ANN201
        ids_only = all(isinstance(v, str) for v in sequence)
        return super().represent_sequence(tag, sequence, flow_style=ids_only or flow_style)

    def represent_mapping(self, tag, mapping, flow_style=None):  # noqa: ANN001, ANN201
        row = isinstance(mapping, dict) and ("id" in mapping or "person" in mapping)
        return super().represent_mapping(tag, mapping, flow_style=row or flow_style)


def dump_directory_yaml(data: dict[str, Any]) -> str:
    """The directory mapping (as export_directory builds it) as YAML in the import format."""
    return yaml.dump(data, Dumper=_FlowDumper, allow_unicode=True, sort_keys=False, width=10_000)
