"""The call-out story, told through virtual phones: page, escalate, acknowledge, stand down."""

from __future__ import annotations

import pytest
from sqlmodel import select

from beredskab.activations.models import Page
from beredskab.deadlines import Deadline
from beredskab.eventlog.models import LogEntry
from notifications.gateway import SmsSendError
from tests.factories import bearer
from tests.scenario import ROSTER, STEERING, open_world

PRIMARIES = [ranks[0] for ranks in ROSTER.values()]
CONTACT = "+4520123456"  # the requesting authority's contact person, told each step


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        yield w


async def test_steering_request_is_endorsed_and_pages_the_four_primaries(world):
    act = await world.activate("steering")
    assert act["status"] == "active"
    sent = await world.drain()
    pages = sorted(m.to for m in sent if m.to != CONTACT)
    assert pages == sorted(world.people[p].phone for p in PRIMARIES)
    assert any("kriseleder" in m.body.lower() for m in sent)
    for pid in PRIMARIES:
        code = world.last_code(pid)
        assert f"OK {code}" in world.inbox(pid)[0]
    board = await world.board(act["id"])
    assert [r["state"] for r in board["roles"]] == ["calling"] * 4
    assert len(board["open_pages"]) == 4
    assert board["playbook_hash"]


async def test_authority_request_pages_steering_and_sms_ok_endorses(world):
    act = await world.activate("authority")
    assert act["status"] == "requested"
    sent = await world.drain()
    pages = sorted(m.to for m in sent if m.to != CONTACT)
    assert pages == sorted(world.people[p].phone for p in STEERING)
    code = world.last_code("steer1")
    await world.reply("steer1", f"ok {code}")
    board = await world.board(act["id"])
    assert board["status"] == "active"
    assert board["endorsed_by"] == "Navn steer1"  # the person, however they answered
    sent = await world.drain()
    recipients = {m.to for m in sent}
    assert world.people["steer0"].phone in recipients  # told it is already endorsed
    assert all(world.people[p].phone in recipients for p in PRIMARIES)
    assert "godkendt" in world.inbox("steer1")[-1].lower()


async def test_no_answer_escalates_to_the_next_deputy_after_ack_timeout(world):
    await world.activate("steering")
    await world.drain()
    assert await world.later(5) == []  # still within the 10 minutes
    sent = await world.later(11)
    assert {m.to for m in sent} == {world.people[ranks[1]].phone for ranks in ROSTER.values()}


async def test_decline_pages_next_deputy_at_once(world):
    await world.activate("steering")
    await world.drain()
    await world.reply("log0", "nej beklager")
    sent = await world.drain()
    assert world.people["log1"].phone in {m.to for m in sent}
    assert "stedfortræder" in world.inbox("log0")[-1]


async def test_first_ack_fills_role_and_later_reply_hears_already_filled(world):
    act = await world.activate("steering")
    await world.drain()
    await world.later(11)  # log1 is paged now; log0's page has expired
    await world.reply("log1", "JA")
    await world.drain()
    board = await world.board(act["id"])
    log_role = next(r for r in board["roles"] if r["role"] == "log_keeper")
    assert log_role["state"] == "filled" and log_role["person"]["id"] == "log1"
    await world.reply("log0", f"OK {world.last_code('log0')}")
    await world.drain()
    assert "rollen er allerede besat" in world.inbox("log0")[-1].lower()


async def test_late_ack_on_expired_page_fills_role_and_closes_deputy_page(world):
    act = await world.activate("steering")
    await world.drain()
    await world.later(11)
    code = world.inbox("proc0")[0]
    await world.reply("proc0", f"OK {world.last_code('proc0')}")
    await world.drain()
    board = await world.board(act["id"])
    role = next(r for r in board["roles"] if r["role"] == "process_lead")
    assert role["person"]["id"] == "proc0", code
    assert not any(p["role"] == "process_lead" for p in board["open_pages"])
    assert len(world.inbox("proc1")) == 2  # the page, then "no longer needed"


