"""Who may write in an activation's log: its role holders and its crisis leader's delegates
(crisis_staff/write_rule.py); and one person is named the same whether they act by SMS or API."""

from __future__ import annotations

import asyncio

import pytest

from beredskab.auth.models import TokenRole
from beredskab.crisis_staff.log_writers import may_write_log, refusals
from beredskab.errors import Forbidden
from beredskab.eventlog.appender import LogAppender
from beredskab.eventlog.schemas import LogEntryCreate
from beredskab.metadata import utcnow
from tests.factories import bearer, make_token, make_unbound_principal
from tests.scenario import open_world

ENTRY = {"kind": "note", "text": "Notat"}


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        w.act = await w.staffed_activation()
        w.base = f"/activations/{w.act['id']}"
        await w.drain()
        yield w


async def _write(world, token: str, base: str | None = None):
    headers = bearer(world.tokens[token])
    return await world.client.post(f"{base or world.base}/log", json=ENTRY, headers=headers)


async def _log(world) -> list[dict]:
    r = await world.client.get(
        f"{world.base}/log?format=json", headers=bearer(world.tokens["admin"])
    )
    return r.json()


async def test_a_delegate_writes_until_the_leader_removes_them(world):
    assert (await _write(world, "log1")).status_code == 403
    await world.add_delegate(world.act["id"], "log1")
    listed = await world.client.get(
        f"{world.base}/delegates", headers=bearer(world.tokens["authority"])
    )
    assert [(d["person_id"], d["name"], d["added_by"]) for d in listed.json()] == [
        ("log1", "Navn log1", "Navn leader0")
    ]
    written = await _write(world, "log1")
    assert written.status_code == 201 and written.json()["actor"] == "Navn log1"
    leader = bearer(world.tokens["leader0"])
    r = await world.client.delete(f"{world.base}/delegates/log1", headers=leader)
    assert r.status_code == 200 and r.json()["removed_by"] == "Navn leader0"
    assert (await _write(world, "log1")).status_code == 403
    assert (await world.client.get(f"{world.base}/delegates", headers=leader)).json() == []
    entries = [e for e in await _log(world) if e["kind"].startswith("delegate_")]
    assert [(e["kind"], e["actor"], e["data"]) for e in entries] == [
        ("delegate_added", "Navn leader0", {"person_id": "log1"}),
        ("delegate_removed", "Navn leader0", {"person_id": "log1"}),
    ]
    assert "Navn log1" in entries[0]["text"]
    # named again, they write again
    await world.add_delegate(world.act["id"], "log1")
    assert (await _write(world, "log1")).status_code == 201


async def test_only_the_crisis_leader_names_delegates_and_bad_requests_change_nothing(world):
    url, leader = f"{world.base}/delegates", bearer(world.tokens["leader0"])
    r = await world.client.post(
        url, json={"person_id": "log1"}, headers=bearer(world.tokens["log0"])
    )
    assert r.status_code == 403 and "crisis leader" in r.json()["detail"]
    r = await world.client.post(
        url, json={"person_id": "log1"}, headers=bearer(world.tokens["steering"])
    )
    assert r.status_code == 403
    r = await world.client.post(url, json={"person_id": "nobody"}, headers=leader)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["person_id"]
    assert (await world.client.delete(f"{url}/log1", headers=leader)).status_code == 404
    await world.add_delegate(world.act["id"], "log1")
    again = await world.client.post(url, json={"person_id": "log1"}, headers=leader)
    assert again.status_code == 409
    assert [d["person_id"] for d in (await world.client.get(url, headers=leader)).json()] == [
        "log1"
    ]
    other = await world.client.get(url, headers=bearer(world.tokens["other_authority"]))
    assert other.status_code == 404


async def test_a_role_holder_of_another_activation_may_not_write_here(world):
    other = await world.activate("steering", title="Et andet sted")
    assert (await _write(world, "log0")).status_code == 201
    r = await _write(world, "log0", base=f"/activations/{other['id']}")
    assert r.status_code == 403 and "delegates" in r.json()["detail"]


async def test_after_a_handover_the_new_holder_writes_and_the_old_one_not(world):
    r = await world.client.post(
        f"{world.base}/roles/log_keeper/handover",
        json={"person_id": "log1", "reason": "vagtskifte"},
        headers=bearer(world.tokens["leader0"]),
    )
    assert r.status_code == 200, r.text
    assert (await _write(world, "log1")).status_code == 201
    assert (await _write(world, "log0")).status_code == 403


