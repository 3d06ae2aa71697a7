"""The development router (DEV_MODE only): inject an SMS as if a phone had sent it."""

from __future__ import annotations

import pytest

from tests.factories import bearer
from tests.scenario import open_world

URL = "/dev/sms/inject"


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        yield w


async def test_dev_inject_answers_like_a_phone(world):
    act = await world.activate("authority")
    await world.drain()
    code = world.last_code("steer2")
    r = await world.client.post(
        URL,
        headers=bearer(world.tokens["admin"]),
        json={"from": world.people["steer2"].phone, "body": f"OK {code}"},
    )
    assert r.status_code == 200 and r.json()["outcome"] == "endorsed"
    assert "godkendt" in r.json()["reply"]
    assert (await world.board(act["id"]))["status"] == "active"


async def test_an_unknown_number_is_answered_like_any_stranger(world):
    r = await world.client.post(
        URL, headers=bearer(world.tokens["admin"]), json={"from": "+4599999999", "body": "hej"}
    )
    assert r.status_code == 200
    assert r.json()["outcome"] == "unknown_sender" and "kender ikke" in r.json()["reply"]


async def test_only_an_admin_may_inject(world):
    body = {"from": world.people["log0"].phone, "body": "ok"}
    assert (await world.client.post(URL, json=body)).status_code == 401
    for role in ("steering", "authority", "finance", "log0"):
        r = await world.client.post(URL, json=body, headers=bearer(world.tokens[role]))
        assert r.status_code == 403, role


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": "ok"}, "from"),
        ({"from": "+4550200000"}, "body"),
        ({"from": "+4550200000", "body": "x" * 2001}, "body"),
    ],
)
async def test_a_bad_body_is_a_422_naming_the_field(world, body, field):
    r = await world.client.post(URL, json=body, headers=bearer(world.tokens["admin"]))
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == [field], r.text


async def test_without_dev_mode_the_route_does_not_exist(db):
    async with await open_world(db, {"dev_mode": False}) as world:
        r = await world.client.post(
            URL, json={"from": "+4599999999", "body": "ok"}, headers=bearer(world.tokens["admin"])
        )
        assert r.status_code == 404


PRESS = "/dev/voice/press"


async def _called_and_pressed(world, pid: str, minutes: int) -> str:
    """`pid` does not answer the SMS, is called after `minutes`, and presses 1: the TwiML."""
    await world.drain()
    code = world.last_code(pid)
    await world.later(minutes)
    assert [c.to for c in world.gateway.calls].count(world.people[pid].phone) == 1
    r = await world.client.post(
        PRESS, headers=bearer(world.tokens["admin"]), json={"page_code": code, "digit": "1"}
    )
    assert r.status_code == 200, r.text
    return r.json()["twiml"]


async def test_dev_press_answers_the_call_of_a_page_like_a_key(world):
    act = await world.activate("steering")
    twiml = await _called_and_pressed(world, "leader0", 5)
    assert "kriseleder" in twiml
    roles = {x["role"]: x for x in (await world.board(act["id"]))["roles"]}
    assert roles["crisis_leader"]["person"]["id"] == "leader0"


async def test_dev_press_without_a_call_is_a_404_and_only_an_admin_may_press(world):
    body = {"page_code": "1234", "digit": "1"}
    r = await world.client.post(PRESS, json=body, headers=bearer(world.tokens["admin"]))
    assert r.status_code == 404
    for role in ("steering", "authority", "finance", "log0"):
        r = await world.client.post(PRESS, json=body, headers=bearer(world.tokens[role]))
        assert r.status_code == 403, role
    for bad, field in [
        ({"page_code": "12", "digit": "1"}, "page_code"),
        ({**body, "digit": "12"}, "digit"),
    ]:
        r = await world.client.post(PRESS, json=bad, headers=bearer(world.tokens["admin"]))
        assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == [field]


async def test_dev_press_answers_a_drill_call_by_key(world):
    r = await world.client.post(
        "/drills",
        json={"group": "steering", "call_after_minutes": 5},
        headers=bearer(world.tokens["admin"]),
    )
    assert r.status_code == 201, r.text
    assert "kaldeøvelsen" in await _called_and_pressed(world, "steer1", 6)
    drill = await world.client.get("/drills", headers=bearer(world.tokens["admin"]))
    drill_id = drill.json()["drills"][0]["id"]
    result = await world.client.get(f"/drills/{drill_id}", headers=bearer(world.tokens["admin"]))
    steer1 = next(p for p in result.json()["people"] if p["person_id"] == "steer1")
    assert (steer1["outcome"], steer1["channel"]) == ("answered", "key")
