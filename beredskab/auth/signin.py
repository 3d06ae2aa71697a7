"""Sign-in to the web console by SMS code, and the web sessions it starts (use cases; each
commits its own transaction).

The answers never tell a known number from an unknown one: a request writes a `LoginCode` row
either way (only an active person's is sent), the limits count both alike, and a sign-in with an
unknown number fails like a wrong code. Only the newest code of a number counts: asking for a new
one retires the old. The rules themselves are pure, in `login_rules`.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.auth import login_rules as rules
from beredskab.auth.identity import Identity, identity_of
from beredskab.auth.models import LoginCode, WebSession
from beredskab.directory.models import Person
from beredskab.errors import InvalidInput, NotFound
from beredskab.outbox import enqueue_sms
from beredskab.phones import normalise_phone
from beredskab.playbook import Playbook
from beredskab.unit_of_work import transaction

SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often per session
KEEP_CODES = timedelta(days=1)  # older LoginCode rows are deleted; the limits look back 15 min
CLIENT_CHARS = 64
USER_AGENT_CHARS = 200


class SignInResult(StrEnum):
    ok = "ok"
    wrong_code = "wrong_code"  # try again (an attempt was counted)
    no_code = "no_code"  # none usable (expired, used, 5 tries, never sent): ask for a new one


def _phone(raw: str) -> str:
    try:
        return normalise_phone(raw)
    except ValueError:
        raise InvalidInput("phone", "is not a valid phone number") from None


async def _recent_issues(session: AsyncSession, where, now: datetime) -> list[datetime]:  # noqa: ANN001
    rows = await session.exec(
        select(LoginCode.issued_at).where(
            where,
            LoginCode.issued_at > now - rules.RATE_WINDOW,
            col(LoginCode.code_hash).is_not(None),
        )
    )
    return list(rows.all())


async def request_code(
    session: AsyncSession, phone: str, client: str, *, playbook: Playbook, now: datetime
) -> None:
    """Send a sign-in code by SMS (through the outbox) if `phone` is an active person's who has a
    role in the directory, and the limits allow it. The same (no) answer whatever happened;
    InvalidInput("phone") only for a malformed number."""
    phone, client = _phone(phone), client[:CLIENT_CHARS]
    async with transaction(session):
        await session.exec(delete(LoginCode).where(LoginCode.issued_at < now - KEEP_CODES))
        allowed = rules.may_issue(
            await _recent_issues(session, LoginCode.phone == phone, now),
            await _recent_issues(session, LoginCode.client == client, now),
            now,
        )
        person = (await session.exec(select(Person).where(Person.phone == phone))).first()
        code = rules.new_code()
        session.add(
            LoginCode(
                phone=phone,
                person_id=person.id if person else None,
                # a refused request leaves a row without a code: seen, but not counted
                code_hash=rules.code_digest(phone, code) if allowed else None,
                client=client,
                issued_at=now,
            )
        )
        # a person without any role in the directory could sign in to nothing: no code
        if allowed and person is not None and person.active and await _has_a_role(session, person):
            minutes = int(rules.CODE_LIFETIME.total_seconds() // 60)
            body = playbook.render("login_code", code=code, minutes=minutes)
            enqueue_sms(session, phone, body, person_id=person.id)


async def _has_a_role(session: AsyncSession, person: Person) -> bool:
    found = await identity_of(session, person.id)
    return found is not None and bool(found.roles)


async def sign_in(
    session: AsyncSession, phone: str, code: str, client: str, user_agent: str, *, now: datetime
) -> tuple[SignInResult, str | None]:
    """Check `code` against the newest code sent to `phone`; on success start a web session and
    return its token (the cookie's value; only its hash is stored). A wrong code counts a try;
    after 5 the code is dead."""
    phone = _phone(phone)
    async with transaction(session):
        newest = (
            await session.exec(
                select(LoginCode)
                .where(LoginCode.phone == phone, col(LoginCode.code_hash).is_not(None))
                .order_by(col(LoginCode.issued_at).desc(), col(LoginCode.id).desc())
                .limit(1)
                .with_for_update()  # two tries at once count as two (SQLite: one writer anyway)
            )
        ).first()
        if newest is None or not rules.code_usable(
            rules.CodeState(newest.issued_at, newest.attempts, newest.used_at is not None), now
        ):
            return SignInResult.no_code, None
        typed = "".join(code.split())
        if not hmac.compare_digest(newest.code_hash or "", rules.code_digest(phone, typed)):
            newest.attempts += 1
            session.add(newest)
            return SignInResult.wrong_code, None
        newest.used_at = now
        session.add(newest)
        person = await session.get(Person, newest.person_id) if newest.person_id else None
        if person is None or not person.active:  # deactivated since the code was sent
            return SignInResult.no_code, None
        token = rules.new_session_token()
        session.add(
            WebSession(
                token_hash=rules.digest(token),
                person_id=person.id,
                started_at=now,
                last_seen_at=now,
                client=client[:CLIENT_CHARS],
                user_agent=user_agent[:USER_AGENT_CHARS],
            )
        )
    return SignInResult.ok, token


async def identify(session: AsyncSession, token: str, *, now: datetime) -> Identity | None:
    """The identity behind a session token, if the session is live (not ended, neither 2 h idle
    nor 12 h old) and its person active; None otherwise.

    Notes the use in `last_seen_at` at most once a minute. The read and that write are each a
    transaction of their own, committed at once: no lock is held afterwards, and the write
    begins a fresh transaction, so a SQLite reader session (DEFERRED) may be given too."""
    async with transaction(session):
        row = (
            await session.exec(
                select(
                    WebSession.id,
                    WebSession.person_id,
                    WebSession.started_at,
                    WebSession.last_seen_at,
                ).where(
                    WebSession.token_hash == rules.digest(token),
                    col(WebSession.ended_at).is_(None),
                )
            )
        ).first()
        if row is None or not rules.session_alive(row[2], row[3], now):
            return None
        session_id, person_id, _, last_seen_at = row
        identity = await identity_of(session, person_id, session_id=session_id)
    if identity is not None and now - last_seen_at >= SEEN_EVERY:
        async with transaction(session):
            await session.exec(
                update(WebSession)
                .where(
                    col(WebSession.id) == session_id,
                    col(WebSession.last_seen_at) < now,  # never back in time
                )
                .values(last_seen_at=now)
            )
    return identity


async def sign_out(session: AsyncSession, token: str, *, now: datetime) -> None:
    """End the session of `token` (an unknown or ended one: nothing happens)."""
    async with transaction(session):
        await session.exec(
            update(WebSession)
            .where(WebSession.token_hash == rules.digest(token), col(WebSession.ended_at).is_(None))
            .values(ended_at=now)
        )


async def end_sessions_of(session: AsyncSession, person_id: str, *, now: datetime) -> int:
    """End every session of a person (an admin's action); returns how many were still live.

    Deactivating a person does this by itself (auth.models)."""
    async with transaction(session):
        if await session.get(Person, person_id) is None:
            raise NotFound(f"no person {person_id!r}")
        open_ = await session.exec(
            select(WebSession.started_at, WebSession.last_seen_at).where(
                WebSession.person_id == person_id, col(WebSession.ended_at).is_(None)
            )
        )
        live = sum(1 for started, seen in open_.all() if rules.session_alive(started, seen, now))
        await session.exec(
            update(WebSession)
            .where(WebSession.person_id == person_id, col(WebSession.ended_at).is_(None))
            .values(ended_at=now)
        )
    return live
