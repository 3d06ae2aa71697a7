"""The requesting authority is told what happens, by SMS (#14.1): received with the ref, endorsed
with the time DDH takes over, the crisis leader's name and number once the role is filled,
rejected with the reason, cancelled, stood down; exercise-marked; each says whom to call."""

from __future__ import annotations

import pytest

from beredskab.phones import normalise_phone
from tests.factories import bearer
from tests.scenario import open_world

pytestmark = pytest.mark.db
CONTACT = normalise_phone("20123456")  # the contact_phone World.activate sends
SECRETARIAT = "70 20 30 40"  # playbooks/ddh-beredskab.yaml


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        yield w


def told(world) -> list[str]:
    return [m.body for m in world.gateway.sent if m.to == CONTACT]


async def test_the_authority_follows_its_request_from_received_to_stood_down(world):
    act = await world.activate("authority")
    await world.drain()
    [received] = told(world)
    assert act["ref"] in received and "modtaget" in received and SECRETARIAT in received
    await world.reply("steer0", f"OK {world.last_code('steer0')}")
    await world.drain()
    endorsed = told(world)[-1]
    assert "godkendt" in endorsed and "DDH overtager borgerkommunikationen fra" in endorsed
    assert " kl. " in endorsed  # Copenhagen time, as a Dane writes it
    await world.reply("leader0", f"OK {world.last_code('leader0')}")
    await world.drain()
    leader = world.people["leader0"]
    assert told(world)[-1].endswith(f"kriseleder {leader.name}, tlf. {leader.phone}.")
    await world.reply("log0", f"OK {world.last_code('log0')}")  # other roles: nothing new
    await world.drain()
    assert len(told(world)) == 3
    r = await world.client.post(
        f"/activations/{act['id']}/stand-down", headers=bearer(world.tokens["steering"])
    )
    assert r.status_code == 200, r.text
    await world.drain()
    assert "afsluttet" in told(world)[-1] and SECRETARIAT in told(world)[-1]


async def test_a_rejected_request_is_told_with_its_reason(world):
    act = await world.activate("authority", exercise=True)
    r = await world.client.post(
        f"/activations/{act['id']}/reject",
        json={"reason": "Kommunen kan selv klare det."},
        headers=bearer(world.tokens["steering"]),
    )
    assert r.status_code == 200, r.text
    await world.drain()
    last = told(world)[-1]
    assert last.startswith("ØVELSE: ") and "afvist" in last
    assert "Kommunen kan selv klare det." in last and SECRETARIAT in last


async def test_a_cancelled_request_is_told(world):
    act = await world.activate("authority")
    r = await world.client.post(
        f"/activations/{act['id']}/cancel", headers=bearer(world.tokens["authority"])
    )
    assert r.status_code == 200, r.text
    await world.drain()
    assert "trukket tilbage" in told(world)[-1]


async def test_a_steering_members_own_request_is_told_endorsed_at_once(world):
    await world.activate("steering")
    await world.drain()
    [only] = told(world)
    assert "godkendt" in only and "modtaget" not in only


async def test_an_unknown_number_is_given_the_secretariats_number(world):
    await world.sms("+4599999999", "OK 1234")
    await world.drain()
    [answer] = [m.body for m in world.gateway.sent if m.to == "+4599999999"]
    assert SECRETARIAT in answer
