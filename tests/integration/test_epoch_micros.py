"""`db.epoch_micros`: each database reads a stored instant as the µs since the epoch that
`billing.to_micros` gives for it in Python, to the microsecond (the finance report prices drafts
from these integers)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from beredskab.activations.models import Activation
from beredskab.billing import from_micros, to_micros
from beredskab.db import epoch_micros
from beredskab.shifts.models import Shift
from tests.costworld import cost_world

CPH = ZoneInfo("Europe/Copenhagen")
INSTANTS = [
    datetime(2000, 1, 1, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 59, 59, 999_999, tzinfo=UTC),  # the last µs before summer time
    datetime(2026, 3, 29, 3, 0, tzinfo=CPH),  # the first hour of summer time
    datetime(2026, 10, 25, 2, 30, tzinfo=CPH).replace(fold=1),  # the second 02:30 in October
    datetime(2026, 11, 23, 12, 0, 0, 1, tzinfo=UTC),
    datetime(2199, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
]


async def test_the_database_and_python_agree_on_micros_since_the_epoch(db):
    async with cost_world(db) as world, world.db.sessionmaker() as s:
        activation = Activation(
            id=str(uuid.uuid4()),
            ref="EPOCH-1",
            title="Epoke",
            authority_id="odder",
            contact_name="Test",
            contact_phone="+4520123456",
            status="stood_down",
            playbook_hash="test",
            created_by="test",
        )
        s.add(activation)
        await s.flush()
        shifts = [
            Shift(
                activation_id=activation.id,
                start=at,
                end=at + timedelta(hours=1),
                agents_needed=1,
                state="full",
                requested_by="test",
                ended_at=None if i % 2 else at,
            )
            for i, at in enumerate(INSTANTS)
        ]
        s.add_all(shifts)
        await s.commit()
        rows = (
            await s.exec(
                select(Shift.start, epoch_micros(Shift.start), epoch_micros(Shift.ended_at)).where(
                    Shift.id.in_([shift.id for shift in shifts])
                )  # type: ignore[union-attr]
            )
        ).all()
    assert len(rows) == len(INSTANTS)
    for i, (start, start_micros, ended_micros) in enumerate(sorted(rows)):
        assert start_micros == to_micros(INSTANTS[i]) == to_micros(start)
        assert from_micros(start_micros) == INSTANTS[i].astimezone(UTC)
        assert ended_micros == (None if i % 2 else start_micros)
