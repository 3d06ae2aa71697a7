"""Phone numbers: parsed as Danish by default, stored and compared as E.164."""

from __future__ import annotations

import phonenumbers


def normalise_phone(raw: str, region: str = "DK") -> str:
    """`20123456`, `0045 20123456`, `+45 20 12 34 56` -> `+4520123456`; ValueError if invalid."""
    try:
        parsed = phonenumbers.parse(str(raw), region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{raw!r} is not a valid phone number") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"{raw!r} is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
