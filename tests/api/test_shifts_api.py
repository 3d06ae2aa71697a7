"""The shifts router: who may call each endpoint (403), what is absent (404), what is refused as
input (422), and the calendar files. The use cases behind it are tested in tests/services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlmodel import func, select

from beredskab.auth.models import TokenRole
from beredskab.shifts.models import Shift
from tests.factories import (
    bearer,
    make_active_activation,
    make_allocation,
    make_municipality,
    make_shift,
    make_token,
)
from tests.scenario import seed_directory
from tests.services.shift_world import WEDNESDAY_10

R = TokenRole
REQUESTERS = {R.crisis_staff, R.authority}
ENDPOINTS = [
    # (method, path, body, the roles admitted)
    ("POST", "/activations/A/shifts", {}, REQUESTERS),
    ("GET", "/activations/A/shifts", None, set(R)),
    ("GET", "/activations/A/shifts/1", None, set(R)),
    ("POST", "/activations/A/shifts/1/approve", None, {R.steering}),
    ("POST", "/activations/A/shifts/1/reject", {"reason": "x"}, {R.steering}),
    ("POST", "/activations/A/shifts/1/cancel", {"reason": "x"}, REQUESTERS),
    ("POST", "/allocations/1/confirm", {}, REQUESTERS),
    ("POST", "/allocations/1/withdraw", None, REQUESTERS),
    ("GET", "/shifts/1.ics", None, set(R)),
    ("POST", "/municipalities/m0/calendar-feed", None, {R.crisis_staff, R.admin}),
]


@pytest.fixture
async def world(session, client):
    """The directory, one municipality and an endorsed activation of Odder Kommune."""
    await seed_directory(session)
    await make_municipality(session, 0)
    activation = await make_active_activation(session)
    tokens = {role: await make_token(session, role) for role in R if role is not R.authority}
    tokens[R.authority] = await make_token(session, R.authority, org_id="odder")
    return activation, tokens


@pytest.mark.parametrize(("method", "path", "body", "admitted"), ENDPOINTS)
async def test_each_endpoint_refuses_the_roles_it_does_not_admit(
    client, world, method, path, body, admitted
):
    activation, tokens = world
    for role in set(R) - admitted:
        r = await client.request(
            method,
            path.replace("/A/", f"/{activation.id}/"),
            json=body,
            headers=bearer(tokens[role]),
        )
        assert r.status_code == 403, (role, r.text)


@pytest.mark.parametrize(
    ("method", "path", "body", "token"),
    [
        ("GET", "/activations/nope/shifts", None, R.admin),
        ("GET", "/activations/A/shifts/999", None, R.admin),
        ("POST", "/activations/A/shifts/999/approve", None, R.steering),
        ("POST", "/activations/A/shifts/999/cancel", {"reason": "x"}, R.crisis_staff),
        ("POST", "/allocations/999/withdraw", None, R.crisis_staff),
        ("GET", "/shifts/999.ics", None, R.admin),
        ("POST", "/municipalities/odder-nope/calendar-feed", None, R.admin),
    ],
)
async def test_what_is_not_there_is_404(client, world, method, path, body, token):
    activation, tokens = world
    r = await client.request(
        method, path.replace("/A/", f"/{activation.id}/"), json=body, headers=bearer(tokens[token])
    )
    assert r.status_code == 404, r.text


async def test_another_authority_sees_neither_the_activation_nor_its_shifts(client, world, session):
    activation, tokens = world
    other = await make_token(session, R.authority, org_id="region-x")
    start = WEDNESDAY_10 + timedelta(days=365)
    payload = {"start": start.isoformat(), "end": (start + timedelta(hours=4)).isoformat()}
    r = await client.post(
        f"/activations/{activation.id}/shifts",
        json={**payload, "agents_needed": 2},
        headers=bearer(other),
    )
    assert r.status_code == 404
    shift = await make_shift(session, activation, start)
    r = await client.get(f"/shifts/{shift.id}.ics", headers=bearer(other))
    assert r.status_code == 404


async def test_an_allocation_of_another_municipality_is_404_for_an_authority(
    client, world, session
):
    activation, tokens = world
    shift = await make_shift(session, activation, WEDNESDAY_10 + timedelta(days=365))
    allocation = await make_allocation(session, shift, "m0", 2, person_id="m0p")
    other = await make_token(session, R.authority, org_id="odder")
    r = await client.post(
        f"/allocations/{allocation.id}/confirm", json={"names": ["Ane"]}, headers=bearer(other)
    )
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (lambda s, e: {"end": (s - timedelta(hours=1)).isoformat()}, "end", "after start"),
        (lambda s, e: {"end": (s + timedelta(hours=25)).isoformat()}, "end", "24 hours"),
        (lambda s, e: {"agents_needed": 0}, "agents_needed", "between 1 and 50"),
        (lambda s, e: {"agents_needed": 51}, "agents_needed", "between 1 and 50"),
        (
            lambda s, e: {
                "start": (datetime.now(UTC) - timedelta(hours=5)).isoformat(),
                "end": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            },
            "end",
            "already ended",
        ),
        (  # #14.4: recruited at 05:13, billed from 00:00
            lambda s, e: {
                "start": (datetime.now(UTC) - timedelta(hours=5)).isoformat(),
                "end": (datetime.now(UTC) + timedelta(hours=3)).isoformat(),
            },
            "start",
            "the earliest start is",
        ),
        (lambda s, e: {"start": s.replace(tzinfo=None).isoformat()}, "start", "timezone"),
    ],
)
async def test_bad_shift_requests_are_refused_and_change_nothing(
    client, world, session, change, field, reason
):
    activation, tokens = world
    start = WEDNESDAY_10 + timedelta(days=365)
    end = start + timedelta(hours=4)
    payload = {"start": start.isoformat(), "end": end.isoformat(), "agents_needed": 2}
    payload.update(change(start, end))
    r = await client.post(
        f"/activations/{activation.id}/shifts",
        json=payload,
        headers=bearer(tokens[R.crisis_staff]),
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert any(field in str(e.get("field", e.get("loc", ""))) for e in problem["errors"]), problem
    assert reason.lower() in r.text.lower()
    assert (await session.exec(select(func.count()).select_from(Shift))).one() == 0


async def test_a_rejection_needs_a_reason(client, world, session):
    activation, tokens = world
    shift = await make_shift(session, activation, WEDNESDAY_10 + timedelta(days=365))
    url = f"/activations/{activation.id}/shifts/{shift.id}/reject"
    r = await client.post(url, json={}, headers=bearer(tokens[R.steering]))
    assert r.status_code == 422 and "reason" in r.text


async def test_confirmation_names_and_counts_are_checked(client, world, session):
    activation, tokens = world
    shift = await make_shift(session, activation, WEDNESDAY_10 + timedelta(days=365))
    allocation = await make_allocation(session, shift, "m0", 3, person_id="m0p")
    m0 = await make_token(session, R.authority, org_id="m0")
    # blank or over-long names, and a count that is not the names', are refused, change nothing
    for bad, field in [
        ({"names": ["  "]}, "names"),
        ({"names": ["x" * 61]}, "names"),
        ({"names": ["Ane Holm", "Bo Lund"], "agents": 3}, "body"),
    ]:
        r = await client.post(f"/allocations/{allocation.id}/confirm", json=bad, headers=bearer(m0))
        assert r.status_code == 422, r.text
        assert [e["field"].split("[")[0] for e in r.json()["errors"]] == [field], r.text
    r = await client.get(
        f"/activations/{activation.id}/shifts/{shift.id}", headers=bearer(tokens[R.admin])
    )
    assert r.json()["agents_confirmed"] == 0
    r = await client.post(
        f"/allocations/{allocation.id}/confirm",
        json={"names": [" Ane Holm ", "Bo Lund"], "agents": 2},
        headers=bearer(m0),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["agents_allocated"] == 2 and body["agents_confirmed"] == 2
    assert body["allocations"][0]["agent_names"] == ["Ane Holm", "Bo Lund"]


async def test_a_within_hours_shift_cannot_be_approved(client, world, session):
    activation, tokens = world
    shift = await make_shift(session, activation, WEDNESDAY_10 + timedelta(days=365))
    r = await client.post(
        f"/activations/{activation.id}/shifts/{shift.id}/approve",
        headers=bearer(tokens[R.steering]),
    )
    assert r.status_code == 409 and "within opening hours" in r.json()["detail"]


async def test_calendar_file_and_municipality_feed(client, world, session):
    activation, tokens = world
    start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    end = start + timedelta(hours=4)
    shift = await make_shift(session, activation, start, end=end)
    await make_allocation(session, shift, "m0", 2, person_id="m0p")
    r = await client.get(f"/shifts/{shift.id}.ics", headers=bearer(tokens[R.authority]))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    event = Calendar.from_ical(r.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == start and event.decoded("dtend") == end
    r = await client.post("/municipalities/m0/calendar-feed", headers=bearer(tokens[R.admin]))
    assert r.status_code == 201
    url = r.json()["url"]
    path = url[url.index("/calendar/") :]
    feed = await client.get(path)
    assert feed.status_code == 200
    events = list(Calendar.from_ical(feed.content).walk("VEVENT"))
    assert len(events) == 1 and str(events[0]["status"]) == "CONFIRMED"
    assert "2 agenter" in str(events[0]["summary"])
    wrong = await client.get(path[: path.index("key=") + 4] + "x" * 32)
    assert wrong.status_code == 403
    # cancelling turns the municipality's event into a cancellation
    r = await client.post(
        f"/activations/{activation.id}/shifts/{shift.id}/cancel",
        json={"reason": "Ikke brug for den"},
        headers=bearer(tokens[R.crisis_staff]),
    )
    assert r.status_code == 200, r.text
    events = list(Calendar.from_ical((await client.get(path)).content).walk("VEVENT"))
    assert str(events[0]["status"]) == "CANCELLED"
    # a new key replaces the old one
    r = await client.post(
        "/municipalities/m0/calendar-feed", headers=bearer(tokens[R.crisis_staff])
    )
    assert r.status_code == 201 and (await client.get(path)).status_code == 403


async def test_confirming_more_agents_than_allocated_is_a_422_naming_the_bound(
    client, world, session
):
    activation, tokens = world
    shift = await make_shift(session, activation, WEDNESDAY_10 + timedelta(days=365))
    allocation = await make_allocation(session, shift, "m0", 1, person_id="m0p")
    m0 = await make_token(session, R.authority, org_id="m0")
    r = await client.post(
        f"/allocations/{allocation.id}/confirm", json={"agents": 3}, headers=bearer(m0)
    )
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["field"] == "agents" and "at most 1" in r.text, r.text
    r = await client.get(
        f"/activations/{activation.id}/shifts/{shift.id}", headers=bearer(tokens[R.admin])
    )
    assert r.json()["agents_confirmed"] == 0
