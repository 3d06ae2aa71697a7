"""Training sessions: staff time spent training, reimbursed outside any activation (rule 7).

DDH's common budget pays; the people's employer is reimbursed at the rate in force on the day.
There is no activation log to write to, so each session keeps its own history of changes.
Registering and correcting a session each commit their own transaction.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.billing import RateTable, format_dkk, part_amount
from beredskab.calendar import OpeningRules, local_midnight
from beredskab.costs.models import TrainingChange, TrainingSession
from beredskab.costs.schemas import TrainingChangeOut, TrainingCreate, TrainingOut, TrainingUpdate
from beredskab.costs.statement import rate_table
from beredskab.directory.service import known_org
from beredskab.errors import NotFound
from beredskab.unit_of_work import transaction


def _state(t: TrainingSession) -> dict:
    return {
        "day": t.day.isoformat(),
        "minutes": t.minutes,
        "people": t.people,
        "org_id": t.org_id,
        "text": t.text,
    }


MICROS_PER_MINUTE = 60_000_000


def priced_session(
    t: TrainingSession, rates: RateTable, rules: OpeningRules
) -> tuple[int, int] | tuple[None, None]:
    """(rate, øre) for a training session: people × hours at the rate in force on its day,
    rounded half-up once; (None, None) before any rate."""
    rate = rates.rate_at(local_midnight(t.day, rules.tz))
    if rate is None:
        return None, None
    return rate, part_amount(t.people, t.minutes * MICROS_PER_MINUTE, rate)


def _out(
    t: TrainingSession,
    rates: RateTable,
    rules: OpeningRules,
    history: list[TrainingChange] | None = None,
) -> TrainingOut:
    rate, amount = priced_session(t, rates, rules)
    return TrainingOut(
        id=t.id or 0,
        day=t.day,
        hours=t.minutes / 60,
        people=t.people,
        org_id=t.org_id,
        text=t.text,
        rate_ore_per_hour=rate,
        amount_ore=amount,
        amount_dkk=None if amount is None else format_dkk(amount),
        created_at=t.created_at,
        created_by=t.created_by,
        history=[
            TrainingChangeOut(
                seq=c.seq,
                changed_at=c.changed_at,
                changed_by=c.changed_by,
                reason=c.reason,
                before=c.before,
                after=c.after,
            )
            for c in history or []
        ],
    )


async def list_sessions(
    session: AsyncSession, rules: OpeningRules, first: date | None, last: date | None
) -> list[TrainingOut]:
    query = select(TrainingSession).order_by(TrainingSession.day, TrainingSession.id)
    if first is not None:
        query = query.where(TrainingSession.day >= first)
    if last is not None:
        query = query.where(TrainingSession.day <= last)
    rates = await rate_table(session, rules)
    return [_out(t, rates, rules) for t in (await session.exec(query)).all()]


async def get_session(session: AsyncSession, rules: OpeningRules, training_id: int) -> TrainingOut:
    training = await session.get(TrainingSession, training_id)
    if training is None:
        raise NotFound(f"no training session {training_id}")
    history = await session.exec(
        select(TrainingChange)
        .where(TrainingChange.training_id == training_id)
        .order_by(TrainingChange.seq)
    )
    return _out(training, await rate_table(session, rules), rules, list(history.all()))


async def add_session(
    session: AsyncSession, body: TrainingCreate, rules: OpeningRules, *, by: str, now: datetime
) -> TrainingOut:
    async with transaction(session):
        await known_org(session, "org_id", body.org_id)
        training = TrainingSession(
            day=body.day,
            minutes=int(body.hours * 60),
            people=body.people,
            org_id=body.org_id,
            text=body.text,
            created_at=now,
            created_by=by,
        )
        session.add(training)
        await session.flush()
        session.add(
            TrainingChange(
                training_id=training.id or 0,
                seq=1,
                changed_at=now,
                changed_by=by,
                reason="registreret",
                after=_state(training),
            )
        )
    return await get_session(session, rules, training.id or 0)


async def update_session(
    session: AsyncSession,
    training_id: int,
    body: TrainingUpdate,
    rules: OpeningRules,
    *,
    by: str,
    now: datetime,
) -> TrainingOut:
    async with transaction(session):
        training = (
            await session.exec(
                select(TrainingSession).where(TrainingSession.id == training_id).with_for_update()
            )
        ).first()
        if training is None:
            raise NotFound(f"no training session {training_id}")
        before = _state(training)
        changes = body.model_dump(exclude_unset=True, exclude={"reason"})
        if "org_id" in changes:
            await known_org(session, "org_id", changes["org_id"])
        if "hours" in changes:
            training.minutes = int(changes.pop("hours") * 60)
        for name, value in changes.items():
            setattr(training, name, value)
        session.add(training)
        last = (
            await session.exec(
                select(TrainingChange.seq)
                .where(TrainingChange.training_id == training_id)
                .order_by(TrainingChange.seq.desc())  # type: ignore[attr-defined]
            )
        ).first()
        session.add(
            TrainingChange(
                training_id=training_id,
                seq=(last or 0) + 1,
                changed_at=now,
                changed_by=by,
                reason=body.reason,
                before=before,
                after=_state(training),
            )
        )
    return await get_session(session, rules, training_id)
