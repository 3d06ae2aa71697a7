"""The playbook: roles, timeouts, action cards and every SMS text, as a strict model. Pure: no
file is read here (`beredskab.playbook_file` reads and validates the YAML at start-up)."""

from __future__ import annotations

import re
import string
from dataclasses import replace
from datetime import date, time, timedelta
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from beredskab.calendar import DayOverride, OpeningRules, default_rules
from beredskab.drill_schedule import DrillPolicy
from beredskab.playbook_messages import MESSAGES
from beredskab.roles import Role

# Placeholders every message may use; `render` supplies them from the playbook itself.
EVERYWHERE = frozenset({"secretariat_phone"})


def _fields(template: str) -> list[tuple[str, str]]:
    """(field, format spec) of each replacement field; ValueError for unbalanced braces."""
    return [
        (f, spec or "") for _, f, spec, _ in string.Formatter().parse(template) if f is not None
    ]


def _plural_forms(spec: str) -> tuple[str, str] | None:
    one, bar, many = spec.partition("|")
    return (one, many) if bar and one.strip() and many.strip() and "|" not in many else None


class _Danish(string.Formatter):
    """`{agents:agent|agenter}` is "1 agent" or "3 agenter": a count and its noun, in the number
    the count needs. Every text goes through this, so no text says "1 agenter"."""

    def format_field(self, value: Any, format_spec: str) -> str:
        forms = _plural_forms(format_spec)
        if forms is None:
            return super().format_field(value, format_spec)
        one, many = forms
        return f"{value} {one if value == 1 else many}"


_RENDER = _Danish()


def placeholders(template: str) -> set[str]:
    """The names a template needs a value for."""
    return {field for field, _ in _fields(template)}


def template_problems(template: str, allowed: frozenset[str]) -> list[str]:
    """Why a template cannot be rendered with the `allowed` names; empty when it can."""
    if not template.strip():
        return ["must not be empty"]
    try:
        fields = _fields(template)
    except ValueError as exc:
        return [f"not a valid template: {exc}"]
    found = []
    for field, spec in fields:
        if not field.isidentifier():  # {0}, {}, {ref.attr}, {ref[0]}
            found.append(f"placeholder {{{field}}} must be a plain name, e.g. {{ref}}")
        elif "{" in spec or "}" in spec:
            found.append(f"placeholder {{{field}}} has a placeholder in its format")
        elif spec and not _plural_forms(spec):
            found.append(
                f"placeholder {{{field}:{spec}}}: the only format is a count with its noun in "
                "singular and plural, e.g. {agents:agent|agenter}"
            )
    unknown = {f for f, _ in fields if f.isidentifier()} - allowed
    if unknown:
        found.append(
            f"unknown placeholder(s) {', '.join(sorted(unknown))} "
            f"(allowed: {', '.join(sorted(allowed)) or 'none'})"
        )
    return found


# A validator reports several problems, each below its own field, through one error of this type.
_PROBLEMS = "playbook_problems"
Problem = tuple[tuple[str | int, ...], str]  # (path below the validated field, reason)


def _problems(found: list[Problem]) -> PydanticCustomError:
    summary = "; ".join(reason for _, reason in found)
    return PydanticCustomError(_PROBLEMS, "{summary}", {"summary": summary, "problems": found})


def as_problems(exc: ValidationError) -> list[Problem]:
    out: list[Problem] = []
    for err in exc.errors():
        if err["type"] == _PROBLEMS:
            out.extend(((*err["loc"], *sub), reason) for sub, reason in err["ctx"]["problems"])
        else:
            out.append((tuple(err["loc"]), err["msg"].removeprefix("Value error, ")))
    return out


def _collect(handler: ValidatorFunctionWrapHandler, value: Any) -> tuple[Any, list[Problem]]:
    try:
        return handler(value), []
    except ValidationError as exc:
        return None, as_problems(exc)


def _message_problems(messages: dict[Any, Any]) -> list[Problem]:
    """Missing messages and bad placeholders; values that are not text are reported elsewhere."""
    found: list[Problem] = []
    for key, allowed in MESSAGES.items():
        if key not in messages:
            found.append(((key,), "missing"))
        elif isinstance(messages[key], str):
            usable = allowed | EVERYWHERE
            found.extend(((key,), reason) for reason in template_problems(messages[key], usable))
    for key in ("drill_page", "drill_call"):
        drill = messages.get(key)
        if isinstance(drill, str) and not drill.startswith("ØVELSE"):
            found.append(((key,), "must start with ØVELSE, so nobody takes it for real"))
    unknown_keys = sorted(k for k in messages if isinstance(k, str) and k not in MESSAGES)
    found.extend(((key,), "not a known message") for key in unknown_keys)
    return found


def _local_clock(value: Any) -> Any:
    # YAML 1.1 reads an unquoted 9:00 as the number 540, which would become 00:09.
    if isinstance(value, time) or (isinstance(value, str) and re.fullmatch(r"\d\d:\d\d", value)):
        return value
    raise ValueError("write a local time as a quoted 'HH:MM' string, e.g. '09:00'")


