"""Create, look up and revoke API tokens. Tokens are random; only their SHA-256 is stored.

Creating and revoking are use cases: each commits its own transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import direct
from beredskab.auth import binding
from beredskab.auth.models import ApiToken, TokenRole
from beredskab.directory.models import Person
from beredskab.directory.service import known_org
from beredskab.errors import InvalidInput, NotFound
from beredskab.metadata import utcnow
from beredskab.unit_of_work import transaction

TOKEN_PREFIX = "ddh_"
DEMO_LABEL = "make run"  # the label of the demo's admin token
DEMO_LIFETIME = timedelta(days=30)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's role, and the organisation/person it is bound to.

    `token_id` is None for a person signed in to the web console (auth.identity), who acts
    without a token."""

    token_id: int | None
    role: TokenRole
    org_id: str | None
    person_id: str | None
    label: str
    person_name: str | None = None
    last_used_at: datetime | None = None  # as the lookup read it (usage.py)

    @property
    def display_name(self) -> str:
        """How this caller is named in the log, the texts and the board: the person's name, as
        an SMS from them is named; a system token (bound to no person) by its label."""
        return self.person_name or self.label or f"system (token {self.token_id})"


async def create_token(
    session: AsyncSession,
    role: TokenRole,
    *,
    org_id: str | None = None,
    person_id: str | None = None,
    label: str = "",
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[str, ApiToken]:
    """Returns the plaintext token (shown once) and the stored row, committed.

    `expires_at`: from then on the token is refused (None: it never expires)."""
    binding.check(role, org_id=org_id, person_id=person_id)
    now = now or utcnow()
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("expires_at", "must lie in the future")
    async with transaction(session):
        if org_id:
            await known_org(session, "org_id", org_id)
        if person_id:
            person = await session.get(Person, person_id)
            binding.check_person(
                role,
                org_id,
                person_id,
                exists=person is not None,
                active=bool(person and person.active),
                person_org_id=person.org_id if person else None,
            )
        binding.check_label(person_id, label)
        return _add_token(
            session,
            ApiToken(
                role=role,
                org_id=org_id,
                person_id=person_id,
                label=label,
                created_at=now,
                expires_at=expires_at,
            ),
        )


def _add_token(session: AsyncSession, row: ApiToken) -> tuple[str, ApiToken]:
    """Give `row` a new random token and add it. Runs inside the caller's transaction."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row.token_hash = hash_token(plaintext)
    row.prefix = plaintext[: len(TOKEN_PREFIX) + 6]
    session.add(row)
    return plaintext, row


def live(now: datetime):  # noqa: ANN201 - a SQL condition
    """A token neither revoked nor expired at `now`."""
    return ApiToken.revoked_at.is_(None) & or_(  # type: ignore[union-attr]
        ApiToken.expires_at.is_(None),  # type: ignore[union-attr]
        ApiToken.expires_at > now,  # type: ignore[operator]
    )


async def principals_for(
    session: AsyncSession, digests: Collection[str], now: datetime | None = None
) -> dict[str, Principal]:
    """The principals of the live (neither revoked nor expired) tokens among `digests`, in one
    query.

    Plain columns, not `ApiToken` rows: nothing enters the session's identity map."""
    rows = await session.exec(
        _principal_select(ApiToken.token_hash).where(
            ApiToken.token_hash.in_(digests), live(now or utcnow())
        )
    )
    return {digest: _principal(*values) for digest, *values in rows}


def _principal(
    token_id: int,
    role: str,
    org_id: str | None,
    person_id: str | None,
    label: str,
    person_name: str | None,
    last_used_at: datetime | None,
) -> Principal:
    return Principal(
        token_id=token_id,
        role=TokenRole(role),
        org_id=org_id,
        person_id=person_id,
        label=label,
        person_name=person_name,
        last_used_at=last_used_at,
    )


def _principal_select(*first: Any):  # noqa: ANN202 - a Select
    """`first`, then what `_principal` takes, of tokens with their person (if any)."""
    return select(
        *first,
        ApiToken.id,
        ApiToken.role,
        ApiToken.org_id,
        ApiToken.person_id,
        ApiToken.label,
        Person.name,
        ApiToken.last_used_at,
    ).join(Person, Person.id == ApiToken.person_id, isouter=True)


_ONE_TOKEN = direct.Query(
    lambda: _principal_select().where(
        ApiToken.token_hash == bindparam("digest"), live(bindparam("now"))
    )
)


async def authenticate(
    session: AsyncSession, plaintext: str, now: datetime | None = None
) -> Principal | None:
    """The principal of a live token, or None: one direct statement (every API request)."""
    rows = await _ONE_TOKEN.rows(session, digest=hash_token(plaintext), now=now or utcnow())
    return _principal(*rows[0]) if rows else None


async def list_tokens(session: AsyncSession) -> list[ApiToken]:
    return list((await session.exec(select(ApiToken).order_by(ApiToken.id))).all())


async def demo_token(
    session: AsyncSession, kept: str | None, now: datetime | None = None
) -> tuple[str, bool]:
    """The demo's admin token (`make run`) and whether it is new, committed.

    `kept` is the plaintext an earlier run kept (only the hash is stored here): it is used again
    while it is a live admin token of the demo. Otherwise a new one is made, living 30 days, and
    the demo's other tokens are revoked: their plaintext is lost, so no one can use them."""
    now = now or utcnow()
    if kept:
        found = await authenticate(session, kept, now)
        if found and found.role is TokenRole.admin and found.label == DEMO_LABEL:
            return kept, False
    async with transaction(session):
        lost = await session.exec(
            select(ApiToken).where(
                ApiToken.label == DEMO_LABEL,
                ApiToken.revoked_at.is_(None),  # type: ignore[union-attr]
            )
        )
        for row in lost.all():
            row.revoked_at = now
            session.add(row)
        plaintext, _ = _add_token(
            session,
            ApiToken(
                role=TokenRole.admin,
                label=DEMO_LABEL,
                created_at=now,
                expires_at=now + DEMO_LIFETIME,
            ),
        )
    return plaintext, True


async def revoke_token(session: AsyncSession, token_id: int) -> ApiToken:
    """Revoke a token (revoking a revoked one changes nothing) and commit."""
    async with transaction(session):
        row = await session.get(ApiToken, token_id)
        if row is None:
            raise NotFound(f"no token with id {token_id}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            session.add(row)
    return row
