"""Loading activations: every writer takes the activation row lock first; what a caller may see."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import REPLY_IN_LINE, Activation, InboundSms, RoleCallout
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.errors import Forbidden, NotFound
from beredskab.roles import Role

# session.info key: this session must not wait for an activation's lock (see ActivationBusy)
DEFER_WHEN_BUSY = "activations.defer_when_busy"
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for FOR UPDATE NOWAIT on a held lock


class ActivationBusy(Exception):  # noqa: N818 - a state, not a fault
    """Raised by `lock_activation` instead of waiting, in a session marked `DEFER_WHEN_BUSY`
    (the SMS webhook) on PostgreSQL, when another transaction holds the activation's lock or
    replies already wait in line (`inbound_sms` rows in REPLY_IN_LINE, which go first). The
    caller rolls back and keeps its message in line (#18, P8). SQLite has one writer and no row
    locks: there a session always waits its turn."""


async def lock_activation(session: AsyncSession, activation_id: str) -> Activation:
    """Load and lock (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises)."""
    defer = bool(session.info.get(DEFER_WHEN_BUSY)) and session.bind.dialect.name == "postgresql"
    try:
        row = (
            await session.exec(
                select(Activation)
                .where(Activation.id == activation_id)
                .with_for_update(nowait=defer)
                .execution_options(populate_existing=True)
            )
        ).first()
    except DBAPIError as exc:
        if defer and getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise ActivationBusy(activation_id) from exc
        raise
    if row is None:
        raise NotFound(f"no activation {activation_id}")
    if defer and await _replies_in_line(session):
        raise ActivationBusy(activation_id)
    return row


async def _replies_in_line(session: AsyncSession) -> bool:
    """Whether replies wait in line (of any activation: they are taken in the order they came)."""
    waiting = select(InboundSms.message_sid).where(InboundSms.outcome == REPLY_IN_LINE).limit(1)
    return (await session.exec(waiting)).first() is not None


def can_see(principal: Principal, activation: Activation) -> bool:
    return principal.role is not TokenRole.authority or principal.org_id == activation.authority_id


async def get_visible(
    session: AsyncSession, principal: Principal, activation_id: str
) -> Activation:
    activation = await session.get(Activation, activation_id)
    # another authority's activation is reported as absent, so ids leak nothing
    if activation is None or not can_see(principal, activation):
        raise NotFound(f"no activation {activation_id}")
    return activation


async def require_crisis_leader(
    session: AsyncSession, activation: Activation, principal: Principal
) -> None:
    leader = (
        await session.exec(
            select(RoleCallout).where(
                RoleCallout.activation_id == activation.id, RoleCallout.role == Role.crisis_leader
            )
        )
    ).first()
    if not principal.person_id or leader is None or leader.person_id != principal.person_id:
        raise Forbidden(f"only the crisis leader of {activation.ref} may do this")
