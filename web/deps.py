"""Who is signed in (the session cookie), the CSRF check, and acting in one of a person's roles.

The cookie carries a random session token; only its hash is stored (beredskab/auth/signin.py).
Every state-changing request must carry the CSRF token of its session: a form field `csrf` or,
for htmx requests, the header `X-CSRF-Token`. The token is derived from the session's own secret,
so it needs no storage and dies with the session."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.auth import signin
from beredskab.auth.identity import Identity
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.errors import Forbidden
from beredskab.metadata import utcnow

COOKIE = "ddh_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


class SignInRequired(Exception):  # noqa: N818 - an outcome, not a failure: go and sign in
    """No live session: the person is sent to /login (and back to `next` after)."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class CsrfRefused(Exception):  # noqa: N818
    """A state-changing request without its session's CSRF token."""


def csrf_for(token: str) -> str:
    return hmac.new(token.encode(), b"ddh-csrf", hashlib.sha256).hexdigest()


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for the page's reads (on SQLite a reader's connection)."""
    async with request.app.state.read_sessionmaker() as session:
        yield session


async def write_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


ReadSession = Annotated[AsyncSession, Depends(read_session)]
WriteSession = Annotated[AsyncSession, Depends(write_session)]


def _next_path(request: Request) -> str:
    path = request.url.path
    return path + (f"?{request.url.query}" if request.url.query else "")


async def identity(request: Request) -> Identity:
    """The signed-in person, or a redirect to /login. A state-changing request must also carry
    the session's CSRF token."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInRequired(_next_path(request))
    async with request.app.state.sessionmaker() as session:
        person = await signin.identify(session, token, now=utcnow())
    if person is None:
        raise SignInRequired(_next_path(request))
    request.state.identity = person
    request.state.csrf = csrf_for(token)
    request.state.nav = navigation(person)
    if request.method not in ("GET", "HEAD"):
        await _check_csrf(request, token)
    return person


async def _check_csrf(request: Request, token: str) -> None:
    presented = request.headers.get(CSRF_HEADER)
    if presented is None:
        kind = request.headers.get("content-type", "")
        if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            presented = (await request.form()).get(CSRF_FIELD)  # cached for the route
    if not isinstance(presented, str) or not hmac.compare_digest(presented, csrf_for(token)):
        raise CsrfRefused


def allow(*roles: TokenRole) -> Callable[..., Awaitable[Identity]]:
    """Dependency: the signed-in person, if they hold one of `roles` (a 403 page otherwise).

    Every console route states its roles this way; tests/web/test_console_roles.py reads
    `allowed_roles` and checks that each other role is refused."""
    allowed = frozenset(roles)

    async def _check(me: Identity = Depends(identity)) -> Identity:
        if not any(me.has(role) for role in allowed):
            raise Forbidden("Du har ikke adgang til dette.")
        return me

    _check.allowed_roles = allowed  # type: ignore[attr-defined]
    return _check


# any signed-in person, whatever their roles (what they then see depends on them)
Me = Annotated[Identity, Depends(allow(*TokenRole))]


def acting(me: Identity, *roles: TokenRole) -> Principal:
    """`me` acting in the first of `roles` they hold, for the services; 403 if none."""
    for role in roles:
        if me.has(role):
            return me.principal(role)
    raise Forbidden("Du har ikke adgang til dette.")


# what a person sees: any role but authority sees every activation; an authority only its own
SEEING = (
    TokenRole.steering,
    TokenRole.crisis_staff,
    TokenRole.finance,
    TokenRole.admin,
    TokenRole.authority,
)


def viewer(me: Identity) -> Principal:
    """`me` in the role that sees the most (for reading pages)."""
    return acting(me, *SEEING)


def principals(me: Identity) -> list[Principal]:
    """`me` in each of their roles (what they may see is what any of them may see)."""
    return [me.principal(role) for role in TokenRole if me.has(role)]


def navigation(me: Identity) -> tuple[tuple[str, str], ...]:
    """The main menu for `me`: (address, label), only what their roles may open."""
    items = [("/oversigt", "Oversigt")]
    if me.has(TokenRole.steering) or me.has(TokenRole.admin):
        items.append(("/beredskab", "Beredskab"))
    if me.has(TokenRole.finance) or me.has(TokenRole.admin):
        items.append(("/okonomi", "Økonomi"))
    return tuple(items)


def login_redirect(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")


def activation_tabs(me: Identity, activation_id: str) -> list[tuple[str, str, str]]:
    """The tabs of one activation's pages that `me` may open: (key, address, label)."""
    base = f"/aktivering/{activation_id}"
    tabs = [
        ("status", base, "Status"),
        ("logbog", f"{base}/logbog", "Logbog"),
        ("vagter", f"{base}/vagter", "Vagter"),
        ("handlingskort", f"{base}/handlingskort", "Handlingskort"),
    ]
    if me.has(TokenRole.finance) or me.has(TokenRole.admin):
        tabs.append(("okonomi", f"{base}/okonomi", "Økonomi"))
    return tabs
