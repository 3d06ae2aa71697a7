"""The finance router (the DDH hourly rate, training sessions, the finance report): who may call
what, what it refuses, and the shape of what it answers."""

from __future__ import annotations

import pytest

from tests.costworld import cost_world, get, patch, post
from tests.factories import bearer

TRAINING = {"day": "2026-02-03", "hours": 2.5, "people": 4, "org_id": "aarhus"}


@pytest.fixture
async def world(db):
    async with cost_world(db) as w:
        yield w


async def test_a_future_rate_needs_no_reason_and_is_listed(world):
    r = await post(world, "/tariffs", {"valid_from": "2099-01-01", "rate_ore_per_hour": 45000})
    assert r.status_code == 201, r.text
    listed = (await get(world, "/tariffs", "admin")).json()
    assert [(t["valid_from"], t["rate_ore_per_hour"]) for t in listed] == [("2099-01-01", 45000)]


async def test_a_rate_from_a_past_date_needs_a_reason(world):
    r = await post(world, "/tariffs", {"valid_from": "2020-01-01", "rate_ore_per_hour": 45000})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"


async def test_a_training_session_is_registered_read_and_corrected(world):
    r = await post(world, "/training-sessions", TRAINING)
    assert r.status_code == 201, r.text
    created = r.json()
    assert (created["org_id"], created["people"]) == ("aarhus", 4)
    one = await get(world, f"/training-sessions/{created['id']}")
    assert one.status_code == 200 and one.json()["id"] == created["id"]
    r = await patch(world, f"/training-sessions/{created['id']}", {"people": 5, "reason": "tal"})
    assert r.status_code == 200 and r.json()["people"] == 5
    listed = await get(world, "/training-sessions?from=2026-02-01&to=2026-02-28")
    assert [t["id"] for t in listed.json()] == [created["id"]]


async def test_an_absent_training_session_is_404(world):
    assert (await get(world, "/training-sessions/999999")).status_code == 404
    r = await patch(world, "/training-sessions/999999", {"people": 5, "reason": "x"})
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**TRAINING, "people": 0}, "people"),
        ({**TRAINING, "day": "3. februar"}, "day"),
        ({k: v for k, v in TRAINING.items() if k != "org_id"}, "org_id"),
        ({**TRAINING, "cake": True}, "cake"),
    ],
)
async def test_a_bad_training_session_names_the_field(world, body, field):
    r = await post(world, "/training-sessions", body)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == [field], r.text


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
async def test_the_report_comes_in_three_formats(world, fmt):
    r = await get(world, f"/costs/report?from=2026-01-01&to=2026-12-31&format={fmt}")
    assert r.status_code == 200, r.text
    if fmt != "json":
        assert r.headers["content-disposition"].endswith(f'.{fmt}"')


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-02-01&to=2026-01-01", "to"),
        ("from=2024-01-01&to=2026-01-01", "to"),
        ("to=2026-01-01", "from"),
        ("from=2026-01-01&to=2026-02-01&format=pdf", "format"),
    ],
)
async def test_a_bad_report_period_names_the_field(world, query, field):
    r = await get(world, f"/costs/report?{query}")
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == [field], r.text


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("get", "/tariffs", {"finance", "admin"}),
        ("post", "/tariffs", {"finance", "admin"}),
        ("get", "/training-sessions", {"finance", "admin"}),
        ("post", "/training-sessions", {"finance", "admin"}),
        ("get", "/training-sessions/1", {"finance", "admin"}),
        ("patch", "/training-sessions/1", {"finance", "admin"}),
        ("get", "/costs/report?from=2026-01-01&to=2026-01-31", {"finance", "authority"}),
    ],
)
async def test_each_endpoint_admits_its_roles_only(world, method, path, allowed):
    assert (await world.client.request(method, path, json={})).status_code == 401
    for token in {"steering", "authority", "admin", "finance", "leader0"} - allowed:
        r = await world.client.request(method, path, json={}, headers=bearer(world.tokens[token]))
        assert r.status_code == 403, token
