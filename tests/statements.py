"""A stood-down activation with a draft cost statement, set up for the console's finance tests
(tests/web and tests/e2e): the demo directory must be loaded (Odder, Skive, p001, DDH)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from beredskab.activations.models import ActivationStatus
from beredskab.calendar import OpeningRules
from beredskab.costs import tariffs
from beredskab.costs.schemas import TariffCreate
from beredskab.crisis_staff.models import RoleTenure
from beredskab.metadata import utcnow
from beredskab.shifts.models import ShiftState
from tests.factories import make_activation, make_allocation, make_shift

CPH = ZoneInfo("Europe/Copenhagen")
RATE = 45_000  # øre per hour: 450 kr.
PERIOD = ("2026-11-01", "2026-11-30")  # the report period holding the stand-down


def local(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=CPH)


async def stood_down_with_costs(session, rules: OpeningRules, **kw: object) -> str:  # noqa: ANN001
    """Odder's activation, stood down on Friday 20 November 2026 at 20:00: the crisis leader
    (Jens Rasmussen, Aarhus) worked 14-18 and two agents from Skive 16-20 (out-of-hours
    approved); the DDH rate is 450 kr. an hour. Returns the activation's id."""
    await tariffs.add_tariff(
        session,
        TariffCreate(valid_from=date(2026, 1, 1), rate_ore_per_hour=RATE, reason="Årets pris"),
        rules,
        by="test",
        now=utcnow(),
    )
    kw.setdefault("title", "Vandforsyning svigter")
    activation = await make_activation(
        session,
        authority_id="odder",
        status=ActivationStatus.stood_down,
        now=local(20, 14),
        ended_at=local(20, 20),
        **kw,
    )
    session.add(
        RoleTenure(
            activation_id=activation.id,
            role="crisis_leader",
            person_id="p001",
            org_id="aarhus",
            started_at=local(20, 14),
            ended_at=local(20, 18),
        )
    )
    shift = await make_shift(
        session,
        activation,
        local(20, 16),
        agents_needed=2,
        state=ShiftState.full,
        approved_at=local(20, 15),
        in_hours_minutes=0,
        out_of_hours_minutes=240,
    )
    await make_allocation(session, shift, "skive", 2)
    return activation.id
