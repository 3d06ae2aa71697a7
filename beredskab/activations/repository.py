"""Loading activations: every writer takes the activation row lock first; what a caller may see."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation, RoleCallout
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.errors import Forbidden, NotFound
from beredskab.roles import Role


async def lock_activation(session: AsyncSession, activation_id: str) -> Activation:
    """Load and lock (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises)."""
    row = (
        await session.exec(
            select(Activation)
            .where(Activation.id == activation_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()
    if row is None:
        raise NotFound(f"no activation {activation_id}")
    return row


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
