"""Form input to the services' own models, and their complaints in Danish next to each field.

A console form is validated by the same pydantic model the API uses, so the rules are the
same; only the words differ (the API answers in English problem+json)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from beredskab.errors import InvalidInput
from beredskab.metadata import MAX_INTEGER

M = TypeVar("M", bound=BaseModel)

_BY_TYPE: dict[str, Callable[[dict], str]] = {
    "missing": lambda e: "Skal udfyldes.",
    "string_too_short": lambda e: "Skal udfyldes.",
    "too_short": lambda e: "Vælg mindst én.",
    "string_too_long": lambda e: f"Må højst være {e['ctx']['max_length']} tegn.",
    "too_long": lambda e: "Der er valgt for mange.",
    "int_parsing": lambda e: "Skriv et helt tal.",
    "int_type": lambda e: "Skriv et helt tal.",
    "float_parsing": lambda e: "Skriv et tal.",
    "decimal_parsing": lambda e: "Skriv et beløb, fx 1250,50.",
    "greater_than_equal": lambda e: f"Skal være mindst {e['ctx']['ge']}.",
    "greater_than": lambda e: f"Skal være større end {e['ctx']['gt']}.",
    "less_than_equal": lambda e: f"Må højst være {e['ctx']['le']}.",
    "datetime_parsing": lambda e: "Skriv dato og klokkeslæt.",
    "datetime_from_date_parsing": lambda e: "Skriv dato og klokkeslæt.",
    "date_parsing": lambda e: "Skriv en dato.",
    "date_from_datetime_parsing": lambda e: "Skriv en dato.",
    "date_from_datetime_inexact": lambda e: "Skriv en dato.",
    "literal_error": lambda e: "Vælg en af mulighederne.",
    "enum": lambda e: "Vælg en af mulighederne.",
}
_BY_REASON = {  # the services' own reasons (English) that a form can meet
    "is not a valid phone number": "Skriv et gyldigt telefonnummer, fx 20 12 34 56.",
    "must be after": "Slut skal ligge efter start.",
    "must lie in the future": "Skal ligge i fremtiden.",
    "is required for a change after the fact": "Skriv en begrundelse: ændringen sker bagefter.",
    "takes effect today or earlier": "Skriv en begrundelse: satsen gælder fra i dag eller før.",
    "replaces the rate of that date": "Skriv en begrundelse: satsen erstatter datoens sats.",
    "must not be 0": "Må ikke være 0.",
    "must be the authority": "Vælg myndigheden eller DDH.",
    "unknown organisation": "Vælg en af organisationerne.",
    "must not be before from": "Til-datoen må ikke ligge før fra-datoen.",
    "the period may be at most 400 days": "Perioden må højst være 400 dage.",
}
FALLBACK = "Værdien kan ikke bruges."


def danish_reason(reason: str) -> str:
    for english, danish in _BY_REASON.items():
        if english in reason:
            return danish
    return FALLBACK


def _field(loc: tuple) -> str:
    return str(loc[0]) if loc else "form"


def parse(model: type[M], data: Mapping[str, object]) -> tuple[M | None, dict[str, str]]:
    """`model` built from `data`, or None and a Danish message per field name."""
    try:
        return model.model_validate(dict(data)), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = _field(tuple(error.get("loc", ())))
            make = _BY_TYPE.get(error["type"])
            message = make(error) if make else danish_reason(str(error.get("msg", "")))
            errors.setdefault(field, message)
        return None, errors


def invalid_input_errors(exc: InvalidInput) -> dict[str, str]:
    """A service's refusal, per field, in Danish."""
    return {p.field: danish_reason(p.reason) for p in exc.problems}


_KRONER = re.compile(r"^[-−]?\d+(\.\d{3})*(,\d{1,2})?$|^[-−]?\d+(\.\d{1,2})?$")


def ore(text: str) -> int | None:
    """Kroner typed the Danish way ("1.250,50", "-500", "1250.5 kr.") as øre; None if it is not
    an amount."""
    cleaned = text.strip().removesuffix("kr.").removesuffix("kr").replace(" ", "")
    if not _KRONER.match(cleaned):
        return None
    if "," in cleaned or re.search(r"\.\d{3}$", cleaned):  # dots group thousands
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        return int(Decimal(cleaned.replace("−", "-")) * 100)
    except InvalidOperation:  # pragma: no cover - the pattern lets only numbers through
        return None


def local_instant(text: str, tz: ZoneInfo) -> str:
    """A `datetime-local` field ("2026-11-20T14:00") read as local time, in ISO form with its
    offset; what does not parse is handed on as typed, for the model to refuse."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.isoformat()


def local_input(moment: datetime | None, tz: ZoneInfo) -> str:
    """`moment` as a `datetime-local` field shows it: local time to the minute."""
    return "" if moment is None else f"{moment.astimezone(tz):%Y-%m-%dT%H:%M}"


_WHOLE = re.compile(r"[0-9]{1,19}")


def whole_number(raw: str | None) -> int | None:
    """A non-negative whole number the database can hold (ASCII digits, <= MAX_INTEGER), or
    None: a query parameter or header that is not one ("²", 5,000 digits) is ignored."""
    if raw is None or not _WHOLE.fullmatch(raw):
        return None
    number = int(raw)
    return number if number <= MAX_INTEGER else None
