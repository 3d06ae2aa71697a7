"""The activations router: who may call each endpoint, what it refuses (401, 403, 404, 409,
422) and the shape of what it answers. What the use cases do is in tests/services; the stories
told through phones are in tests/integration/test_activation_flow.py."""

from __future__ import annotations

import asyncio

import pytest

from tests.factories import bearer
from tests.scenario import STEERING, open_world

BODY = {"title": "Brand", "contact_name": "A", "contact_phone": "20123456"}


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        yield w


def _problem(r, status: int) -> bool:
    return r.status_code == status and r.headers["content-type"].startswith(
        "application/problem+json"
    )


ENDPOINTS = [
    ("post", "/activations"),
    ("get", "/activations"),
    ("get", "/activations/{id}"),
    ("post", "/activations/{id}/endorse"),
    ("post", "/activations/{id}/reject"),
    ("post", "/activations/{id}/cancel"),
    ("post", "/activations/{id}/roles/log_keeper/ack"),
    ("post", "/activations/{id}/roles/log_keeper/decline"),
    ("post", "/activations/{id}/roles/log_keeper/handover"),
    ("post", "/activations/{id}/stand-down"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_every_endpoint_wants_a_token(world, method, path):
    act = await world.activate("steering")
    r = await world.client.request(method, path.format(id=act["id"]), json={})
    assert _problem(r, 401) and r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("method", "path", "token"),
    [
        ("post", "/activations", "finance"),
        ("post", "/activations", "leader0"),
        ("post", "/activations/{id}/endorse", "authority"),
        ("post", "/activations/{id}/endorse", "admin"),
        ("post", "/activations/{id}/reject", "authority"),
        ("post", "/activations/{id}/roles/log_keeper/ack", "steering"),
        ("post", "/activations/{id}/roles/log_keeper/handover", "authority"),
        ("post", "/activations/{id}/stand-down", "admin"),
    ],
)
async def test_a_role_the_endpoint_does_not_admit_gets_403(world, method, path, token):
    act = await world.activate("authority")
    r = await world.client.request(
        method, path.format(id=act["id"]), json={}, headers=bearer(world.tokens[token])
    )
    assert _problem(r, 403), r.text


@pytest.mark.parametrize(
    ("method", "path", "token"),
    [
        ("get", "/activations/{id}", "admin"),
        ("post", "/activations/{id}/endorse", "steering"),
        ("post", "/activations/{id}/reject", "steering"),
        ("post", "/activations/{id}/cancel", "admin"),
        ("post", "/activations/{id}/roles/log_keeper/ack", "log0"),
        ("post", "/activations/{id}/roles/log_keeper/handover", "admin"),
        ("post", "/activations/{id}/stand-down", "steering"),
    ],
)
async def test_an_absent_activation_is_404(world, method, path, token):
    body = {"person_id": "log2"} if path.endswith("handover") else {"reason": "x"}
    r = await world.client.request(
        method, path.format(id="no-such-id"), json=body, headers=bearer(world.tokens[token])
    )
    assert _problem(r, 404), r.text


async def test_a_request_answers_201_with_its_location_and_summary(world):
    r = await world.client.post(
        "/activations", json=BODY, headers=bearer(world.tokens["authority"])
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/activations/{body['id']}"
    assert set(body) == {"id", "ref", "status", "title", "authority_id", "exercise", "created_at"}
    assert (body["status"], body["authority_id"], body["exercise"]) == ("requested", "odder", False)


async def test_requests_at_once_are_all_taken_and_numbered_without_a_gap(world):
    # ten authorities' requests in the same instant (PostgreSQL runs them side by side): none
    # refused for a reference another took; the numbers run on without a hole
    async def ask(n: int, role: str):  # noqa: ANN202
        body = {**BODY, "title": f"Hændelse {n}", "authority_id": "odder"}
        return await world.client.post(
            "/activations", json=body, headers=bearer(world.tokens[role])
        )

    answers = await asyncio.gather(
        *(ask(n, "steering" if n % 2 else "authority") for n in range(10))
    )
    assert [r.status_code for r in answers] == [201] * 10, [r.text for r in answers]
    numbers = sorted(int(r.json()["ref"].rsplit("-", 1)[1]) for r in answers)
    assert numbers == list(range(1, 11))


async def test_idempotency_key_returns_the_first_activation(world):
    headers = {**bearer(world.tokens["authority"]), "Idempotency-Key": "abc-1"}
    first = await world.client.post("/activations", json=BODY, headers=headers)
    again = await world.client.post("/activations", json=BODY, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    other = await world.client.post(
        "/activations",
        json={**BODY, "authority_id": "odder"},
        headers={**bearer(world.tokens["admin"]), "Idempotency-Key": "abc-1"},
    )
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


async def test_one_key_sent_twice_at_once_makes_one_activation(world):
    # both look for the key before either has committed; the second one's activation (staged
    # into its commit's write on PostgreSQL) meets the first's key there, and is answered with
    # the first: a taken key is retried, as a taken reference is
    headers = {**bearer(world.tokens["steering"]), "Idempotency-Key": "race-1"}
    body = {**BODY, "authority_id": "odder"}
    answers = await asyncio.gather(
        *(world.client.post("/activations", json=body, headers=headers) for _ in range(2))
    )
    assert sorted(r.status_code for r in answers) == [200, 201], [r.text for r in answers]
    assert answers[0].json()["id"] == answers[1].json()["id"]


async def test_authority_cannot_activate_for_someone_else(world):
    r = await world.client.post(
        "/activations",
        json={**BODY, "authority_id": "region-x"},
        headers=bearer(world.tokens["authority"]),
    )
    assert r.status_code == 403


async def test_bad_activation_input_names_each_field_and_changes_nothing(world):
    r = await world.client.post(
        "/activations",
        json={"title": "", "contact_name": "A", "contact_phone": "+45 123", "channels": ["fax"]},
        headers=bearer(world.tokens["authority"]),
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"title", "contact_phone"} <= fields and any(f.startswith("channels") for f in fields)
    r = await world.client.post(
        "/activations",
        json={
            "title": "x",
            "contact_name": "A",
            "contact_phone": "20123456",
            "callback_url": "http://example.org/hook",
        },
        headers=bearer(world.tokens["authority"]),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "callback_url"
    assert (
        await world.client.get("/activations", headers=bearer(world.tokens["admin"]))
    ).json() == []


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/activations/{id}/reject", {"reason": "x", "extra": 1}, "extra"),
        ("/activations/{id}/reject", {"reason": "x" * 1001}, "reason"),
        ("/activations/{id}/roles/log_keeper/handover", {"reason": "x"}, "person_id"),
        ("/activations/{id}/roles/chef/handover", {"person_id": "log2"}, "role"),
    ],
)
async def test_a_bad_body_or_path_is_a_422_naming_the_field(world, path, body, field):
    act = await world.activate("authority")
    r = await world.client.post(
        path.format(id=act["id"]), json=body, headers=bearer(world.tokens["steering"])
    )
    assert _problem(r, 422) and [e["field"] for e in r.json()["errors"]] == [field], r.text


async def test_authority_sees_only_its_own_activations(world):
    act = await world.activate("authority")
    other = world.tokens["other_authority"]
    r = await world.client.get(f"/activations/{act['id']}", headers=bearer(other))
    assert r.status_code == 404
    listed = await world.client.get("/activations", headers=bearer(other))
    assert listed.json() == []
    mine = await world.client.get("/activations", headers=bearer(world.tokens["authority"]))
    assert [a["id"] for a in mine.json()] == [act["id"]]


async def test_the_list_filters_by_status(world):
    requested = await world.activate("authority")
    active = await world.activate("steering")
    admin = bearer(world.tokens["admin"])
    r = await world.client.get("/activations", params={"status": "active"}, headers=admin)
    assert [a["id"] for a in r.json()] == [active["id"]]
    r = await world.client.get("/activations", params={"status": "requested"}, headers=admin)
    assert [a["id"] for a in r.json()] == [requested["id"]]
    r = await world.client.get("/activations", params={"status": "sleeping"}, headers=admin)
    assert _problem(r, 422)


async def test_the_board_shows_roles_pages_and_counts(world):
    act = await world.activate("steering")
    board = await world.board(act["id"])
    assert [r["role"] for r in board["roles"]] == [
        "crisis_leader",
        "log_keeper",
        "process_lead",
        "staffing_lead",
    ]
    assert {r["state"] for r in board["roles"]} == {"calling"}
    assert len(board["open_pages"]) == 4 and board["counts"]["pages"] == 4
    assert board["endorsed_by"] and board["playbook_hash"] and board["callbacks"] is None


async def test_endorsing_twice_is_a_409(world):
    act = await world.activate("authority")
    url = f"/activations/{act['id']}/endorse"
    first = await world.client.post(url, headers=bearer(world.tokens["steering"]))
    assert first.status_code == 200 and first.json()["status"] == "active"
    again = await world.client.post(url, headers=bearer(world.tokens["steering"]))
    assert _problem(again, 409) and "already endorsed" in again.json()["detail"]


async def test_the_authority_cancels_its_own_request_but_not_anothers(world):
    act = await world.activate("authority")
    other = await world.client.post(
        f"/activations/{act['id']}/cancel", json={}, headers=bearer(world.tokens["other_authority"])
    )
    assert other.status_code == 404
    r = await world.client.post(
        f"/activations/{act['id']}/cancel",
        json={"reason": "løst selv"},
        headers=bearer(world.tokens["authority"]),
    )
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    told = await world.drain()
    contact = "+4520123456"  # the authority's contact person hears the request is withdrawn
    assert {m.to for m in told} == {world.people[p].phone for p in STEERING} | {contact}
    assert await world.later(30) == []  # no reminders after cancelling
    board = await world.board(act["id"])
    assert board["open_pages"] == []


async def test_ack_through_the_api_by_the_paged_person(world):
    act = await world.activate("steering")
    await world.drain()
    r = await world.client.post(
        f"/activations/{act['id']}/roles/log_keeper/ack", headers=bearer(world.tokens["log0"])
    )
    assert r.status_code == 200 and r.json()["outcome"] == "role_filled"
    r = await world.client.post(
        f"/activations/{act['id']}/roles/log_keeper/ack", headers=bearer(world.tokens["log1"])
    )
    assert r.status_code == 403  # log1 was never paged


async def test_decline_through_the_api_answers_the_outcome(world):
    act = await world.activate("steering")
    r = await world.client.post(
        f"/activations/{act['id']}/roles/log_keeper/decline", headers=bearer(world.tokens["log0"])
    )
    assert r.status_code == 200 and r.json() == {"outcome": "declined"}


async def test_handover_answers_the_roles_new_status(world):
    act = await world.activate("steering")
    r = await world.client.post(
        f"/activations/{act['id']}/roles/log_keeper/handover",
        json={"person_id": "log2", "reason": "vagtskifte"},
        headers=bearer(world.tokens["steering"]),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["role"], body["state"], body["person"]["id"]) == ("log_keeper", "filled", "log2")
    unknown = await world.client.post(
        f"/activations/{act['id']}/roles/log_keeper/handover",
        json={"person_id": "nobody"},
        headers=bearer(world.tokens["steering"]),
    )
    assert _problem(unknown, 422) and unknown.json()["errors"][0]["field"] == "person_id"


async def test_only_the_crisis_leader_may_stand_down_among_crisis_staff(world):
    act = await world.activate("steering")
    await world.drain()
    r = await world.client.post(
        f"/activations/{act['id']}/stand-down", json={}, headers=bearer(world.tokens["log0"])
    )
    assert r.status_code == 403
    assert "crisis leader" in r.json()["detail"]


async def test_standing_down_a_request_is_a_409(world):
    act = await world.activate("authority")
    r = await world.client.post(
        f"/activations/{act['id']}/stand-down", json={}, headers=bearer(world.tokens["steering"])
    )
    assert _problem(r, 409)
