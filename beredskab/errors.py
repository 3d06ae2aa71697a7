"""Domain exceptions. They carry no HTTP status: api/errors.py maps them once."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    title = "Domain error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    title = "Not found"


class Conflict(DomainError):
    title = "Conflict"


class TryAgain(Conflict):
    """A race with a request that came at the same moment, which a new try resolves: nothing
    was changed (`unit_of_work`, `db.may_race`). The API answers it 409 with its own title and
    `Retry-After: 0`, so a client tells it from a conflict that no new try cures."""

    title = "Try again"


# How often the callers that try again by themselves (a deadline, a reply in line, a call's key,
# a request for an activation) run a use case that met a race before they give up on it
RACE_TRIES = 3


class Forbidden(DomainError):
    title = "Forbidden"


@dataclass(frozen=True)
class FieldProblem:
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class InvalidInput(DomainError):
    title = "Invalid input"

    def __init__(self, field: str | list[FieldProblem], reason: str | None = None) -> None:
        if isinstance(field, list):
            self.problems = field
        else:
            self.problems = [FieldProblem(field, reason or "is invalid")]
        super().__init__("; ".join(str(p) for p in self.problems))