async def test_all_ranks_exhausted_alerts_leader_and_steering_then_next_pass(world):
    await world.activate("steering")
    await world.drain()
    await world.reply("leader0", "ok")
    for _ in range(3):  # three ranks on the staffing-lead roster time out
        await world.later(11 * (_ + 1))
    texts = world.inbox("steer2")
    assert any("er ikke besat" in t for t in texts), texts
    assert any("er ikke besat" in t for t in world.inbox("leader0"))
    assert len([t for t in world.inbox("staff0")]) == 2  # first and second pass


async def test_undeliverable_page_moves_on_at_once(db):
    async with await open_world(db) as world:
        world.gateway.fail_numbers[world.people["staff0"].phone] = SmsSendError(
            "unsubscribed", permanent=True, code=21610
        )
        act = await world.activate("steering")
        await world.drain()
        await world.drain()
        assert len(world.inbox("staff1")) == 1
        async with db.sessionmaker() as s:
            pages = (await s.exec(select(Page).where(Page.person_id == "staff0"))).all()
        assert [p.state for p in pages] == ["failed"]
        board = await world.board(act["id"])
        assert board["counts"]["sms_failed"] == 1


async def test_exercise_says_ovelse_in_every_sms(world):
    await world.activate("steering", exercise=True)
    sent = await world.drain()
    assert sent and all("ØVELSE" in m.body for m in sent)


async def test_stand_down_cancels_pages_and_deadlines_and_tells_everyone(world, db):
    act = await world.activate("steering")
    await world.drain()
    await world.reply("leader0", "ok")
    await world.drain()
    r = await world.client.post(
        f"/activations/{act['id']}/stand-down",
        json={"reason": "løst"},
        headers=bearer(world.tokens["leader0"]),
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "stood_down"
    sent = await world.drain()
    told = {m.to for m in sent}
    assert all(world.people[p].phone in told for p in PRIMARIES)
    assert await world.later(30) == []  # no escalation after stand-down
    async with db.sessionmaker() as s:
        pending = (await s.exec(select(Deadline).where(Deadline.status == "pending"))).all()
        kinds = (await s.exec(select(LogEntry.kind).order_by(LogEntry.seq))).all()
    assert pending == []
    assert kinds[-1] == "stood_down"


async def test_crisis_leader_hands_a_role_over_and_both_are_told(world):
    act = await world.activate("steering")
    await world.drain()
    await world.reply("leader0", "ok")
    await world.reply("log0", "ok")
    await world.drain()
    r = await world.client.post(
        f"/activations/{act['id']}/roles/log_keeper/handover",
        json={"person_id": "log2", "reason": "vagtskifte"},
        headers=bearer(world.tokens["leader0"]),
    )
    assert r.status_code == 200, r.text
    assert r.json()["person"]["id"] == "log2"
    await world.drain()
    assert "afløst" in world.inbox("log0")[-1]
    assert "logfører" in world.inbox("log2")[-1].lower()


async def test_endorsement_timeout_pages_again_and_tells_the_crisis_leader(world):
    await world.activate("authority")
    await world.drain()
    sent = await world.later(11)
    assert {m.to for m in sent} >= {world.people[p].phone for p in STEERING}
    assert world.people["leader0"].phone in {m.to for m in sent}


async def test_every_step_is_in_an_unbroken_log(world, db):
    act = await world.activate("steering")
    await world.drain()
    await world.reply("leader0", "ok")
    async with db.sessionmaker() as s:
        entries = (
            await s.exec(
                select(LogEntry).where(LogEntry.activation_id == act["id"]).order_by(LogEntry.seq)
            )
        ).all()
    kinds = [e.kind for e in entries]
    assert kinds[:2] == ["requested", "endorsed"]
    assert kinds.count("page_sent") == 4 and "role_filled" in kinds
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert all(e.prev_hash == p.hash for p, e in zip(entries, entries[1:], strict=False))
