"""Requests and their ends as people live them (#14.6): a rejection carries a reason, cancel and
stand-down need no body, a reused Idempotency-Key with another body is refused, blank names are
refused, and steering members are not thanked for an effort that never began."""

from __future__ import annotations

import pytest

from tests.factories import bearer
from tests.scenario import STEERING, open_world

pytestmark = pytest.mark.db


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        yield w


def _headers(world, who: str) -> dict:
    return bearer(world.tokens[who])


async def _log_texts(world, activation_id: str) -> list[str]:
    r = await world.client.get(
        f"/activations/{activation_id}/log?format=json", headers=_headers(world, "admin")
    )
    assert r.status_code == 200, r.text
    body = r.json()
    entries = body if isinstance(body, list) else body["entries"]
    return [e["text"] for e in entries]


@pytest.mark.parametrize("body", [None, {}, {"reason": "   "}])
async def test_a_rejection_without_a_reason_is_refused(world, body):
    act = await world.activate("authority")
    r = await world.client.post(
        f"/activations/{act['id']}/reject", json=body, headers=_headers(world, "steering")
    )
    assert r.status_code == 422
    assert "reason" in {e["field"] for e in r.json().get("errors", [])} or "body" in r.text


async def test_a_rejection_tells_the_steering_group_the_page_is_closed_not_thanks(world):
    act = await world.activate("authority")
    await world.drain()
    r = await world.client.post(
        f"/activations/{act['id']}/reject",
        json={"reason": "Kommunen klarer det selv."},
        headers=_headers(world, "steering"),
    )
    assert r.status_code == 200, r.text
    await world.drain()
    for pid in STEERING:
        last = world.inbox(pid)[-1]
        assert "Tak for indsatsen" not in last and "ikke længere åben" in last, last
    texts = await _log_texts(world, act["id"])
    assert any("afvist af" in t and "Kommunen klarer det selv." in t for t in texts), texts
    assert not any("rejected" in t for t in texts)


async def test_cancel_and_stand_down_accept_an_empty_body(world):
    act = await world.activate("authority")
    r = await world.client.post(
        f"/activations/{act['id']}/cancel", headers=_headers(world, "authority")
    )
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    assert any("trukket tilbage" in t for t in await _log_texts(world, act["id"]))
    active = await world.activate("steering")
    r = await world.client.post(
        f"/activations/{active['id']}/stand-down", headers=_headers(world, "steering")
    )
    assert r.status_code == 200 and r.json()["status"] == "stood_down", r.text


async def test_an_idempotency_key_names_one_request_only(world):
    payload = {
        "title": "Vandforsyning svigter",
        "contact_name": "Frida Bak",
        "contact_phone": "20123456",
    }
    headers = {**_headers(world, "authority"), "Idempotency-Key": "req-1"}
    first = await world.client.post("/activations", json=payload, headers=headers)
    again = await world.client.post("/activations", json=payload, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    other = await world.client.post(
        "/activations", json={**payload, "title": "Noget helt andet"}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.parametrize("field", ["title", "contact_name"])
async def test_a_blank_title_or_contact_name_is_refused(world, field):
    payload = {"title": "Vand", "contact_name": "Frida Bak", "contact_phone": "20123456"}
    payload[field] = "    "
    r = await world.client.post("/activations", json=payload, headers=_headers(world, "authority"))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == [field]
