"""Pure: what a token must be bound to, by its role (checked when the token is created).

A token that acts for a person names that person in the log, the texts and the board, exactly
as an SMS from them would ("Emil Friis"). So:

* `crisis_staff` and `steering` tokens must be bound to a person: they write in logs, answer
  for roles and endorse in someone's name;
* `authority` tokens are bound to their organisation and may also be bound to a person of it
  (a caseworker), or to none (the authority's own system);
* `finance` and `admin` tokens may be systems (bound to no person).

A token bound to no person is named by its label, so a label is required then.
Roles are compared by value (`TokenRole` is a `StrEnum`): this module imports no table.
"""

from __future__ import annotations

from beredskab.errors import InvalidInput

PERSON_REQUIRED = frozenset({"crisis_staff", "steering"})


def check(role: str, *, org_id: str | None, person_id: str | None) -> None:
    """Refuse (InvalidInput naming the field) a token whose bindings its role does not allow."""
    if role == "authority" and not org_id:
        raise InvalidInput("org_id", "an authority token must be bound to one organisation")
    if role in PERSON_REQUIRED and not person_id:
        raise InvalidInput(
            "person_id",
            f"a {role} token acts for a person and must be bound to one (--person)",
        )


def check_label(person_id: str | None, label: str) -> None:
    """Refuse a token bound to no person without a label: the label is its name."""
    if not person_id and not label.strip():
        raise InvalidInput(
            "label", "a token bound to no person is named by its label in the log: give one"
        )


def check_person(
    role: str,
    org_id: str | None,
    person_id: str,
    *,
    exists: bool,
    active: bool = True,
    person_org_id: str | None = None,
) -> None:
    """Refuse a binding to a person who is unknown, inactive, or (for an authority token bound
    to an organisation too) employed elsewhere."""
    if not exists:
        raise InvalidInput("person_id", f"unknown person {person_id!r}")
    if not active:
        raise InvalidInput("person_id", f"{person_id!r} is not active in the directory")
    if role == "authority" and org_id and person_org_id != org_id:
        raise InvalidInput(
            "person_id", f"{person_id!r} belongs to {person_org_id!r}, not to {org_id!r}"
        )
