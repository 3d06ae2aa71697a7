"""What a token must be bound to, by role (auth/binding.py), as a table of cases."""

from __future__ import annotations

import pytest

from beredskab.auth.binding import check, check_label, check_person
from beredskab.errors import InvalidInput


@pytest.mark.parametrize(
    ("role", "org_id", "person_id", "field"),
    [
        ("crisis_staff", None, "p003", None),
        ("crisis_staff", None, None, "person_id"),
        ("steering", None, "p012", None),
        ("steering", None, None, "person_id"),
        ("authority", "odder", None, None),  # the authority's own system
        ("authority", "odder", "p011", None),  # a caseworker of it
        ("authority", None, "p011", "org_id"),
        ("finance", None, None, None),
        ("admin", None, None, None),
        ("admin", None, "p001", None),
    ],
)
def test_bindings_by_role(role, org_id, person_id, field):
    if field is None:
        check(role, org_id=org_id, person_id=person_id)
    else:
        with pytest.raises(InvalidInput) as refused:
            check(role, org_id=org_id, person_id=person_id)
        assert [p.field for p in refused.value.problems] == [field]


@pytest.mark.parametrize(
    ("person_id", "label", "ok"),
    [(None, "økonomisystem", True), (None, "", False), (None, "  ", False), ("p1", "", True)],
)
def test_a_token_bound_to_no_person_needs_its_label(person_id, label, ok):
    if ok:
        check_label(person_id, label)
    else:
        with pytest.raises(InvalidInput, match="label"):
            check_label(person_id, label)


@pytest.mark.parametrize(
    ("role", "org_id", "facts", "why"),
    [
        ("crisis_staff", None, {"exists": True}, None),
        ("crisis_staff", None, {"exists": False}, "unknown"),
        ("steering", None, {"exists": True, "active": False}, "not active"),
        ("authority", "odder", {"exists": True, "person_org_id": "odder"}, None),
        ("authority", "odder", {"exists": True, "person_org_id": "aarhus"}, "belongs to"),
        ("admin", None, {"exists": True, "person_org_id": "aarhus"}, None),
    ],
)
def test_the_person_bound(role, org_id, facts, why):
    if why is None:
        check_person(role, org_id, "p1", **facts)
    else:
        with pytest.raises(InvalidInput, match=why) as refused:
            check_person(role, org_id, "p1", **facts)
        assert [p.field for p in refused.value.problems] == ["person_id"]
