"""Request dependencies: the database session, and who is calling (with explicit role checks)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal, authenticate
from beredskab.calendar import OpeningRules
from beredskab.errors import InvalidInput
from beredskab.instants import YEARS, Day
from beredskab.metadata import MAX_INTEGER
from beredskab.runtime import Runtime

_bearer = HTTPBearer(auto_error=False, description="API token: `Authorization: Bearer ddh_…`")


_READS = frozenset({"GET", "HEAD"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session. A GET only reads: on SQLite it gets a reader's connection, whose
    transaction never holds the write lock (`db.make_read_engine`)."""
    state = request.app.state
    sessions = state.read_sessionmaker if request.method in _READS else state.sessionmaker
    async with sessions() as session:
        yield session


async def get_runtime(request: Request) -> Runtime:
    # async: FastAPI runs a plain `def` dependency in a worker thread, a hop on every request
    return request.app.state.runtime


# A JSON string escape \u0000 not itself escaped (an odd run of backslashes before it).
_JSON_NUL = re.compile(rb"(?:^|[^\\])(?:\\\\)*\\u0000")


async def refuse_nul(request: Request) -> None:
    """PostgreSQL cannot store the NUL character in text or JSON, nor compare with it: a body,
    query or path carrying one would fail in the database (a 500, and for the log keeper's group
    writer, for everyone in the round). Refused once here, before any route sees it. (Form
    bodies, the Twilio webhooks, strip it instead: an SMS is answered whatever it holds.)"""
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if "\x00" in value:
            raise InvalidInput(name, "may not contain the NUL character")
    # JSON as FastAPI reads it: application/json and application/*+json, any case
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    is_json = kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )
    if is_json and _JSON_NUL.search(await request.body()):  # the body is cached for the route
        raise InvalidInput("body", "text may not contain the NUL character (\\u0000)")


SessionDep = Annotated[AsyncSession, Depends(get_session)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_opening_rules(runtime: RuntimeDep) -> OpeningRules:
    return runtime.activation_config.opening_rules  # built once: it caches each year's hours


Rules = Annotated[OpeningRules, Depends(get_opening_rules)]
# An integer row id in a path. Bounded to the database's INTEGER, so an absurd id is a 422 naming
# the parameter instead of a driver overflow (a 500) on the way to the query.
RowId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]
# A report's period of local dates, `?from=&to=` (the finance report, the stats): the service
# refuses a period that runs backwards or is longer than 400 days, naming `to`.
FirstDay = Annotated[Day, Query(alias="from", description=f"first local date, {YEARS}")]
LastDay = Annotated[
    Day,
    Query(
        alias="to",
        description="last local date, included: not before `from`, at most 400 days after",
    ),
]


def attachment(body: bytes, media_type: str, filename: str) -> Response:
    """A file to download (an export), named for the user's disk."""
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


_UNAUTHORISED = {"WWW-Authenticate": "Bearer"}
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _presented(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "missing bearer token", headers=_UNAUTHORISED)
    return credentials.credentials


def _known(principal: Principal | None, runtime: Runtime) -> Principal:
    if principal is None:
        raise HTTPException(401, "invalid, expired or revoked token", headers=_UNAUTHORISED)
    runtime.token_use.note(principal)  # written later, at most once a minute: no wait here
    return principal


async def current_principal(
    session: SessionDep, runtime: RuntimeDep, credentials: Credentials
) -> Principal:
    """Looks the token up in the request's own session (one connection per request)."""
    return _known(await authenticate(session, _presented(credentials)), runtime)


async def current_principal_shared(runtime: RuntimeDep, credentials: Credentials) -> Principal:
    """Looks the token up in a query shared with concurrent requests, outside any session of
    this request: for routes whose work is done in another transaction (the log writer)."""
    return _known(await runtime.token_lookup.authenticate(_presented(credentials)), runtime)


def require_roles(*roles: TokenRole, shared_lookup: bool = False) -> Callable[..., Principal]:
    """Dependency that admits only tokens with one of `roles` (403 otherwise).

    `shared_lookup`: find the caller with `current_principal_shared` instead of the request's
    session; the route then opens no transaction of its own just to know who is calling."""
    allowed = frozenset(roles)
    caller = current_principal_shared if shared_lookup else current_principal

    # a default, not Annotated: postponed annotations cannot see the local `caller`
    async def _check(principal: Principal = Depends(caller)) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise HTTPException(
                403, f"role {principal.role.value!r} may not do this (allowed: {names})"
            )
        return principal

    _check.allowed_roles = allowed  # type: ignore[attr-defined]  # read by the role-matrix test
    return _check


AdminDep = Annotated[Principal, Depends(require_roles(TokenRole.admin))]