async def test_a_token_bound_to_no_person_may_not_write(world, db):
    async with db.sessionmaker() as session:
        unbound = await make_unbound_principal(session, TokenRole.crisis_staff)
        assert await may_write_log(session, world.act["id"], unbound.person_id) is False
        assert await may_write_log(session, world.act["id"], "log0") is True
    appender = world.runtime.log_appender
    with pytest.raises(Forbidden, match="bound to no person"):
        await appender.append(
            world.act["id"],
            LogEntryCreate(**ENTRY),
            author="gammel nøgle",
            person_id=None,
            now=utcnow(),
        )


async def test_after_stand_down_the_holders_write_until_the_log_is_archived(world):
    steering = bearer(world.tokens["steering"])
    r = await world.client.post(f"{world.base}/stand-down", json={}, headers=steering)
    assert r.status_code == 200
    assert (await _write(world, "log0")).status_code == 201  # the debrief
    assert (await _write(world, "log1")).status_code == 403  # never held a role here
    assert (await world.client.post(f"{world.base}/archive", headers=steering)).status_code == 200
    r = await _write(world, "log0")
    assert r.status_code == 403 and "read-only" in r.json()["detail"]


async def test_a_refused_writer_does_not_fail_the_others_of_its_round(world, db):
    appender = LogAppender(db.sessionmaker, refusals)
    entry = LogEntryCreate(**ENTRY)
    results = await asyncio.gather(  # one round: all are queued before it starts
        appender.append(world.act["id"], entry, author="Navn log0", person_id="log0", now=utcnow()),
        appender.append(world.act["id"], entry, author="Navn log1", person_id="log1", now=utcnow()),
        appender.append(
            world.act["id"], entry, author="Navn leader0", person_id="leader0", now=utcnow()
        ),
        return_exceptions=True,
    )
    assert isinstance(results[1], Forbidden)
    assert [r.actor for r in (results[0], results[2])] == ["Navn log0", "Navn leader0"]
    assert results[2].seq == results[0].seq + 1


async def test_one_person_is_named_alike_by_sms_and_by_api(db):
    """log1 takes the log keeper's role by SMS and writes by API; steer1 endorses one activation
    by SMS and another by API: the log names each the same way, whatever the channel."""
    async with await open_world(db) as world:
        async with db.sessionmaker() as session:
            world.tokens["steer1"] = await make_token(
                session, TokenRole.steering, person_id="steer1"
            )
        by_sms = await world.activate("authority")
        await world.drain()
        await world.reply("steer1", f"OK {world.last_code('steer1')}")
        await world.drain()
        await world.reply("leader0", "OK")
        await world.reply("log0", "NEJ")
        await world.later(0)
        await world.reply("log1", f"OK {world.last_code('log1')}")
        written = await _write(world, "log1", base=f"/activations/{by_sms['id']}")
        assert written.status_code == 201, written.text
        by_api = await world.activate("authority", title="Et andet sted")
        r = await world.client.post(
            f"/activations/{by_api['id']}/endorse", headers=bearer(world.tokens["steer1"])
        )
        assert r.status_code == 200, r.text
        headers = bearer(world.tokens["admin"])
        sms_log = (
            await world.client.get(f"/activations/{by_sms['id']}/log?format=json", headers=headers)
        ).json()
        api_log = (
            await world.client.get(f"/activations/{by_api['id']}/log?format=json", headers=headers)
        ).json()
        actors = {(e["kind"], e["actor"]) for e in sms_log + api_log}
        assert ("role_filled", "Navn log1") in actors  # by SMS
        assert ("note", "Navn log1") in actors  # by API
        endorsed = [e["actor"] for e in sms_log + api_log if e["kind"] == "endorsed"]
        assert endorsed == ["Navn steer1", "Navn steer1"]  # by SMS, then by API
        declined = [e for e in sms_log if e["kind"] == "page_declined"]
        assert [e["actor"] for e in declined] == ["Navn log0"]
        for board in (await world.board(by_sms["id"]), await world.board(by_api["id"])):
            assert board["endorsed_by"] == "Navn steer1"
