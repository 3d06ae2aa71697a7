"""The action-cards router: each role's checklist, read by anyone who may see the activation and
ticked off by the crisis staff."""

from __future__ import annotations

import pytest

from tests.factories import bearer
from tests.scenario import open_world


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        w.act = await w.activate("steering")
        w.url = f"/activations/{w.act['id']}/tasks"
        yield w


async def test_the_cards_list_every_roles_tasks_open(world):
    r = await world.client.get(world.url, headers=bearer(world.tokens["authority"]))
    assert r.status_code == 200, r.text
    tasks = r.json()
    assert {t["role"] for t in tasks} == {
        "crisis_leader",
        "log_keeper",
        "process_lead",
        "staffing_lead",
    }
    assert {t["state"] for t in tasks} == {"open"}
    assert set(tasks[0]) == {
        "id",
        "role",
        "position",
        "text",
        "state",
        "changed_by",
        "changed_at",
        "note",
    }


async def test_the_crisis_staff_marks_a_task_done_and_it_is_logged(world):
    task = (await world.client.get(world.url, headers=bearer(world.tokens["log0"]))).json()[0]
    r = await world.client.post(
        f"{world.url}/{task['id']}",
        json={"state": "done", "note": "ringet op"},
        headers=bearer(world.tokens["log0"]),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["note"]) == ("done", "ringet op")
    assert "Navn log0" in r.json()["changed_by"]
    log = await world.client.get(
        f"/activations/{world.act['id']}/log?kind=action_card",
        headers=bearer(world.tokens["admin"]),
    )
    assert len(log.json()["entries"]) == 1


async def test_another_authority_and_an_absent_activation_are_404(world):
    r = await world.client.get(world.url, headers=bearer(world.tokens["other_authority"]))
    assert r.status_code == 404
    r = await world.client.get("/activations/nope/tasks", headers=bearer(world.tokens["admin"]))
    assert r.status_code == 404
    r = await world.client.post(
        "/activations/nope/tasks/1", json={"state": "done"}, headers=bearer(world.tokens["log0"])
    )
    assert r.status_code == 404


async def test_a_task_of_another_activation_is_404(world):
    other = await world.activate("steering", title="Anden")
    task = (
        await world.client.get(
            f"/activations/{other['id']}/tasks", headers=bearer(world.tokens["log0"])
        )
    ).json()[0]
    r = await world.client.post(
        f"{world.url}/{task['id']}", json={"state": "done"}, headers=bearer(world.tokens["log0"])
    )
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [({"state": "finished"}, "state"), ({}, "state"), ({"state": "done", "x": 1}, "x")],
)
async def test_a_bad_change_names_the_field(world, body, field):
    r = await world.client.post(f"{world.url}/1", json=body, headers=bearer(world.tokens["log0"]))
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == [field], r.text


async def test_only_crisis_staff_tick_tasks_and_a_token_is_needed(world):
    assert (await world.client.get(world.url)).status_code == 401
    for role in ("steering", "authority", "admin", "finance"):
        r = await world.client.post(
            f"{world.url}/1", json={"state": "done"}, headers=bearer(world.tokens[role])
        )
        assert r.status_code == 403, role
