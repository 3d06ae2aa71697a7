"""The debrief router: the debrief as JSON (and PDF) for the readers, an authority's own only;
the evaluation written by the activation's crisis leader after stand-down and before archive,
each change in the log."""

from __future__ import annotations

import pytest

from beredskab.debrief.schemas import EvaluationIn
from tests.factories import bearer
from tests.scenario import open_world

# the example the API documents is a whole evaluation
EVALUATION = EvaluationIn.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        w.act = await w.staffed_activation()
        w.base = f"/activations/{w.act['id']}"
        yield w


async def _stand_down(world) -> None:
    r = await world.client.post(
        f"{world.base}/stand-down", json={}, headers=bearer(world.tokens["steering"])
    )
    assert r.status_code == 200, r.text


async def _put(world, body: dict, who: str = "leader0"):
    return await world.client.put(
        f"{world.base}/evaluation", json=body, headers=bearer(world.tokens[who])
    )


async def _log(world) -> list[dict]:
    r = await world.client.get(
        f"{world.base}/log?format=json", headers=bearer(world.tokens["admin"])
    )
    return [e for e in r.json() if e["kind"] == "evaluation"]


@pytest.mark.parametrize("who", ["steering", "admin", "finance", "authority", "log0"])
async def test_the_readers_get_the_debrief_as_json(world, who):
    r = await world.client.get(f"{world.base}/debrief", headers=bearer(world.tokens[who]))
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["ref"] == world.act["ref"] and d["authority"] == "Odder Kommune"
    roles = {m["role"]: m["person_id"] for m in d["milestones"]["roles"]}
    assert roles["crisis_leader"] == "leader0" and roles["log_keeper"] == "log0"
    assert d["reach"]["pages"] >= 4 and d["evaluation"] is None


async def test_another_authoritys_activation_is_404(world):
    r = await world.client.get(
        f"{world.base}/debrief", headers=bearer(world.tokens["other_authority"])
    )
    assert r.status_code == 404


async def test_the_evaluation_waits_for_the_stand_down(world):
    r = await _put(world, EVALUATION)
    assert r.status_code == 409 and "after stand-down" in r.json()["detail"], r.text
    assert await _log(world) == []


async def test_only_the_activations_crisis_leader_writes_the_evaluation(world):
    await _stand_down(world)
    r = await _put(world, EVALUATION, who="log0")
    assert r.status_code == 403 and "crisis leader" in r.json()["detail"]
    r = await _put(world, EVALUATION, who="steering")
    assert r.status_code == 403


async def test_each_change_of_the_evaluation_is_logged_with_what_changed(world):
    await _stand_down(world)
    r = await _put(world, EVALUATION)
    assert r.status_code == 200, r.text
    assert r.json()["calls_answered"] == 1240 and r.json()["updated_by"] == "Navn leader0"
    again = await _put(world, EVALUATION)  # nothing changed: nothing logged
    assert again.status_code == 200
    changed = await _put(world, {**EVALUATION, "calls_answered": 1300, "went_well": ""})
    assert changed.status_code == 200 and changed.json()["went_well"] == ""
    first, second = await _log(world)
    assert first["text"].startswith("Evalueringen skrevet af Navn leader0")
    assert second["text"] == (
        "Evalueringen ændret af Navn leader0: besvarede opkald, hvad gik godt."
    )
    assert second["data"]["changed"] == {
        "calls_answered": {"from": 1240, "to": 1300},
        "went_well": {"from": EVALUATION["went_well"], "to": ""},
    }
    got = await world.client.get(
        f"{world.base}/evaluation", headers=bearer(world.tokens["authority"])
    )
    assert got.status_code == 200 and got.json()["calls_answered"] == 1300
    d = await world.client.get(f"{world.base}/debrief", headers=bearer(world.tokens["steering"]))
    assert d.json()["evaluation"]["guides"] == [{"name": "Kogeanbefaling", "version": "3"}]


async def test_the_evaluation_is_read_only_once_the_log_is_archived(world):
    await _stand_down(world)
    assert (await _put(world, EVALUATION)).status_code == 200
    r = await world.client.post(f"{world.base}/archive", headers=bearer(world.tokens["steering"]))
    assert r.status_code == 200
    late = await _put(world, {**EVALUATION, "notes": "Glemt"})
    assert late.status_code == 409 and "archived" in late.json()["detail"]
    got = await world.client.get(
        f"{world.base}/evaluation", headers=bearer(world.tokens["leader0"])
    )
    assert got.json()["notes"] == ""


async def test_no_evaluation_yet_is_404(world):
    r = await world.client.get(f"{world.base}/evaluation", headers=bearer(world.tokens["admin"]))
    assert r.status_code == 404


async def test_bad_evaluation_input_names_the_field(world):
    await _stand_down(world)
    r = await _put(world, {**EVALUATION, "calls_answered": -1})
    assert r.status_code == 422 and "calls_answered" in r.text


async def test_the_debrief_downloads_as_a_pdf(world):
    r = await world.client.get(
        f"{world.base}/debrief?format=pdf", headers=bearer(world.tokens["finance"])
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert f'filename="evaluering-{world.act["ref"]}.pdf"' in r.headers["content-disposition"]
    assert r.content.startswith(b"%PDF")
