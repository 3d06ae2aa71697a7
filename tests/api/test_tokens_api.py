"""The admin tokens router: a token's plaintext is shown once, the list holds no secrets, a
revoked token stops working; only an admin may call it."""

from __future__ import annotations

import pytest

from tests.factories import bearer
from tests.scenario import open_world

URL = "/admin/tokens"


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        w.admin = bearer(w.tokens["admin"])
        yield w


async def test_a_new_token_is_shown_once_and_works(world):
    r = await world.client.post(
        URL,
        json={"role": "authority", "org_id": "odder", "label": "Odder vagtcentral"},
        headers=world.admin,
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["token"].startswith("ddh_") and created["token"].startswith(created["prefix"])
    assert (created["role"], created["org_id"], created["revoked_at"]) == (
        "authority",
        "odder",
        None,
    )
    listed = (await world.client.get(URL, headers=world.admin)).json()
    assert all("token" not in t for t in listed)
    assert created["id"] in [t["id"] for t in listed]
    mine = await world.client.get("/activations", headers=bearer(created["token"]))
    assert mine.status_code == 200


async def test_a_revoked_token_is_refused_from_then_on(world):
    created = (await world.client.post(URL, json={"role": "finance"}, headers=world.admin)).json()
    r = await world.client.delete(f"{URL}/{created['id']}", headers=world.admin)
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    assert "token" not in r.json()
    refused = await world.client.get("/tariffs", headers=bearer(created["token"]))
    assert refused.status_code == 401


async def test_revoking_an_absent_token_is_404(world):
    r = await world.client.delete(f"{URL}/999999", headers=world.admin)
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "king"}, "role"),
        ({"role": "authority"}, "org_id"),  # an authority token names its organisation
        ({"role": "authority", "org_id": "atlantis"}, "org_id"),
        ({"role": "crisis_staff", "person_id": "nobody"}, "person_id"),
        ({"role": "admin", "label": "x" * 201}, "label"),
    ],
)
async def test_a_bad_token_request_names_the_field(world, body, field):
    r = await world.client.post(URL, json=body, headers=world.admin)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == [field], r.text


@pytest.mark.parametrize(("method", "path"), [("get", URL), ("post", URL), ("delete", f"{URL}/1")])
async def test_only_an_admin_may_manage_tokens(world, method, path):
    body = {"role": "admin"}
    assert (await world.client.request(method, path, json=body)).status_code == 401
    for role in ("steering", "authority", "finance", "leader0"):
        r = await world.client.request(method, path, json=body, headers=bearer(world.tokens[role]))
        assert r.status_code == 403, role
