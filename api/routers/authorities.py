"""Per-authority secret for verifying our signed status callbacks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.deps import SessionDep, require_roles
from beredskab.activations.callbacks import SIGNATURE_HEADER, secret_for
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.directory.models import Organisation
from beredskab.errors import Forbidden, NotFound

router = APIRouter(prefix="/authorities", tags=["callbacks"])


class CallbackSecretOut(BaseModel):
    org_id: str
    secret: str
    header: str = SIGNATURE_HEADER
    scheme: str = "sha256=<hex HMAC-SHA256 of the raw request body, keyed with secret>"


@router.post(
    "/{org_id}/callback-secret",
    summary="Create or rotate the secret that signs status callbacks (admin, or the authority)",
)
async def rotate_callback_secret(
    org_id: str,
    principal: Annotated[Principal, Depends(require_roles(TokenRole.admin, TokenRole.authority))],
    session: SessionDep,
) -> CallbackSecretOut:
    if principal.role is TokenRole.authority and principal.org_id != org_id:
        raise Forbidden("an authority may only manage its own callback secret")
    if await session.get(Organisation, org_id) is None:
        raise NotFound(f"no organisation {org_id!r}")
    secret = await secret_for(session, org_id, rotate=True)
    await session.commit()
    return CallbackSecretOut(org_id=org_id, secret=secret)
