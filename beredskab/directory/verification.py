"""Verified numbers: a phone added or changed is unverified until its owner answers the code sent
to it ("OK <kode>"), and a number the provider refused for good is marked unreachable.

- The answer proves the number reaches the person: it must come from that very number (inbound
  finds the sender by number) and carry the code sent to it. A code is only ever checked against
  the sender's own pending code, so someone else's answer verifies nothing.
- Codes have 6 digits; page codes have 4 (activations.pages), so the two never meet.
- A new number starts over: unverified, reachable, a new code, a new SMS (through the outbox, in
  the caller's transaction). The caller commits.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import escalation
from beredskab.directory.models import Person
from beredskab.outbox import enqueue_sms

CODE_DIGITS = 6
# Twilio's refusals that mean the number itself cannot be reached by SMS (not a passing fault):
# invalid number, not a mobile, the owner sent STOP.
UNREACHABLE_CODES = {
    21211: "ugyldigt nummer",
    21614: "ikke et mobilnummer",
    21610: "modtageren har frabedt sig SMS (STOP)",
}
# the code first: a long name that the dispatcher's two-segment cut shortens never loses it
VERIFY_TEXT = "DDH Beredskab: Svar OK {code} for at bekræfte, at dette nummer tilhører {name}."


def phone_state(person: Person) -> str:
    """The number's state: "unreachable" (refused for good), "unverified", or "verified"."""
    if person.phone_unreachable_at is not None:
        return "unreachable"
    return "verified" if person.phone_verified_at is not None else "unverified"


def candidate(rank: int, person: Person) -> escalation.Candidate:
    """The person as a call-out candidate at `rank`, with what is known of their number."""
    return escalation.Candidate(
        rank,
        person.id,
        person.active,
        verified=person.phone_verified_at is not None,
        reachable=person.phone_unreachable_at is None,
    )


def why_not_relied_on(person: Person) -> str:
    """In Danish, for the log: why a call-out does not rely on this person's number."""
    if person.phone_unreachable_at is not None:
        return f"nummeret kan ikke nås ({person.phone_unreachable_reason})"
    return "nummeret er ikke bekræftet"


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def number_changed(session: AsyncSession, person: Person) -> None:
    """`person.phone` is new (added or changed): unverified, reachable, and a code sent to it."""
    person.phone_verified_at = None
    person.phone_unreachable_at = None
    person.phone_unreachable_reason = None
    person.phone_code = new_code()
    session.add(person)
    enqueue_sms(
        session,
        person.phone,
        VERIFY_TEXT.format(name=person.name, code=person.phone_code),
        person_id=person.id,
    )


def mark_verified(session: AsyncSession, person: Person, now: datetime) -> None:
    """Taken as verified without an answer (the numbers a first directory load starts from)."""
    person.phone_verified_at = now
    person.phone_code = None
    person.phone_unreachable_at = None
    person.phone_unreachable_reason = None
    session.add(person)


def answer(session: AsyncSession, sender: Person, code: str | None, now: datetime) -> bool:
    """An "OK <code>" from `sender`'s own number: verifies it if the code is the one sent to it."""
    if (
        code is None
        or sender.phone_code is None
        or not secrets.compare_digest(code, sender.phone_code)
    ):
        return False
    mark_verified(session, sender, now)
    return True


def unreachable_reason(error_code: int | str | None) -> str | None:
    """Why a provider error code makes a number unreachable, or None (a passing fault)."""
    try:
        return UNREACHABLE_CODES.get(int(error_code or 0))
    except ValueError:
        return None


async def mark_unreachable(
    session: AsyncSession, phone: str, error_code: int | str | None, now: datetime
) -> Person | None:
    """A send to `phone` failed for good with `error_code`: if that code means the number cannot
    be reached, mark the person who holds the number now (if anyone); else change nothing."""
    reason = unreachable_reason(error_code)
    if reason is None:
        return None
    person = (await session.exec(select(Person).where(Person.phone == phone))).first()
    if person is None:
        return None
    if person.phone_unreachable_at is None:
        person.phone_unreachable_at = now
    person.phone_unreachable_reason = f"{reason} (fejl {int(error_code or 0)})"[:200]
    session.add(person)
    return person
