"""Cost statements end to end: time registration, tariffs, expenses, final and adjustments."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from beredskab.costs.models import Tariff
from beredskab.crisis_staff.models import RoleTenure
from beredskab.metadata import utcnow
from beredskab.shifts.models import ShiftState
from tests.costworld import (
    FRIDAY,
    R,
    add_shift,
    by_org,
    cost_world,
    get,
    leader_acknowledges,
    list_tenures,
    local,
    patch,
    post,
    set_tariff,
    stand_down,
    worked_example,
)


@pytest.fixture
async def world(db):
    async with cost_world(db) as w:
        yield w


async def test_the_worked_example_of_design_md_through_the_api(world):
    activation_id = await worked_example(world)
    r = await get(world, f"/activations/{activation_id}/costs")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "draft" and body["running"] is False
    assert body["out_of_hours_approved"] is True and body["authority_member"] is True
    assert by_org(body["by_debtor"]) == {"odder": 8 * R + 2 * R, "ddh": 2 * R}
    assert by_org(body["by_creditor"]) == {"aarhus": 8 * R, "skive": 4 * R}
    assert body["total_ore"] == 12 * R
    assert body["total_dkk"] == "5.481,36"
    leader = next(line for line in body["lines"] if line["category"] == "crisis_staff")
    assert [
        (p["in_hours"], p["hours"], p["debtor_id"], p["amount_ore"]) for p in leader["parts"]
    ] == [(True, 2.0, "ddh", 2 * R), (False, 2.0, "odder", 2 * R)]
    shift = next(line for line in body["lines"] if line["category"] == "contact_centre_shift")
    assert shift["agents"] == 2 and shift["creditor_id"] == "aarhus"


async def test_role_time_runs_from_acknowledgement_through_handover_to_stand_down(world):
    await set_tariff(world)
    act = await world.activate("steering")
    await leader_acknowledges(world)
    r = await post(
        world,
        f"/activations/{act['id']}/roles/crisis_leader/handover",
        {"person_id": "leader1", "reason": "Vagtskifte"},
        "steering",
    )
    assert r.status_code == 200, r.text
    first, second = await list_tenures(world, act["id"])
    assert (first["person_id"], first["org_id"], first["end_reason"]) == (
        "leader0",
        "skive",
        "relieved",
    )
    assert second["person_id"] == "leader1" and second["ended_at"] is None
    assert first["ended_at"] == second["started_at"]
    running = (await get(world, f"/activations/{act['id']}/costs")).json()
    assert running["running"] is True and len(running["lines"]) == 2
    await stand_down(world, act["id"])
    tenures = await list_tenures(world, act["id"])
    assert tenures[1]["end_reason"] == "stood_down" and tenures[1]["ended_at"] is not None


async def test_an_authority_sees_only_its_own_statement(world):
    activation_id = await worked_example(world)
    own = await get(world, f"/activations/{activation_id}/costs", "authority")
    assert own.status_code == 200 and own.json()["total_ore"] == 12 * R
    other = await get(world, f"/activations/{activation_id}/costs", "other_authority")
    assert other.status_code == 404
    staff = await get(world, f"/activations/{activation_id}/costs", "leader0")
    assert staff.status_code == 403


async def test_work_without_a_rate_in_force_is_refused_with_the_date(world):
    await set_tariff(world, day="2026-12-01")
    activation_id = await worked_example(world, tariff=False)
    r = await get(world, f"/activations/{activation_id}/costs")
    assert r.status_code == 409 and "2026-11-20" in r.json()["detail"]


async def test_a_tariff_change_at_midnight_reprices_the_rest_of_a_night_shift(world):
    await set_tariff(world)
    await set_tariff(world, day="2026-11-21", rate=50_000)
    act = await world.activate("steering", authority_id="region-x")  # not a member
    await add_shift(world, act["id"], local(*FRIDAY, 22), local(2026, 11, 21, 2), agents=1)
    body = (await get(world, f"/activations/{act['id']}/costs")).json()
    assert body["total_ore"] == 2 * R + 2 * 50_000
    assert by_org(body["by_debtor"]) == {"region-x": 2 * R + 2 * 50_000}


async def test_tariffs_in_the_past_or_replacing_one_need_a_reason(world):
    r = await post(world, "/tariffs", {"valid_from": "2026-01-01", "rate_ore_per_hour": R})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    future = (utcnow() + timedelta(days=30)).date().isoformat()
    r = await post(world, "/tariffs", {"valid_from": future, "rate_ore_per_hour": R})
    assert r.status_code == 201, r.text
    r = await post(world, "/tariffs", {"valid_from": future, "rate_ore_per_hour": R + 1})
    assert r.status_code == 422
    await set_tariff(world, day=future, rate=R + 1, reason="Tastefejl")
    listed = (await get(world, "/tariffs", "admin")).json()
    assert [(t["rate_ore_per_hour"], t["superseded_at"] is None) for t in listed] == [
        (R, False),
        (R + 1, True),
    ]
    assert (await get(world, "/tariffs", "leader0")).status_code == 403


async def test_shifts_that_never_started_bill_nothing_and_cut_ones_bill_until_the_cut(world):
    await set_tariff(world)
    act = await world.activate("steering")
    start = local(*FRIDAY, 16)
    await add_shift(
        world,
        act["id"],
        start,
        start + timedelta(hours=4),
        state=ShiftState.cancelled,
        ended_at=start - timedelta(hours=1),
    )
    await add_shift(
        world,
        act["id"],
        start,
        start + timedelta(hours=4),
        org="skive",
        agents=1,
        state=ShiftState.cancelled,
        ended_at=start + timedelta(hours=1),
    )
    body = (await get(world, f"/activations/{act['id']}/costs")).json()
    assert [(line["creditor_id"], line["amount_ore"]) for line in body["lines"]] == [("skive", R)]


async def test_actual_time_is_reported_by_the_staffing_lead_or_finance(world):
    await set_tariff(world)
    act = await world.activate("steering")
    await leader_acknowledges(world)
    aid = await add_shift(world, act["id"], local(*FRIDAY, 16), local(*FRIDAY, 20))
    url = f"/activations/{act['id']}/allocations/{aid}/actuals"
    r = await patch(world, url, {"actual_agents": 1}, "log0")  # not the staffing lead
    assert r.status_code == 403
    r = await patch(
        world, url, {"actual_agents": 1, "actual_end": local(*FRIDAY, 19).isoformat()}, "leader0"
    )
    assert r.status_code == 200, r.text
    body = (await get(world, f"/activations/{act['id']}/costs")).json()
    shift = next(line for line in body["lines"] if line["category"] == "contact_centre_shift")
    assert shift["amount_ore"] == 3 * R
    r = await patch(world, url, {"actual_agents": 2}, "finance")
    assert r.status_code == 422 and "reason" in r.text  # a correction needs a reason
    r = await patch(world, url, {"actual_agents": 2, "reason": "Kommunens opgørelse"})
    assert r.status_code == 200
    log = (
        await get(world, f"/activations/{act['id']}/log?kind=shift_time_reported", "admin")
    ).json()
    assert len(log["entries"]) == 2 and "Kommunens opgørelse" in log["entries"][1]["text"]


async def test_expenses_are_reimbursed_to_their_creditor_and_paid_by_the_rules(world):
    await set_tariff(world)
    act = await world.activate("steering", authority_id="region-x")
    url = f"/activations/{act['id']}/expenses"
    r = await post(world, url, {"amount_ore": 123_450, "text": "Taxa", "creditor_id": "ddh"})
    assert r.status_code == 201, r.text
    assert r.json()["amount_dkk"] == "1.234,50"
    assert (
        await post(world, url, {"amount_ore": 5, "text": "x", "creditor_id": "nope"})
    ).status_code == 422
    assert (await get(world, url, "authority")).status_code == 403
    assert [e["text"] for e in (await get(world, url)).json()] == ["Taxa"]
    body = (await get(world, f"/activations/{act['id']}/costs")).json()
    assert by_org(body["by_debtor"]) == {"region-x": 123_450}
    assert by_org(body["by_creditor"]) == {"ddh": 123_450}
    await stand_down(world, act["id"])
    eid = r.json()["id"]
    r = await patch(world, f"{url}/{eid}", {"amount_ore": 100_000})
    assert r.status_code == 422  # the reason is missing
    r = await patch(world, f"{url}/{eid}", {"amount_ore": 100_000, "reason": "Kvittering"})
    assert r.status_code == 200 and r.json()["amount_ore"] == 100_000


async def test_a_record_is_corrected_only_through_its_own_activation(world):
    """An expense or a role tenure of one activation cannot be changed through another's path,
    even by finance: 404, and the record is as it was."""
    await set_tariff(world)
    mine = await world.activate("steering", authority_id="region-x")
    await leader_acknowledges(world)
    other = await world.activate("steering", authority_id="region-x")
    r = await post(
        world,
        f"/activations/{mine['id']}/expenses",
        {"amount_ore": 10_000, "text": "Taxa", "creditor_id": "ddh"},
    )
    expense = r.json()
    (tenure,) = await list_tenures(world, mine["id"])
    wrong = [
        await patch(
            world,
            f"/activations/{other['id']}/expenses/{expense['id']}",
            {"amount_ore": 1, "reason": "Forkert"},
        ),
        await patch(
            world,
            f"/activations/{other['id']}/role-tenures/{tenure['id']}",
            {"ended_at": utcnow().isoformat(), "reason": "Forkert"},
        ),
        await patch(
            world,
            f"/activations/{mine['id']}/expenses/{expense['id'] + 1000}",
            {"amount_ore": 1, "reason": "Findes ikke"},
        ),
    ]
    assert [r.status_code for r in wrong] == [404, 404, 404]
    assert f"no expense {expense['id']} on {other['ref']}" in wrong[0].json()["detail"]
    assert f"no role tenure {tenure['id']}" in wrong[1].json()["detail"]
    listed = (await get(world, f"/activations/{mine['id']}/expenses")).json()
    assert [e["amount_ore"] for e in listed] == [10_000]
    assert (await list_tenures(world, mine["id"]))[0]["ended_at"] is None
    missing = await get(world, "/activations/00000000-0000-0000-0000-000000000000/expenses")
    assert missing.status_code == 404


# --- final and adjustments -------------------------------------------------------------------


async def test_a_statement_can_only_be_made_final_after_stand_down(world):
    await set_tariff(world)
    act = await world.activate("steering")
    r = await post(world, f"/activations/{act['id']}/costs/final", {})
    assert r.status_code == 409 and "stand it down" in r.json()["detail"]


async def test_a_final_statement_cannot_be_edited(world):
    activation_id = await worked_example(world)
    r = await post(world, f"/activations/{activation_id}/costs/final", {})
    assert r.status_code == 200, r.text
    final = r.json()
    assert final["status"] == "final" and final["finalised_by"]
    assert (await post(world, f"/activations/{activation_id}/costs/final", {})).status_code == 409
    (leader,) = await list_tenures(world, activation_id)
    refused = [
        await post(
            world,
            f"/activations/{activation_id}/expenses",
            {"amount_ore": 100, "text": "x", "creditor_id": "ddh", "reason": "x"},
        ),
        await patch(
            world,
            f"/activations/{activation_id}/role-tenures/{leader['id']}",
            {"ended_at": local(*FRIDAY, 20).isoformat(), "reason": "x"},
        ),
    ]
    assert [r.status_code for r in refused] == [409, 409]
    assert "adjustment" in refused[0].json()["detail"]
    # a later change of the rate does not touch a final statement either
    await set_tariff(world, day="2026-01-01", rate=1, reason="Ny sats med tilbagevirkning")
    again = (await get(world, f"/activations/{activation_id}/costs")).json()
    assert again["total_ore"] == 12 * R and again["lines"] == final["lines"]


async def test_an_adjustment_line_changes_the_totals_and_is_logged(world):
    activation_id = await worked_example(world)
    await post(world, f"/activations/{activation_id}/costs/final", {})
    url = f"/activations/{activation_id}/costs/adjustments"
    r = await post(
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
    assert by_org(body["by_debtor"]) == {"odder": 10 * R - 10_000, "ddh": 2 * R}
    assert by_org(body["by_creditor"]) == {"aarhus": 8 * R - 10_000, "skive": 4 * R}
    assert body["adjustments"][0]["reason"] == "Aftalt nedslag"
    bad = await post(
        world, url, {"amount_ore": 5, "debtor_id": "aarhus", "creditor_id": "aarhus", "reason": "x"}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "debtor_id"
    assert (
        await post(world, url, {"amount_ore": 5, "debtor_id": "odder", "creditor_id": "aarhus"})
    ).status_code == 422
    log = (
        await get(world, f"/activations/{activation_id}/log?kind=cost_adjustment", "admin")
    ).json()
    assert len(log["entries"]) == 1 and "Aftalt nedslag" in log["entries"][0]["text"]
    verify = (await get(world, f"/activations/{activation_id}/log/verify", "admin")).json()
    assert verify["ok"] is True
    async with world.db.sessionmaker() as s:
        assert len((await s.exec(select(RoleTenure))).all()) == 1


async def test_two_rates_set_for_one_date_at_once_leave_one_in_force(world):
    day = (utcnow() + timedelta(days=40)).date().isoformat()
    body = {"valid_from": day, "reason": "Ny timepris"}
    results = await asyncio.gather(
        post(world, "/tariffs", {**body, "rate_ore_per_hour": R}),
        post(world, "/tariffs", {**body, "rate_ore_per_hour": R + 1}),
    )
    assert sorted(r.status_code for r in results) in ([201, 201], [201, 409])
    listed = (await get(world, "/tariffs")).json()
    in_force = [t for t in listed if t["valid_from"] == day and t["superseded_at"] is None]
    assert len(in_force) == 1


async def test_the_database_keeps_one_rate_in_force_per_date(world):
    """Migration 0008's partial unique index, not the order of requests: a second rate in force
    for a date cannot be stored, and one superseded beside it can."""
    day = (utcnow() + timedelta(days=40)).date()
    async with world.db.sessionmaker() as s:
        s.add(Tariff(valid_from=day, rate_ore_per_hour=R, created_by="test"))
        await s.commit()
        s.add(Tariff(valid_from=day, rate_ore_per_hour=R + 1, created_by="test"))
        with pytest.raises(IntegrityError):
            await s.commit()
        await s.rollback()
        s.add(
            Tariff(
                valid_from=day, rate_ore_per_hour=R + 2, created_by="test", superseded_at=utcnow()
            )
        )
        await s.commit()
