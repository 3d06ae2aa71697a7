"""Per-authority secret for verifying our signed status callbacks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.deps import SessionDep, require_roles
from api.openapi import problems
from beredskab.activations.callbacks import SIGNATURE_HEADER, rotate_secret
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal

router = APIRouter(prefix="/authorities", tags=["callbacks"])


class CallbackSecretOut(BaseModel):
    org_id: str
    secret: str
    header: str = SIGNATURE_HEADER
    scheme: str = "sha256=<hex HMAC-SHA256 of the raw request body, keyed with secret>"


@router.post(
    "/{org_id}/callback-secret",
    summary="Create or rotate the secret that signs status callbacks (admin, or the authority)",
    responses=problems(404),
)
async def rotate_callback_secret(
    org_id: str,
    principal: Annotated[Principal, Depends(require_roles(TokenRole.admin, TokenRole.authority))],
    session: SessionDep,
) -> CallbackSecretOut:
    secret = await rotate_secret(session, org_id, principal)
    return CallbackSecretOut(org_id=org_id, secret=secret)
