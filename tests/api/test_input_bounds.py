"""Absurd ids, years and amounts are a 422 naming the field, never a driver overflow (a 500)."""

from __future__ import annotations

import base64
import json

import pytest

from tests.factories import bearer
from tests.scenario import open_world

HUGE = "99999999999999999999"


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        w.act = await w.staffed_activation()
        yield w


def _names(r, field: str) -> bool:
    """A 422 problem+json whose errors name `field` (an item of a list by the list's name)."""
    return (
        r.status_code == 422
        and r.headers["content-type"].startswith("application/problem+json")
        and field in [e["field"].split("[")[0] for e in r.json()["errors"]]
    )


@pytest.mark.parametrize(
    ("method", "path", "token", "field"),
    [
        ("get", "/shifts/{huge}.ics", "admin", "shift_id"),
        ("get", "/activations/{act}/shifts/{huge}", "admin", "shift_id"),
        ("post", "/allocations/{huge}/withdraw", "leader0", "allocation_id"),
        ("delete", "/admin/tokens/{huge}", "admin", "token_id"),
        ("get", "/training-sessions/{huge}", "finance", "training_id"),
        ("get", "/activations/{act}/shifts/0", "admin", "shift_id"),
    ],
)
async def test_an_out_of_range_id_is_a_clear_422(world, method, path, token, field):
    url = path.format(huge=HUGE, act=world.act["id"])
    r = await getattr(world.client, method)(url, headers=bearer(world.tokens[token]))
    assert _names(r, field), (r.status_code, r.text)


@pytest.mark.parametrize(
    ("path", "body", "token", "field"),
    [
        (
            "/activations/{act}/shifts",
            {
                "start": "0001-01-01T00:00:00+01:00",
                "end": "2027-01-01T00:00:00Z",
                "agents_needed": 1,
            },
            "leader0",
            "start",
        ),
        (
            "/activations/{act}/shifts",
            {"start": "9999-12-31T20:00:00Z", "end": "9999-12-31T23:00:00Z", "agents_needed": 1},
            "leader0",
            "start",
        ),
        (
            "/activations/{act}/log",
            {"kind": "note", "text": "x", "occurred_at": "0001-01-01T00:30:00+01:00"},
            "log0",
            "occurred_at",
        ),
        (
            "/tariffs",
            {"valid_from": "0001-01-01", "rate_ore_per_hour": 1, "reason": "x"},
            "finance",
            "valid_from",
        ),
        (
            "/activations/{act}/costs/adjustments",
            {"amount_ore": 10**12, "debtor_id": "odder", "creditor_id": "ddh", "reason": "x"},
            "finance",
            "amount_ore",
        ),
    ],
)
async def test_an_out_of_range_year_or_amount_is_a_clear_422(world, path, body, token, field):
    r = await world.client.post(
        path.format(act=world.act["id"]), json=body, headers=bearer(world.tokens[token])
    )
    assert _names(r, field), (r.status_code, r.text)


async def test_an_out_of_range_query_date_is_a_clear_422(world):
    r = await world.client.get(
        "/calendar/opening-hours?from=0001-01-01T00:00:00%2B01:00&to=2026-01-02T00:00:00Z",
        headers=bearer(world.tokens["admin"]),
    )
    assert _names(r, "from"), r.text
    r = await world.client.get(
        "/costs/report?from=0001-01-01&to=2026-01-01", headers=bearer(world.tokens["finance"])
    )
    assert _names(r, "from"), r.text


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/activations/{act}/expenses/1", {"text": None, "reason": "x"}, "text"),
        ("/activations/{act}/role-tenures/1", {"started_at": None, "reason": "x"}, "started_at"),
        ("/training-sessions/1", {"hours": None, "reason": "x"}, "hours"),
        ("/training-sessions/1", {"day": None, "reason": "x"}, "day"),
    ],
)
async def test_null_for_a_required_column_in_a_patch_is_a_clear_422(world, path, body, field):
    r = await world.client.patch(
        path.format(act=world.act["id"]), json=body, headers=bearer(world.tokens["finance"])
    )
    assert r.status_code == 422 and f"{field} may be left out, but not null" in r.text, r.text


async def test_a_nul_character_in_json_is_refused_and_a_literal_backslash_u_is_not(world):
    url = f"/activations/{world.act['id']}/log"
    headers = {**bearer(world.tokens["log0"]), "content-type": "application/json"}
    r = await world.client.post(
        url, content='{"kind": "note", "text": "a\\u0000b"}', headers=headers
    )
    assert r.status_code == 422 and "NUL" in r.text, r.text
    r = await world.client.post(
        url, content='{"kind": "note", "text": "sti C:\\\\u0000"}', headers=headers
    )
    assert r.status_code == 201, r.text
    assert r.json()["text"] == "sti C:\\u0000"


async def test_an_sms_with_a_nul_character_is_stored_and_answered(world):
    r = await world.sms(world.people["log0"].phone, "OK\x00")
    assert r.status_code == 200
    await world.drain()
    assert world.gateway.sent[-1].to == world.people["log0"].phone


def _cursor(*key: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"after={HUGE}", "after"),
        (f"cursor={_cursor('seq', int(HUGE))}", "cursor"),
        (f"order=occurred_at&cursor={_cursor('occurred_at', '2026-01-01T00:00:00', 1)}", "cursor"),
        (
            f"order=occurred_at&cursor={_cursor('occurred_at', '0001-01-01T00:00:00+00:00', 1)}",
            "cursor",
        ),
        ("q=a%00b", "q"),
        ("author=%00", "author"),
    ],
)
async def test_an_absurd_timeline_query_is_a_clear_422(world, query, field):
    r = await world.client.get(
        f"/activations/{world.act['id']}/log?{query}", headers=bearer(world.tokens["log0"])
    )
    assert _names(r, field), (r.status_code, r.text)


async def test_a_nul_character_in_a_path_is_a_clear_422(world):
    r = await world.client.get("/activations/a%00b/log", headers=bearer(world.tokens["log0"]))
    assert _names(r, "activation_id"), (r.status_code, r.text)


async def test_a_nul_character_in_any_json_content_type_is_refused(world):
    url = f"/activations/{world.act['id']}/log"
    for kind in ("Application/JSON", "application/merge-patch+json; charset=utf-8"):
        headers = {**bearer(world.tokens["log0"]), "content-type": kind}
        r = await world.client.post(
            url, content='{"kind": "note", "text": "a\\u0000b"}', headers=headers
        )
        assert _names(r, "body"), (kind, r.status_code, r.text)


@pytest.mark.parametrize(
    ("path", "body", "token"),
    [
        (
            "/activations/{act}/costs/adjustments",
            {"amount_ore": 100, "debtor_id": "odder", "creditor_id": "ddh", "reason": "   "},
            "finance",
        ),
        (
            "/tariffs",
            {"valid_from": "2026-01-01", "rate_ore_per_hour": 1, "reason": " "},
            "finance",
        ),
        ("/activations/{act}/shifts/1/reject", {"reason": "\t "}, "steering"),
    ],
)
async def test_a_blank_reason_is_a_clear_422(world, path, body, token):
    r = await world.client.post(
        path.format(act=world.act["id"]), json=body, headers=bearer(world.tokens[token])
    )
    assert _names(r, "reason"), (r.status_code, r.text)
