"""Admin: API tokens (the plaintext is returned once, at creation)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import AdminDep, RowId, SessionDep
from api.openapi import problems
from beredskab.auth import service
from beredskab.auth.models import TokenRole
from beredskab.instants import Instant

router = APIRouter(prefix="/admin/tokens", tags=["admin"])


class TokenCreate(BaseModel):
    role: TokenRole
    org_id: str | None = Field(default=None, description="required for role authority")
    person_id: str | None = Field(default=None, description="a known person, if given")
    label: str = Field(default="", max_length=200)
    expires_at: Instant | None = Field(
        default=None,
        description="from this instant on the token is refused (401); in the future; "
        "omitted: the token never expires",
        examples=["2027-02-01T00:00:00+01:00"],
    )


class TokenRead(BaseModel):
    id: int
    prefix: str
    role: TokenRole
    org_id: str | None
    person_id: str | None
    label: str
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None
    last_used_at: datetime | None = Field(description="up to a minute stale; null: never used")


class TokenCreated(TokenRead):
    token: str = Field(description="shown once; only its SHA-256 is stored")


@router.get("", summary="List tokens (no secrets)")
async def list_tokens(_: AdminDep, session: SessionDep) -> list[TokenRead]:
    return [
        TokenRead.model_validate(t, from_attributes=True)
        for t in await service.list_tokens(session)
    ]


@router.post("", status_code=201, summary="Create a token; the response shows it once")
async def create_token(body: TokenCreate, _: AdminDep, session: SessionDep) -> TokenCreated:
    plaintext, row = await service.create_token(
        session,
        body.role,
        org_id=body.org_id,
        person_id=body.person_id,
        label=body.label,
        expires_at=body.expires_at,
    )
    return TokenCreated(
        token=plaintext, **TokenRead.model_validate(row, from_attributes=True).model_dump()
    )


@router.delete("/{token_id}", summary="Revoke a token", responses=problems(404))
async def revoke_token(token_id: RowId, _: AdminDep, session: SessionDep) -> TokenRead:
    row = await service.revoke_token(session, token_id)
    return TokenRead.model_validate(row, from_attributes=True)
