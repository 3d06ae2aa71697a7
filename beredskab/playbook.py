"""The playbook: roles, timeouts, action cards and every SMS text, parsed strictly at start-up.

A playbook that does not validate stops start-up with every problem as `path: reason`.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from beredskab.directory.models import Role

# Each required SMS text and the placeholders it may use.
MESSAGES: dict[str, frozenset[str]] = {
    k: frozenset(v)
    for k, v in {
        "endorse_request": {"ref", "authority", "title", "code"},
        "endorse_reminder": {"ref", "authority", "title", "code", "minutes"},
        "endorse_overdue_leader": {"ref", "authority", "title", "minutes"},
        "endorsed_notice": {"ref", "by"},
        "role_page": {"ref", "title", "role_name", "code"},
        "role_ack_confirm": {"ref", "role_name"},
        "role_already_filled": {"ref", "role_name"},
        "role_decline_confirm": {"ref", "role_name"},
        "role_unfilled": {"ref", "role_name", "pass_no"},
        "role_unfilled_final": {"ref", "role_name"},
        "role_relieved": {"ref", "role_name"},
        "role_assigned": {"ref", "role_name"},
        "page_closed": {"ref"},
        "stood_down": {"ref", "title"},
        "reply_unknown_sender": set(),
        "reply_no_open_page": set(),
        "reply_garbled": {"code"},
        "reply_need_code": {"codes"},
        "reply_unknown_code": {"code"},
        "reply_endorse_ack": {"ref"},
        "reply_already_endorsed": {"ref"},
        "reply_help": set(),
        "reply_rate_limited": set(),
    }.items()
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoleSpec(_Strict):
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    ack_timeout_minutes: int = Field(default=10, ge=1, le=240)
    action_card: list[str] = Field(min_length=1)


class CalloutPolicy(_Strict):
    max_passes: int = Field(default=2, ge=1, le=10)


class EndorsementPolicy(_Strict):
    timeout_minutes: int = Field(default=10, ge=1, le=240)
    max_reminders: int = Field(default=3, ge=0, le=20)


class VolunteerPolicy(_Strict):
    secondary_after_minutes: int = Field(default=15, ge=1, le=240)


class CalendarOverride(_Strict):
    date: date
    closed: bool = False
    hours: list[tuple[time, time]] = Field(default_factory=list)
    note: str = ""


class Playbook(_Strict):
    name: str
    version: str
    roles: dict[Role, RoleSpec]
    callout: CalloutPolicy = CalloutPolicy()
    endorsement: EndorsementPolicy = EndorsementPolicy()
    volunteers: VolunteerPolicy = VolunteerPolicy()
    calendar_overrides: list[CalendarOverride] = Field(default_factory=list)
    exercise_prefix: str = "ØVELSE: "
    messages: dict[str, str]

    @model_validator(mode="after")
    def _complete(self) -> Playbook:
        problems = []
        missing_roles = [r.value for r in Role if r not in self.roles]
        if missing_roles:
            problems.append(f"roles: missing {', '.join(missing_roles)}")
        for key, allowed in MESSAGES.items():
            if key not in self.messages:
                problems.append(f"messages.{key}: missing")
                continue
            try:
                used = {f for _, f, _, _ in string.Formatter().parse(self.messages[key]) if f}
            except ValueError as exc:
                problems.append(f"messages.{key}: {exc}")
                continue
            unknown = used - allowed
            if unknown:
                problems.append(
                    f"messages.{key}: unknown placeholder(s) {', '.join(sorted(unknown))} "
                    f"(allowed: {', '.join(sorted(allowed)) or 'none'})"
                )
        for key in self.messages.keys() - MESSAGES.keys():
            problems.append(f"messages.{key}: not a known message")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def render(self, key: str, /, *, exercise: bool = False, **values: Any) -> str:
        if key not in self.messages:
            raise KeyError(f"no message {key!r} in playbook {self.name}")
        text = self.messages[key].format(**values)
        return self.exercise_prefix + text if exercise else text


@dataclass(frozen=True)
class LoadedPlaybook:
    playbook: Playbook
    content_hash: str
    path: Path


class PlaybookError(Exception):
    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"playbook {path} is invalid:\n" + "\n".join(f"  {p}" for p in problems))


def _describe(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        out.extend(f"{where}: {line}" if where else line for line in msg.splitlines())
    return out


def load_playbook(path: Path) -> LoadedPlaybook:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PlaybookError(path, [f"cannot read: {exc.strerror or exc}"]) from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise PlaybookError(path, [f"{where}{getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(data, dict):
        raise PlaybookError(path, ["the file must be a mapping"])
    try:
        playbook = Playbook.model_validate(data)
    except ValidationError as exc:
        raise PlaybookError(path, _describe(exc)) from None
    return LoadedPlaybook(playbook, hashlib.sha256(raw).hexdigest(), path)
