"""Sign-in by SMS code: the pure rules (code lifetime, attempts, rate limits, session expiry).

No I/O: the services load the rows, ask these functions, and write what they decide.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

CODE_LIFETIME = timedelta(minutes=5)
MAX_ATTEMPTS = 5
RATE_WINDOW = timedelta(minutes=15)
MAX_CODES_PER_PHONE = 3
# per client address: generous, because a municipality or DDH's own office signs in from behind
# one NAT address, and behind a proxy the address is the one uvicorn takes from
# X-Forwarded-For of FORWARDED_ALLOW_IPS (README); it stops one client from texting every number
MAX_CODES_PER_CLIENT = 60
SESSION_IDLE = timedelta(hours=2)
SESSION_ABSOLUTE = timedelta(hours=12)


@dataclass(frozen=True)
class CodeState:
    """What the rules need to know about one issued code."""

    issued_at: datetime
    attempts: int
    used: bool = False


def new_code() -> str:
    """Six digits from the OS's secure source; leading zeros kept."""
    return f"{secrets.randbelow(1_000_000):06d}"


def new_session_token() -> str:
    """The plaintext the cookie carries; only its hash is stored."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """Codes and session tokens are stored as SHA-256, never in the clear."""
    return hashlib.sha256(secret.encode()).hexdigest()


def code_digest(phone: str, code: str) -> str:
    """A code is stored hashed with its number, so one hash never fits two numbers' codes.

    Six digits are few: whoever reads the table could try them all. The hash keeps the code off
    screens and out of backups; the 5-minute life and 5 tries are what protect it."""
    return digest(f"{phone}:{code}")


def _recent(issued: Sequence[datetime], now: datetime) -> int:
    return sum(1 for at in issued if now - at < RATE_WINDOW)


def may_issue(
    issued_to_phone: Sequence[datetime], issued_to_client: Sequence[datetime], now: datetime
) -> bool:
    """At most 3 codes per number and 60 per client address in any 15 minutes.

    The caller gives the same answer either way, so the limit cannot be used to probe numbers.
    """
    return (
        _recent(issued_to_phone, now) < MAX_CODES_PER_PHONE
        and _recent(issued_to_client, now) < MAX_CODES_PER_CLIENT
    )


def code_usable(code: CodeState, now: datetime) -> bool:
    """Unused, younger than 5 minutes, and fewer than 5 wrong tries so far."""
    return not code.used and now - code.issued_at < CODE_LIFETIME and code.attempts < MAX_ATTEMPTS


def session_alive(started_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
    """A session ends after 2 hours idle or 12 hours in all, whichever comes first."""
    return now - last_seen_at < SESSION_IDLE and now - started_at < SESSION_ABSOLUTE
