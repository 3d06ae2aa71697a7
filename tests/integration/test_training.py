"""Training sessions: registered and corrected by finance, priced at the day's rate, kept with
their own history, reimbursed from DDH's common budget in the finance report."""

from __future__ import annotations

import pytest

from tests.costworld import R, cost_world, get, patch, post, set_tariff


@pytest.fixture
async def world(db):
    async with cost_world(db) as w:
        await set_tariff(w)
        await set_tariff(w, day="2026-06-01", rate=50_000, reason="Ny sats")
        yield w


SESSION = {"day": "2026-05-12", "hours": 2.5, "people": 3, "org_id": "aarhus", "text": "Intro"}


async def test_a_session_is_priced_at_the_rate_in_force_on_its_day(world):
    r = await post(world, "/training-sessions", SESSION)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["hours"], body["rate_ore_per_hour"]) == (2.5, R)
    assert body["amount_ore"] == round(3 * 2.5 * R)  # 342_585 exactly
    assert [c["reason"] for c in body["history"]] == ["registreret"]


async def test_a_correction_needs_a_reason_and_is_kept_in_the_history(world):
    created = (await post(world, "/training-sessions", SESSION)).json()
    url = f"/training-sessions/{created['id']}"
    assert (await patch(world, url, {"people": 4})).status_code == 422
    r = await patch(world, url, {"people": 4, "day": "2026-06-02", "reason": "Deltagerliste"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["amount_ore"] == 4 * 2.5 * 50_000 and body["rate_ore_per_hour"] == 50_000
    change = body["history"][1]
    assert change["reason"] == "Deltagerliste" and change["changed_by"]
    assert (change["before"]["people"], change["after"]["people"]) == (3, 4)
    assert (await get(world, url, "admin")).json()["history"] == body["history"]


async def test_sessions_are_listed_by_period_and_checked(world):
    await post(world, "/training-sessions", SESSION)
    await post(world, "/training-sessions", {**SESSION, "day": "2026-09-01"})
    listed = (await get(world, "/training-sessions?from=2026-08-01&to=2026-12-31")).json()
    assert [t["day"] for t in listed] == ["2026-09-01"]
    bad = await post(world, "/training-sessions", {**SESSION, "hours": 1.001})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "hours"
    bad = await post(world, "/training-sessions", {**SESSION, "org_id": "nope"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "org_id"
    for role in ("authority", "steering", "leader0"):
        assert (await get(world, "/training-sessions", role)).status_code == 403


async def test_training_is_reimbursed_from_ddhs_share_in_the_report(world):
    await post(world, "/training-sessions", SESSION)
    body = (await get(world, "/costs/report?from=2026-05-01&to=2026-05-31")).json()
    amount = round(3 * 2.5 * R)
    assert [(p["org_id"], p["amount_ore"]) for p in body["reimbursements"]] == [("aarhus", amount)]
    assert body["ddh_share"]["amount_ore"] == amount and body["invoices"] == []
    (line,) = body["ddh_share"]["lines"]
    assert (line["category"], line["hours"], line["status"]) == ("training", 7.5, "training")


async def test_hours_may_be_written_with_a_danish_decimal_comma(world):
    r = await post(world, "/training-sessions", {**SESSION, "hours": "2,5"})
    assert r.status_code == 201, r.text
    assert r.json()["hours"] == 2.5 and r.json()["amount_ore"] == round(3 * 2.5 * R)
    url = f"/training-sessions/{r.json()['id']}"
    r = await patch(world, url, {"hours": " 1,25 ", "reason": "Timeseddel"})
    assert r.status_code == 200, r.text
    assert r.json()["hours"] == 1.25
    for bad in ("1,001", "2,5,0", "1.000,5", "to timer"):
        r = await post(world, "/training-sessions", {**SESSION, "hours": bad})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "hours", (bad, r.text)
