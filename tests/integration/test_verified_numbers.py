"""Verified numbers over HTTP (#15.2): an admin changes a number, the code goes out, a call-out
skips the unverified number, someone else's answer verifies nothing, the owner's answer does."""

from __future__ import annotations

import re

import pytest

from tests.factories import bearer
from tests.scenario import open_world

pytestmark = pytest.mark.db

NEW = "+4520998877"


async def test_a_changed_number_is_verified_only_by_its_owners_answer(db):
    async with await open_world(db) as world:
        admin = bearer(world.tokens["admin"])
        r = await world.client.patch(
            "/directory/people/staff0", headers=admin, json={"phone": "20 99 88 77"}
        )
        assert r.status_code == 200, r.text
        await world.drain()
        [text] = [m.body for m in world.gateway.sent if m.to == NEW]
        code = re.search(r"Svar OK (\d{6}) ", text).group(1)

        act = await world.activate("steering")
        await world.drain()
        assert world.gateway.sent[-1].to != NEW  # no page to the unverified number
        assert len(world.inbox("staff1")) == 1  # the deputy is paged at once
        log = await world.client.get(
            f"/activations/{act['id']}/log", headers=bearer(world.tokens["leader0"])
        )
        assert "Navn staff0 springes over" in log.text

        await world.reply("staff1", f"OK {code}")  # another person's answer
        person = (await world.client.get("/directory/people/staff0", headers=admin)).json()
        assert person["phone_verified_at"] is None

        r = await world.sms(NEW, f"ok {code}")
        assert r.status_code == 200
        person = (await world.client.get("/directory/people/staff0", headers=admin)).json()
        assert person["phone_verified_at"] is not None
        await world.drain()
        assert world.gateway.sent[-1].to == NEW
        assert world.gateway.sent[-1].body == "Tak. Dit nummer er nu bekræftet hos DDH Beredskab."
