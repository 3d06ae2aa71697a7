"""The shift call-out story end to end through the real twilio SDK, the Twilio-compatible mock
and signed webhooks: approval gates paging; fill, overflow, withdraw, re-page, covered notice."""

from __future__ import annotations

import re

import pytest

from tests.factories import bearer
from tests.integration.test_shifts import get_shift, post_shift, saturday_span
from tests.scenario import AUTH_TOKEN, open_world, seed_municipalities
from tests.twilio_mock import TwilioMock


@pytest.fixture
def twilio():
    with TwilioMock(auth_token=AUTH_TOKEN) as mock:
        yield mock


def inbox(mock: TwilioMock, world, pid: str) -> list[str]:
    return [m["Body"] for m in mock.sent_to(world.people[pid].phone)]


def code(body: str) -> str:
    return re.search(r"\b(?:OK|JA) (\d{4})\b", body).group(1)


async def test_out_of_hours_call_out_through_the_twilio_mock(db, twilio):
    overrides = {
        "sms_gateway": "twilio",
        "twilio_account_sid": twilio.account_sid,
        "twilio_auth_token": twilio.auth_token,
        "twilio_api_base_url": twilio.base_url,
    }
    async with await open_world(db, overrides, fake_sms=False) as world:
        await seed_municipalities(world, 3)
        world.activation = await world.activate("steering")

        async def sms(pid: str, body: str) -> None:
            r = await world.sms(world.people[pid].phone, body)
            assert r.status_code == 200, r.text
            await world.runtime.dispatcher.drain()

        start, end = saturday_span()
        shift = await post_shift(world, start, end, 3, token="authority")
        await world.runtime.dispatcher.drain()
        assert shift["state"] == "awaiting_approval"
        assert all(inbox(twilio, world, f"m{i}p") == [] for i in range(3))  # approval gates
        await sms("steer1", f"OK {code(inbox(twilio, world, 'steer1')[-1])}")
        pages = {i: code(inbox(twilio, world, f"m{i}p")[-1]) for i in range(3)}

        await sms("m0p", f"JA {pages[0]} 2")
        await sms("m1p", f"JA {pages[1]} 2")  # one place left: gets 1 and is told so
        assert "kun 1 plads tilbage" in inbox(twilio, world, "m1p")[-1]
        assert "dækket" in inbox(twilio, world, "m2p")[-1]  # covered notice
        assert "fuldt bemandet" in inbox(twilio, world, "staff0")[-1]

        await sms("m0p", f"AFMELD {pages[0]}")  # withdraw: 2 places reopen
        assert "afmeldt 2 agenter" in inbox(twilio, world, "staff0")[-1]
        repage = code(inbox(twilio, world, "m2p")[-1])
        assert repage != pages[2]
        await sms("m2p", f"JA {repage} 5")
        assert "kun 2 pladser" in inbox(twilio, world, "m2p")[-1]
        assert "overtaget" in inbox(twilio, world, "m0p")[-1]

        state = await get_shift(world, shift["id"])
        assert state["state"] == "full"
        assert {a["org_id"]: (a["state"], a["agents"]) for a in state["allocations"]} == {
            "m0": ("withdrawn", 2),
            "m1": ("active", 1),
            "m2": ("active", 2),
        }
        r = await world.client.get(
            f"/activations/{world.activation['id']}/log", headers=bearer(world.tokens["admin"])
        )
        kinds = [e["kind"] for e in r.json()["entries"]]
        for kind in ("shift_approved", "volunteer_allocated", "shift_full", "volunteer_withdrawn"):
            assert kind in kinds
