"""Edges of the lifecycle and the plumbing: a rejected request, and transient send retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from beredskab.metadata import utcnow
from beredskab.outbox import OutboxMessage
from notifications.gateway import SmsSendError
from tests.factories import bearer
from tests.scenario import STEERING, open_world

CONTACT = "+4520123456"  # the requesting authority's contact person, told each step


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        yield w


async def test_steering_rejects_a_request_and_the_paged_members_are_told(world):
    act = await world.activate("authority")
    await world.drain()
    r = await world.client.post(
        f"/activations/{act['id']}/reject",
        json={"reason": "ikke vores"},
        headers=bearer(world.tokens["steering"]),
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    sent = await world.drain()
    assert {m.to for m in sent} == {world.people[p].phone for p in STEERING} | {CONTACT}
    again = await world.client.post(
        f"/activations/{act['id']}/endorse", headers=bearer(world.tokens["steering"])
    )
    assert again.status_code == 409
    late = await world.reply("steer1", f"ok {world.last_code('steer1')}")
    assert late.status_code == 200
    assert (await world.board(act["id"]))["status"] == "rejected"


async def test_transient_send_failure_is_retried_later_and_then_sent(world, db):
    world.gateway.fail_next.append(SmsSendError("503", permanent=False, code=None))
    await world.activate("steering")
    first = await world.drain()
    assert len(first) == 4  # one of the five texts (four pages, the authority's) hit the fault
    async with db.sessionmaker() as s:
        waiting = (
            await s.exec(select(OutboxMessage).where(OutboxMessage.status == "pending"))
        ).all()
    assert len(waiting) == 1 and waiting[0].attempts == 1 and "503" in waiting[0].last_error
    assert waiting[0].next_attempt_at > utcnow()
    await world.runtime.dispatcher.drain(now=utcnow() + timedelta(minutes=1))
    assert len(world.gateway.sent) == 5