LocalTime = Annotated[time, BeforeValidator(_local_clock)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
CardItem = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CallWhen(StrEnum):  # when an unanswered page is followed by a phone call
    always = "always"
    out_of_hours = "out_of_hours"  # only outside the contact centre's opening hours
    never = "never"


class _Calls(_Strict):  # a paged person who has not answered is called (default: half-time)
    call_after_minutes: int | None = Field(default=None, ge=1, le=240)
    call_when: CallWhen = CallWhen.always

    def call_delay(self, timeout_minutes: int) -> timedelta | None:
        minutes = self.call_after_minutes or timeout_minutes / 2
        never = self.call_when is CallWhen.never or minutes >= timeout_minutes
        return None if never else timedelta(minutes=minutes)


class RoleSpec(_Calls):
    name: Text
    description: Text
    ack_timeout_minutes: int = Field(default=10, ge=1, le=240)
    action_card: list[CardItem] = Field(min_length=4, max_length=10)


class CalloutPolicy(_Strict):
    max_passes: int = Field(default=2, ge=1, le=10)


class EndorsementPolicy(_Calls):
    timeout_minutes: int = Field(default=10, ge=1, le=240)
    max_reminders: int = Field(default=3, ge=0, le=20)


class VolunteerPolicy(_Strict):
    secondary_after_minutes: int = Field(default=15, ge=1, le=240)


class Targets(_Strict):
    """What the trend across activations (`GET /stats`) is measured against; each is met when
    nine in ten activations of a period reach it (the 90th percentile is within it)."""

    endorsed_minutes: int | None = Field(default=None, ge=1, le=1440)  # request -> endorsed
    all_roles_filled_minutes: int | None = Field(default=None, ge=1, le=1440)  # after endorsed
    role_filled_minutes: int | None = Field(default=None, ge=1, le=1440)  # each role
    primary_share_percent: int | None = Field(default=None, ge=1, le=100)  # filled by rank 0
    shifts_filled_in_time_percent: int | None = Field(default=None, ge=1, le=100)


class CalendarOverride(_Strict):
    """One local date whose opening hours differ from the normal week (hours in local time)."""

    date: date
    closed: bool = False
    hours: list[tuple[LocalTime, LocalTime]] = Field(default_factory=list)
    note: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> CalendarOverride:
        found: list[Problem] = []
        if self.closed and self.hours:
            found.append((("hours",), "a closed day has no opening hours"))
        if not self.closed and not self.hours:
            found.append((("hours",), "give the opening hours, or closed: true"))
        previous_end: time | None = None
        for i, (start, end) in enumerate(self.hours):
            if start.tzinfo is not None or end.tzinfo is not None:
                found.append((("hours", i), "must be a local time, without a UTC offset"))
            elif start >= end:
                found.append((("hours", i), f"{start:%H:%M} is not before {end:%H:%M}"))
            elif previous_end is not None and start < previous_end:
                found.append((("hours", i), "overlaps or precedes the span before it"))
            else:
                previous_end = end
        if found:
            raise _problems(found)
        return self


class Playbook(_Strict):
    name: Text
    version: Text
    roles: dict[Role, RoleSpec]
    callout: CalloutPolicy
    endorsement: EndorsementPolicy
    volunteers: VolunteerPolicy
    calendar_overrides: list[CalendarOverride] = Field(default_factory=list)
    targets: Targets = Field(default_factory=Targets)
    drills: DrillPolicy = Field(default_factory=DrillPolicy)  # call-out drills (kaldeøvelser)
    exercise_prefix: str = Field(default="ØVELSE: ", max_length=20)
    # whom a person who cannot answer an SMS should call: in the texts as {secretariat_phone}
    secretariat_phone: Text
    messages: dict[str, str]

    # Wrap validators that check the raw input too: a missing role or message is reported even
    # when another role or message is invalid, so the author sees every problem in one go.
    @field_validator("roles", mode="wrap")
    @classmethod
    def _four_roles(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> dict[Role, RoleSpec]:
        roles, found = _collect(handler, value)
        if isinstance(value, dict):
            missing = [r.value for r in Role if r.value not in {str(k) for k in value}]
            if missing:
                found.append(((), f"missing {', '.join(missing)}"))
        seen: dict[str, Role] = {}
        for role, spec in (roles or {}).items():
            other = seen.setdefault(spec.name.casefold(), role)
            if other is not role:
                found.append(((role.value, "name"), f"{spec.name!r} is also {other.value}'s name"))
        if found:
            raise _problems(found)
        return roles

    @field_validator("calendar_overrides")
    @classmethod
    def _one_override_per_date(cls, overrides: list[CalendarOverride]) -> list[CalendarOverride]:
        seen: set[date] = set()
        found: list[Problem] = []
        for i, override in enumerate(overrides):
            if override.date in seen:
                found.append(((i, "date"), f"{override.date} appears more than once"))
            seen.add(override.date)
        if found:
            raise _problems(found)
        return overrides

    @field_validator("messages", mode="wrap")
    @classmethod
    def _known_messages(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> dict[str, str]:
        messages, found = _collect(handler, value)
        if isinstance(value, dict):
            found.extend(_message_problems(value))
        if found:
            raise _problems(found)
        return messages

    def opening_rules(self, tz: ZoneInfo) -> OpeningRules:
        """The contact centre's opening hours with this playbook's closed days and changed hours."""
        overrides = [
            DayOverride(o.date, o.closed, tuple((a, b) for a, b in o.hours), o.note)
            for o in self.calendar_overrides
        ]
        return replace(default_rules(overrides), tz=tz)

    def render(self, key: str, /, *, exercise: bool = False, **values: Any) -> str:
        """The SMS text `key` filled with `values` (extra values are ignored)."""
        template = self.messages.get(key)
        if template is None:
            raise RenderError(f"playbook {self.name!r} has no message {key!r}")
        values = {"secretariat_phone": self.secretariat_phone, **values}
        missing = placeholders(template) - values.keys()
        if missing:
            raise RenderError(f"message {key!r} needs a value for {', '.join(sorted(missing))}")
        text = _RENDER.format(template, **values)
        return self.exercise_prefix + text if exercise else text


class RenderError(KeyError):
    """An unknown message key, or a placeholder without a value."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0])
