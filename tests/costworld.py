"""A world for cost tests: open_world plus municipalities, tariffs, shifts and the worked
example of docs/domain.md#worked-example driven through the API."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from beredskab.directory.models import Organisation, OrgKind, Person
from beredskab.metadata import utcnow
from beredskab.shifts.models import Shift, ShiftState, VolunteerAllocation
from tests.factories import bearer
from tests.scenario import open_world

CPH = ZoneInfo("Europe/Copenhagen")
R = 45_678  # øre per hour
FRIDAY = (2026, 11, 20)


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=CPH)


@asynccontextmanager
async def cost_world(db, settings_overrides: dict | None = None):
    """open_world plus two municipalities; the crisis leader works for Skive."""
    async with await open_world(db, settings_overrides) as w:
        async with db.sessionmaker() as s:
            s.add(
                Organisation(
                    id="aarhus",
                    name="Aarhus Kommune",
                    kind=OrgKind.municipality,
                    ddh_member=True,
                    contact_centre=True,
                    cvr="55133018",
                )
            )
            s.add(
                Organisation(
                    id="skive",
                    name="Skive Kommune",
                    kind=OrgKind.municipality,
                    ddh_member=True,
                    contact_centre=True,
                )
            )
            await s.flush()
            (await s.get(Person, "leader0")).org_id = "skive"
            await s.commit()
        w.db = db
        yield w


async def post(world, path, body, token="finance"):
    return await world.client.post(path, json=body, headers=bearer(world.tokens[token]))


async def patch(world, path, body, token="finance"):
    return await world.client.patch(path, json=body, headers=bearer(world.tokens[token]))


async def get(world, path, token="finance"):
    return await world.client.get(path, headers=bearer(world.tokens[token]))


async def set_tariff(world, day="2026-01-01", rate=R, reason="Årets timepris"):
    r = await post(
        world, "/tariffs", {"valid_from": day, "rate_ore_per_hour": rate, "reason": reason}
    )
    assert r.status_code == 201, r.text
    return r.json()


async def leader_acknowledges(world) -> None:
    await world.drain()
    await world.reply("leader0", f"OK {world.last_code('leader0')}")


async def add_shift(
    world,
    activation_id,
    start,
    end,
    *,
    org="aarhus",
    agents=2,
    approved=True,
    state=ShiftState.full,
    ended_at=None,
) -> int:
    async with world.db.sessionmaker() as s:
        shift = Shift(
            activation_id=activation_id,
            start=start,
            end=end,
            agents_needed=agents,
            state=state,
            requested_by="test",
            approved_at=utcnow() if approved else None,
            ended_at=ended_at,
        )
        s.add(shift)
        await s.flush()
        allocation = VolunteerAllocation(shift_id=shift.id, org_id=org, agents=agents)
        s.add(allocation)
        await s.commit()
        return allocation.id


async def stand_down(world, activation_id):
    r = await post(
        world, f"/activations/{activation_id}/stand-down", {"reason": "Slut"}, "steering"
    )
    assert r.status_code == 200, r.text


async def list_tenures(world, activation_id):
    r = await get(world, f"/activations/{activation_id}/role-tenures")
    assert r.status_code == 200, r.text
    return r.json()


async def worked_example(world, *, tariff: bool = True) -> str:
    """docs/domain.md#worked-example: a member activates on a Friday at 14:00 with out-of-hours
    approved; two agents from another municipality work 16-20; the crisis leader works 14-18."""
    if tariff:
        await set_tariff(world)
    act = await world.activate("steering")
    await leader_acknowledges(world)
    await add_shift(world, act["id"], local(*FRIDAY, 16), local(*FRIDAY, 20))
    await stand_down(world, act["id"])
    (leader,) = await list_tenures(world, act["id"])
    r = await patch(
        world,
        f"/activations/{act['id']}/role-tenures/{leader['id']}",
        {
            "started_at": local(*FRIDAY, 14).isoformat(),
            "ended_at": local(*FRIDAY, 18).isoformat(),
            "reason": "Kriselederens faktiske tid efter timeseddel",
        },
    )
    assert r.status_code == 200, r.text
    return act["id"]


def by_org(totals: list[dict]) -> dict[str, int]:
    return {t["org_id"]: t["amount_ore"] for t in totals}
