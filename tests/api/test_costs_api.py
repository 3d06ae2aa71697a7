"""The costs router (one activation's statement, expenses, adjustments, role time, actuals):
who may call what, what it refuses, and the shape of what it answers. How a statement is
priced is in tests/unit/test_billing.py and tests/integration/test_costs*.py."""

from __future__ import annotations

import pytest

from tests.costworld import cost_world, get, list_tenures, patch, post, set_tariff, stand_down
from tests.factories import bearer

EXPENSE = {"amount_ore": 125000, "text": "Taxa til vagtskifte", "creditor_id": "aarhus"}


@pytest.fixture
async def world(db):
    async with cost_world(db) as w:
        await set_tariff(w)
        w.act = await w.activate("steering")
        w.base = f"/activations/{w.act['id']}"
        yield w


async def test_the_statement_is_a_running_draft_while_the_activation_is_open(world):
    r = await get(world, f"{world.base}/costs", "authority")
    assert r.status_code == 200, r.text
    statement = r.json()
    assert (statement["status"], statement["running"]) == ("draft", True)
    assert (statement["activation_id"], statement["authority_id"]) == (world.act["id"], "odder")


async def test_an_expense_is_entered_listed_and_corrected_with_a_reason(world):
    r = await post(world, f"{world.base}/expenses", EXPENSE)
    assert r.status_code == 201, r.text
    expense = r.json()
    assert (expense["amount_ore"], expense["amount_dkk"], expense["creditor_id"]) == (
        125000,
        "1.250,00",
        "aarhus",
    )
    listed = (await get(world, f"{world.base}/expenses")).json()
    assert [e["id"] for e in listed] == [expense["id"]]
    r = await patch(
        world,
        f"{world.base}/expenses/{expense['id']}",
        {"amount_ore": 100000, "reason": "kvittering"},
    )
    assert r.status_code == 200 and r.json()["amount_ore"] == 100000


async def test_finalising_needs_a_stood_down_activation_and_happens_once(world):
    early = await post(world, f"{world.base}/costs/final", {})
    assert early.status_code == 409 and "stand it down first" in early.json()["detail"]
    await stand_down(world, world.act["id"])
    r = await post(world, f"{world.base}/costs/final", {})
    assert r.status_code == 200 and r.json()["status"] == "final"
    again = await post(world, f"{world.base}/costs/final", {})
    assert again.status_code == 409 and "already final" in again.json()["detail"]


async def test_an_adjustment_answers_the_statement_with_its_line(world):
    r = await post(
        world,
        f"{world.base}/costs/adjustments",
        {"amount_ore": -5000, "debtor_id": "odder", "creditor_id": "ddh", "reason": "rabat"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["activation_id"] == world.act["id"]
    zero = await post(
        world,
        f"{world.base}/costs/adjustments",
        {"amount_ore": 0, "debtor_id": "odder", "creditor_id": "ddh", "reason": "x"},
    )
    assert zero.status_code == 422 and zero.json()["errors"][0]["field"] == "amount_ore"


async def test_role_time_is_listed_and_corrected_with_a_reason(world):
    await world.drain()
    await world.reply("leader0", f"OK {world.last_code('leader0')}")
    [tenure] = await list_tenures(world, world.act["id"])
    assert (tenure["role"], tenure["person_id"]) == ("crisis_leader", "leader0")
    r = await patch(
        world,
        f"{world.base}/role-tenures/{tenure['id']}",
        {
            "started_at": "2026-01-01T10:00:00+01:00",
            "ended_at": "2026-01-01T09:00:00+01:00",
            "reason": "timeseddel",
        },
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "ended_at"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/expenses/999999", {"amount_ore": 1, "reason": "x"}),
        ("patch", "/role-tenures/999999", {"ended_at": "2026-01-01T10:00:00Z", "reason": "x"}),
        ("patch", "/allocations/999999/actuals", {"actual_agents": 1}),
    ],
)
async def test_an_absent_record_of_the_activation_is_404(world, method, path, body):
    r = await world.client.request(
        method, world.base + path, json=body, headers=bearer(world.tokens["finance"])
    )
    assert r.status_code == 404, r.text


@pytest.mark.parametrize(
    ("method", "path", "token"),
    [
        ("get", "/costs", "finance"),
        ("get", "/expenses", "finance"),
        ("post", "/expenses", "finance"),
        ("get", "/role-tenures", "finance"),
        ("post", "/costs/final", "finance"),
    ],
)
async def test_an_absent_activation_is_404(world, method, path, token):
    body = EXPENSE if method == "post" else None
    r = await world.client.request(
        method, "/activations/nope" + path, json=body, headers=bearer(world.tokens[token])
    )
    assert r.status_code == 404, r.text


async def test_another_authoritys_statement_is_404(world):
    r = await get(world, f"{world.base}/costs", "other_authority")
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**EXPENSE, "amount_ore": 0}, "amount_ore"),
        ({**EXPENSE, "text": ""}, "text"),
        ({k: v for k, v in EXPENSE.items() if k != "creditor_id"}, "creditor_id"),
        ({**EXPENSE, "vat": 25}, "vat"),
    ],
)
async def test_a_bad_expense_names_the_field(world, body, field):
    r = await post(world, f"{world.base}/expenses", body)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == [field], r.text


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("get", "/costs", {"finance", "admin", "authority"}),
        ("post", "/costs/final", {"finance"}),
        ("post", "/costs/adjustments", {"finance"}),
        ("get", "/expenses", {"finance"}),
        ("post", "/expenses", {"finance"}),
        ("get", "/role-tenures", {"finance"}),
        ("patch", "/allocations/1/actuals", {"finance", "leader0"}),
    ],
)
async def test_each_endpoint_admits_its_roles_only(world, method, path, allowed):
    url = world.base + path
    assert (await world.client.request(method, url, json={})).status_code == 401
    for token in {"steering", "authority", "admin", "finance", "leader0"} - allowed:
        r = await world.client.request(method, url, json={}, headers=bearer(world.tokens[token]))
        assert r.status_code == 403, token
