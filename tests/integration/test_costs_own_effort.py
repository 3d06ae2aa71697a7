"""A municipality's own agents on its own activation ("egen indsats"): no invoice to it and no
reimbursement of the same amount back, but one line that shows the work with 0 kr. to pay, in
the statement and in the finance report, draft and final alike (issue 14.4)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from beredskab.metadata import utcnow
from tests.costworld import FRIDAY, R, add_shift, by_org, cost_world, get, local, post, stand_down

_TODAY = utcnow().date()
PERIOD = f"from={_TODAY - timedelta(days=30)}&to={_TODAY + timedelta(days=1)}"


@pytest.fixture
async def world(db):
    """Odder (a member, out of hours approved) activates; its own two agents work a Friday
    evening shift 16-20, wholly out of hours (Odder's to pay), beside one Aarhus agent."""
    async with cost_world(db) as w:
        r = await post(
            w, "/tariffs", {"valid_from": "2026-01-01", "rate_ore_per_hour": R, "reason": "Sats"}
        )
        assert r.status_code == 201, r.text
        act = await w.activate("steering")
        assert act["authority_id"] == "odder"
        await add_shift(w, act["id"], local(*FRIDAY, 16), local(*FRIDAY, 20), org="odder")
        await add_shift(
            w, act["id"], local(*FRIDAY, 16), local(*FRIDAY, 20), org="aarhus", agents=1
        )
        await stand_down(w, act["id"])
        w.activation = act["id"]
        yield w


def _shift_lines(statement: dict) -> dict[str, dict]:
    return {
        line["creditor_id"]: line
        for line in statement["lines"]
        if line["category"] == "contact_centre_shift"
    }


async def _check_statement(world) -> None:
    statement = (await get(world, f"/activations/{world.activation}/costs")).json()
    own = _shift_lines(statement)["odder"]
    assert own["amount_ore"] == 0 and "egen indsats" in own["description"]
    assert [(p["hours"], p["agents"], p["amount_ore"], p["own_effort"]) for p in own["parts"]] == [
        (4.0, 2, 0, True)
    ]
    assert _shift_lines(statement)["aarhus"]["amount_ore"] == 4 * R
    # Odder pays Aarhus; it is neither invoiced nor reimbursed for its own agents
    assert by_org(statement["by_debtor"])["odder"] == 4 * R
    assert "odder" not in by_org(statement["by_creditor"])


async def _check_report(world) -> None:
    r = await get(world, f"/costs/report?{PERIOD}&format=json")
    assert r.status_code == 200, r.text
    body = r.json()
    (invoice,) = [p for p in body["invoices"] if p["org_id"] == "odder"]
    assert invoice["amount_ore"] == 4 * R
    own = [line for line in invoice["lines"] if line["text"] == "egen indsats"]
    assert [(line["hours"], line["amount_ore"], line["creditor_id"]) for line in own] == [
        (8.0, 0, "odder")
    ]
    assert "odder" not in {p["org_id"] for p in body["reimbursements"]}
    totals = body["totals"]
    assert totals["invoiced_ore"] + totals["ddh_share_ore"] == totals["reimbursed_ore"]


async def test_own_effort_is_one_line_with_nothing_to_pay_while_a_draft(world):
    await _check_statement(world)
    await _check_report(world)


async def test_own_effort_is_one_line_with_nothing_to_pay_once_final(world):
    r = await post(world, f"/activations/{world.activation}/costs/final", {})
    assert r.status_code == 200, r.text
    await _check_statement(world)
    await _check_report(world)
