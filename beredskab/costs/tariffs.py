"""The DDH hourly rate (DDH-timepris) as data: one row per date it takes effect.

A rate for today or earlier, or one replacing the rate of a date, needs a reason: it changes
what draft statements say about work already done. Old rows stay, marked superseded. Setting a
rate commits its own transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.billing import format_dkk
from beredskab.calendar import OpeningRules
from beredskab.costs.models import Tariff
from beredskab.costs.schemas import TariffCreate, TariffOut
from beredskab.errors import Conflict, InvalidInput
from beredskab.unit_of_work import transaction


def tariff_out(t: Tariff) -> TariffOut:
    return TariffOut(
        id=t.id or 0,
        valid_from=t.valid_from,
        rate_ore_per_hour=t.rate_ore_per_hour,
        rate_dkk=format_dkk(t.rate_ore_per_hour),
        created_at=t.created_at,
        created_by=t.created_by,
        reason=t.reason,
        superseded_at=t.superseded_at,
    )


async def list_tariffs(session: AsyncSession) -> list[TariffOut]:
    rows = await session.exec(select(Tariff).order_by(Tariff.valid_from, Tariff.id))
    return [tariff_out(t) for t in rows.all()]


async def add_tariff(
    session: AsyncSession, body: TariffCreate, rules: OpeningRules, *, by: str, now: datetime
) -> TariffOut:
    try:
        async with transaction(session):
            tariff = await _set_rate(session, body, rules, by=by, now=now)
    except IntegrityError:  # another rate for that date was set at this very moment
        raise Conflict(
            f"a rate for {body.valid_from} was set at the same moment; reload and try again"
        ) from None
    return tariff_out(tariff)


async def _set_rate(
    session: AsyncSession, body: TariffCreate, rules: OpeningRules, *, by: str, now: datetime
) -> Tariff:
    """Supersede the rate of that date, if any, and add the new one (runs inside the caller's
    transaction)."""
    replaced = (
        await session.exec(
            select(Tariff).where(
                Tariff.valid_from == body.valid_from,
                Tariff.superseded_at.is_(None),  # type: ignore[union-attr]
            )
        )
    ).all()
    reason = body.reason or ""
    retroactive = body.valid_from <= now.astimezone(rules.tz).date()
    if (replaced or retroactive) and not reason:
        why = "replaces the rate of that date" if replaced else "takes effect today or earlier"
        raise InvalidInput("reason", f"is required: the rate {why}")
    for old in replaced:
        old.superseded_at = now
        session.add(old)
    tariff = Tariff(
        valid_from=body.valid_from,
        rate_ore_per_hour=body.rate_ore_per_hour,
        created_at=now,
        created_by=by,
        reason=reason or None,
    )
    session.add(tariff)
    return tariff
