"""The log router: write (crisis staff), read, verify, export and archive one activation's log,
with the refusals at its edge. The timeline's filters and the live feed are in
tests/integration/test_eventlog.py and test_log_stream.py."""

from __future__ import annotations

import pytest

from tests.factories import bearer
from tests.scenario import open_world

ENTRY = {"kind": "decision", "text": "Vi åbner for chat kl. 12"}


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        w.act = await w.staffed_activation()
        w.base = f"/activations/{w.act['id']}"
        yield w


async def test_a_written_entry_answers_201_with_its_place_in_the_chain(world):
    r = await world.client.post(
        f"{world.base}/log", json=ENTRY, headers=bearer(world.tokens["log0"])
    )
    assert r.status_code == 201, r.text
    entry = r.json()
    assert (entry["kind"], entry["text"], entry["corrects"]) == ("decision", ENTRY["text"], None)
    assert entry["actor"] == "Navn log0" and len(entry["hash"]) == 64 and entry["seq"] > 1


async def test_crisis_staff_without_a_role_in_the_activation_may_not_write(world):
    r = await world.client.post(
        f"{world.base}/log", json=ENTRY, headers=bearer(world.tokens["log1"])
    )
    assert r.status_code == 403 and "delegates" in r.json()["detail"], r.text


async def test_the_timeline_pages_and_verifies(world):
    headers = bearer(world.tokens["authority"])
    page = await world.client.get(f"{world.base}/log?limit=2", headers=headers)
    assert page.status_code == 200
    assert len(page.json()["entries"]) == 2 and page.json()["next_cursor"]
    verify = await world.client.get(f"{world.base}/log/verify", headers=headers)
    assert verify.json()["ok"] is True and verify.json()["first_bad_seq"] is None


@pytest.mark.parametrize(
    ("fmt", "kind"), [("csv", "text/csv"), ("json", "application/json"), ("pdf", "application/pdf")]
)
async def test_the_log_exports_whole(world, fmt, kind):
    r = await world.client.get(
        f"{world.base}/log?format={fmt}", headers=bearer(world.tokens["admin"])
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith(kind)


async def test_archiving_needs_a_closed_activation_and_then_the_log_is_read_only(world):
    steering = bearer(world.tokens["steering"])
    early = await world.client.post(f"{world.base}/archive", headers=steering)
    assert early.status_code == 409
    r = await world.client.post(f"{world.base}/stand-down", json={}, headers=steering)
    assert r.status_code == 200
    r = await world.client.post(f"{world.base}/archive", headers=steering)
    assert r.status_code == 200 and r.json()["archived_at"] and r.json()["ref"]
    late = await world.client.post(
        f"{world.base}/log", json=ENTRY, headers=bearer(world.tokens["log0"])
    )
    assert late.status_code == 403 and "read-only" in late.json()["detail"]


async def test_among_crisis_staff_only_the_leader_archives(world):
    r = await world.client.post(f"{world.base}/archive", headers=bearer(world.tokens["log0"]))
    assert r.status_code == 403 and "crisis leader" in r.json()["detail"]


@pytest.mark.parametrize("path", ["/log", "/log/verify", "/log?format=csv"])
async def test_another_authoritys_activation_is_404(world, path):
    r = await world.client.get(world.base + path, headers=bearer(world.tokens["other_authority"]))
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("method", "path"), [("get", "/log"), ("get", "/log/verify"), ("post", "/archive")]
)
async def test_an_absent_activation_is_404(world, method, path):
    r = await world.client.request(
        method, "/activations/nope" + path, headers=bearer(world.tokens["steering"])
    )
    assert r.status_code == 404


async def test_writing_to_an_absent_activation_is_404(world):
    r = await world.client.post(
        "/activations/nope/log", json=ENTRY, headers=bearer(world.tokens["log0"])
    )
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "gossip", "text": "x"}, "kind"),
        ({"kind": "note", "text": "   "}, "text"),
        ({"kind": "note"}, "text"),
        ({"kind": "note", "text": "x", "corrects": 0}, "corrects"),
        ({"kind": "note", "text": "x", "by": "me"}, "by"),
    ],
)
async def test_a_bad_entry_names_the_field(world, body, field):
    r = await world.client.post(
        f"{world.base}/log", json=body, headers=bearer(world.tokens["log0"])
    )
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == [field], r.text


async def test_only_crisis_staff_write_and_a_token_is_needed(world):
    assert (await world.client.get(f"{world.base}/log")).status_code == 401
    assert (await world.client.post(f"{world.base}/log", json=ENTRY)).status_code == 401
    for role in ("steering", "authority", "admin", "finance"):
        r = await world.client.post(
            f"{world.base}/log", json=ENTRY, headers=bearer(world.tokens[role])
        )
        assert r.status_code == 403, role
    for role in ("authority", "admin", "finance"):
        r = await world.client.post(f"{world.base}/archive", headers=bearer(world.tokens[role]))
        assert r.status_code == 403, role


@pytest.mark.parametrize(
    "cursor",
    ["e30=", "eyJhIjogMX0=", "W10=", "WyJzZXEiLCBJbmZpbml0eV0=", "bm90IGpzb24=", "²"],
    ids=["object", "object with a key", "empty list", "infinite seq", "not json", "not base64"],
)
async def test_a_mangled_cursor_is_422_naming_the_field(world, cursor):
    r = await world.client.get(
        f"{world.base}/log", params={"cursor": cursor}, headers=bearer(world.tokens["authority"])
    )
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["cursor"], r.text
