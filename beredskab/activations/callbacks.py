"""Per-authority secrets for signing status callbacks (HMAC-SHA256 over the body).

`rotate_secret` is the use case (it commits); the rest is read by the dispatcher as it signs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.directory.models import Organisation
from beredskab.errors import Forbidden, NotFound
from beredskab.metadata import utcnow
from beredskab.unit_of_work import transaction

SIGNATURE_HEADER = "X-DDH-Signature"


class CallbackSecret(SQLModel, table=True):
    __tablename__ = "callback_secret"
    org_id: str = Field(foreign_key="organisation.id", primary_key=True, max_length=64)
    secret: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def secret_for(session: AsyncSession, org_id: str, *, rotate: bool = False) -> str:
    row = await session.get(CallbackSecret, org_id)
    if row is None or rotate:
        row = row or CallbackSecret(org_id=org_id, secret="")
        row.secret = secrets.token_urlsafe(32)
        row.created_at = utcnow()
        session.add(row)
        await session.flush()
    return row.secret


async def rotate_secret(session: AsyncSession, org_id: str, by: Principal) -> str:
    """Create or replace an organisation's callback secret (admin, or that authority) and commit;
    returns the new secret, shown to the caller once."""
    if by.role is TokenRole.authority and by.org_id != org_id:
        raise Forbidden("an authority may only manage its own callback secret")
    async with transaction(session):
        if await session.get(Organisation, org_id) is None:
            raise NotFound(f"no organisation {org_id!r}")
        secret = await secret_for(session, org_id, rotate=True)
    return secret


async def sign_for_activation(
    session: AsyncSession, activation_id: str | None, body: bytes
) -> dict[str, str]:
    """The signature header of a status callback: HMAC with the activation's authority's secret
    (an authority that never asked for one gets a signature with the empty secret)."""
    activation = await session.get(Activation, activation_id) if activation_id else None
    stored = await session.get(CallbackSecret, activation.authority_id) if activation else None
    return {SIGNATURE_HEADER: signature(stored.secret if stored else "", body)}
