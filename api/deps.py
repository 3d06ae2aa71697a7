"""Request dependencies: the database session, and who is calling (with explicit role checks)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from api.runtime import Runtime
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal, authenticate

_bearer = HTTPBearer(auto_error=False, description="API token: `Authorization: Bearer ddh_…`")


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


SessionDep = Annotated[AsyncSession, Depends(get_session)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def current_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Looks the token up in the request's own session (one connection per request)."""
    unauthorised = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "missing bearer token", headers=unauthorised)
    principal = await authenticate(session, credentials.credentials)
    if principal is None:
        raise HTTPException(401, "invalid or revoked token", headers=unauthorised)
    return principal


def require_roles(*roles: TokenRole) -> Callable[..., Principal]:
    """Dependency that admits only tokens with one of `roles` (403 otherwise)."""
    allowed = frozenset(roles)

    async def _check(
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise HTTPException(
                403, f"role {principal.role.value!r} may not do this (allowed: {names})"
            )
        return principal

    _check.allowed_roles = allowed  # type: ignore[attr-defined]  # read by the role-matrix test
    return _check


AdminDep = Annotated[Principal, Depends(require_roles(TokenRole.admin))]
