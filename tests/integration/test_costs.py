"""Cost statements end to end: time registration, tariffs, expenses, final and adjustments."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from beredskab.costs.models import RoleTenure
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


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
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


async def _post(world, path, body, token="finance"):
    return await world.client.post(path, json=body, headers=bearer(world.tokens[token]))


async def _patch(world, path, body, token="finance"):
    return await world.client.patch(path, json=body, headers=bearer(world.tokens[token]))


async def _get(world, path, token="finance"):
    return await world.client.get(path, headers=bearer(world.tokens[token]))


async def _tariff(world, day="2026-01-01", rate=R, reason="Årets timepris"):
    r = await _post(
        world, "/tariffs", {"valid_from": day, "rate_ore_per_hour": rate, "reason": reason}
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _leader_acknowledges(world) -> None:
    await world.drain()
    await world.reply("leader0", f"OK {world.last_code('leader0')}")


async def _shift(
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


async def _stand_down(world, activation_id):
    r = await _post(
        world, f"/activations/{activation_id}/stand-down", {"reason": "Slut"}, "steering"
    )
    assert r.status_code == 200, r.text


async def _tenures(world, activation_id):
    r = await _get(world, f"/activations/{activation_id}/role-tenures")
    assert r.status_code == 200, r.text
    return r.json()


async def _worked_example(world, *, tariff: bool = True) -> str:
    """DESIGN.md: a member activates on a Friday at 14:00 with out-of-hours approved; two agents
    from another municipality work 16-20; the crisis leader works 14-18."""
    if tariff:
        await _tariff(world)
    act = await world.activate("steering")
    await _leader_acknowledges(world)
    await _shift(world, act["id"], local(*FRIDAY, 16), local(*FRIDAY, 20))
    await _stand_down(world, act["id"])
    (leader,) = await _tenures(world, act["id"])
    r = await _patch(
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


def _by(totals: list[dict]) -> dict[str, int]:
    return {t["org_id"]: t["amount_ore"] for t in totals}


async def test_the_worked_example_of_design_md_through_the_api(world):
    activation_id = await _worked_example(world)
    r = await _get(world, f"/activations/{activation_id}/costs")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "draft" and body["running"] is False
    assert body["out_of_hours_approved"] is True and body["authority_member"] is True
    assert _by(body["by_debtor"]) == {"odder": 8 * R + 2 * R, "ddh": 2 * R}
    assert _by(body["by_creditor"]) == {"aarhus": 8 * R, "skive": 4 * R}
    assert body["total_ore"] == 12 * R
    assert body["total_dkk"] == "5.481,36"
    leader = next(line for line in body["lines"] if line["category"] == "crisis_staff")
    assert [
        (p["in_hours"], p["hours"], p["debtor_id"], p["amount_ore"]) for p in leader["parts"]
    ] == [(True, 2.0, "ddh", 2 * R), (False, 2.0, "odder", 2 * R)]
    shift = next(line for line in body["lines"] if line["category"] == "contact_centre_shift")
    assert shift["agents"] == 2 and shift["creditor_id"] == "aarhus"


async def test_role_time_runs_from_acknowledgement_through_handover_to_stand_down(world):
    await _tariff(world)
    act = await world.activate("steering")
    await _leader_acknowledges(world)
    r = await _post(
        world,
        f"/activations/{act['id']}/roles/crisis_leader/handover",
        {"person_id": "leader1", "reason": "Vagtskifte"},
        "steering",
    )
    assert r.status_code == 200, r.text
    first, second = await _tenures(world, act["id"])
    assert (first["person_id"], first["org_id"], first["end_reason"]) == (
        "leader0",
        "skive",
        "relieved",
    )
    assert second["person_id"] == "leader1" and second["ended_at"] is None
    assert first["ended_at"] == second["started_at"]
    running = (await _get(world, f"/activations/{act['id']}/costs")).json()
    assert running["running"] is True and len(running["lines"]) == 2
    await _stand_down(world, act["id"])
    tenures = await _tenures(world, act["id"])
    assert tenures[1]["end_reason"] == "stood_down" and tenures[1]["ended_at"] is not None


async def test_an_authority_sees_only_its_own_statement(world):
    activation_id = await _worked_example(world)
    own = await _get(world, f"/activations/{activation_id}/costs", "authority")
    assert own.status_code == 200 and own.json()["total_ore"] == 12 * R
    other = await _get(world, f"/activations/{activation_id}/costs", "other_authority")
    assert other.status_code == 404
    staff = await _get(world, f"/activations/{activation_id}/costs", "leader0")
    assert staff.status_code == 403


async def test_work_without_a_rate_in_force_is_refused_with_the_date(world):
    await _tariff(world, day="2026-12-01")
    activation_id = await _worked_example(world, tariff=False)
    r = await _get(world, f"/activations/{activation_id}/costs")
    assert r.status_code == 409 and "2026-11-20" in r.json()["detail"]


async def test_a_tariff_change_at_midnight_reprices_the_rest_of_a_night_shift(world):
    await _tariff(world)
    await _tariff(world, day="2026-11-21", rate=50_000)
    act = await world.activate("steering", authority_id="region-x")  # not a member
    await _shift(world, act["id"], local(*FRIDAY, 22), local(2026, 11, 21, 2), agents=1)
    body = (await _get(world, f"/activations/{act['id']}/costs")).json()
    assert body["total_ore"] == 2 * R + 2 * 50_000
    assert _by(body["by_debtor"]) == {"region-x": 2 * R + 2 * 50_000}


async def test_tariffs_in_the_past_or_replacing_one_need_a_reason(world):
    r = await _post(world, "/tariffs", {"valid_from": "2026-01-01", "rate_ore_per_hour": R})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    future = (utcnow() + timedelta(days=30)).date().isoformat()
    r = await _post(world, "/tariffs", {"valid_from": future, "rate_ore_per_hour": R})
    assert r.status_code == 201, r.text
    r = await _post(world, "/tariffs", {"valid_from": future, "rate_ore_per_hour": R + 1})
    assert r.status_code == 422
    await _tariff(world, day=future, rate=R + 1, reason="Tastefejl")
    listed = (await _get(world, "/tariffs", "admin")).json()
    assert [(t["rate_ore_per_hour"], t["superseded_at"] is None) for t in listed] == [
        (R, False),
        (R + 1, True),
    ]
    assert (await _get(world, "/tariffs", "leader0")).status_code == 403


async def test_shifts_that_never_started_bill_nothing_and_cut_ones_bill_until_the_cut(world):
    await _tariff(world)
    act = await world.activate("steering")
    start = local(*FRIDAY, 16)
    await _shift(
        world,
        act["id"],
        start,
        start + timedelta(hours=4),
        state=ShiftState.cancelled,
        ended_at=start - timedelta(hours=1),
    )
    await _shift(
        world,
        act["id"],
        start,
        start + timedelta(hours=4),
        org="skive",
        agents=1,
        state=ShiftState.cancelled,
        ended_at=start + timedelta(hours=1),
    )
    body = (await _get(world, f"/activations/{act['id']}/costs")).json()
    assert [(line["creditor_id"], line["amount_ore"]) for line in body["lines"]] == [("skive", R)]


async def test_actual_time_is_reported_by_the_staffing_lead_or_finance(world):
    await _tariff(world)
    act = await world.activate("steering")
    await _leader_acknowledges(world)
    aid = await _shift(world, act["id"], local(*FRIDAY, 16), local(*FRIDAY, 20))
    url = f"/activations/{act['id']}/allocations/{aid}/actuals"
    r = await _patch(world, url, {"actual_agents": 1}, "log0")  # not the staffing lead
    assert r.status_code == 403
    r = await _patch(
        world, url, {"actual_agents": 1, "actual_end": local(*FRIDAY, 19).isoformat()}, "leader0"
    )
    assert r.status_code == 200, r.text
    body = (await _get(world, f"/activations/{act['id']}/costs")).json()
    shift = next(line for line in body["lines"] if line["category"] == "contact_centre_shift")
    assert shift["amount_ore"] == 3 * R
    r = await _patch(world, url, {"actual_agents": 2}, "finance")
    assert r.status_code == 422 and "reason" in r.text  # a correction needs a reason
    r = await _patch(world, url, {"actual_agents": 2, "reason": "Kommunens opgørelse"})
    assert r.status_code == 200
    log = (
        await _get(world, f"/activations/{act['id']}/log?kind=shift_time_reported", "admin")
    ).json()
    assert len(log["entries"]) == 2 and "Kommunens opgørelse" in log["entries"][1]["text"]


async def test_expenses_are_reimbursed_to_their_creditor_and_paid_by_the_rules(world):
    await _tariff(world)
    act = await world.activate("steering", authority_id="region-x")
    url = f"/activations/{act['id']}/expenses"
    r = await _post(world, url, {"amount_ore": 123_450, "text": "Taxa", "creditor_id": "ddh"})
    assert r.status_code == 201, r.text
    assert r.json()["amount_dkk"] == "1.234,50"
    assert (
        await _post(world, url, {"amount_ore": 5, "text": "x", "creditor_id": "nope"})
    ).status_code == 422
    assert (await _get(world, url, "authority")).status_code == 403
    assert [e["text"] for e in (await _get(world, url)).json()] == ["Taxa"]
    body = (await _get(world, f"/activations/{act['id']}/costs")).json()
    assert _by(body["by_debtor"]) == {"region-x": 123_450}
    assert _by(body["by_creditor"]) == {"ddh": 123_450}
    await _stand_down(world, act["id"])
    eid = r.json()["id"]
    r = await _patch(world, f"{url}/{eid}", {"amount_ore": 100_000})
    assert r.status_code == 422  # the reason is missing
    r = await _patch(world, f"{url}/{eid}", {"amount_ore": 100_000, "reason": "Kvittering"})
    assert r.status_code == 200 and r.json()["amount_ore"] == 100_000


# --- final and adjustments -------------------------------------------------------------------


async def test_a_statement_can_only_be_made_final_after_stand_down(world):
    await _tariff(world)
    act = await world.activate("steering")
    r = await _post(world, f"/activations/{act['id']}/costs/final", {})
    assert r.status_code == 409 and "stand it down" in r.json()["detail"]


async def test_a_final_statement_cannot_be_edited(world):
    activation_id = await _worked_example(world)
    r = await _post(world, f"/activations/{activation_id}/costs/final", {})
    assert r.status_code == 200, r.text
    final = r.json()
    assert final["status"] == "final" and final["finalised_by"]
    assert (await _post(world, f"/activations/{activation_id}/costs/final", {})).status_code == 409
    (leader,) = await _tenures(world, activation_id)
    refused = [
        await _post(
            world,
            f"/activations/{activation_id}/expenses",
            {"amount_ore": 100, "text": "x", "creditor_id": "ddh", "reason": "x"},
        ),
        await _patch(
            world,
            f"/activations/{activation_id}/role-tenures/{leader['id']}",
            {"ended_at": local(*FRIDAY, 20).isoformat(), "reason": "x"},
        ),
    ]
    assert [r.status_code for r in refused] == [409, 409]
    assert "adjustment" in refused[0].json()["detail"]
    # a later change of the rate does not touch a final statement either
    await _tariff(world, day="2026-01-01", rate=1, reason="Ny sats med tilbagevirkning")
    again = (await _get(world, f"/activations/{activation_id}/costs")).json()
    assert again["total_ore"] == 12 * R and again["lines"] == final["lines"]


async def test_an_adjustment_line_changes_the_totals_and_is_logged(world):
    activation_id = await _worked_example(world)
    await _post(world, f"/activations/{activation_id}/costs/final", {})
    url = f"/activations/{activation_id}/costs/adjustments"
    r = await _post(
        world,
        url,
        {
            "amount_ore": -10_000,
            "debtor_id": "odder",
            "creditor_id": "aarhus",
            "reason": "Aftalt nedslag",
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "final" and body["total_ore"] == 12 * R - 10_000
    assert _by(body["by_debtor"]) == {"odder": 10 * R - 10_000, "ddh": 2 * R}
    assert _by(body["by_creditor"]) == {"aarhus": 8 * R - 10_000, "skive": 4 * R}
    assert body["adjustments"][0]["reason"] == "Aftalt nedslag"
    bad = await _post(
        world, url, {"amount_ore": 5, "debtor_id": "aarhus", "creditor_id": "aarhus", "reason": "x"}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "debtor_id"
    assert (
        await _post(world, url, {"amount_ore": 5, "debtor_id": "odder", "creditor_id": "aarhus"})
    ).status_code == 422
    log = (
        await _get(world, f"/activations/{activation_id}/log?kind=cost_adjustment", "admin")
    ).json()
    assert len(log["entries"]) == 1 and "Aftalt nedslag" in log["entries"][0]["text"]
    verify = (await _get(world, f"/activations/{activation_id}/log/verify", "admin")).json()
    assert verify["ok"] is True
    async with world.db.sessionmaker() as s:
        assert len((await s.exec(select(RoleTenure))).all()) == 1
