"""The authorities router: the secret that signs an authority's status callbacks."""

from __future__ import annotations

import pytest

from tests.factories import bearer
from tests.scenario import open_world


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        yield w


def _url(org_id: str) -> str:
    return f"/authorities/{org_id}/callback-secret"


async def test_the_authority_gets_its_secret_and_a_new_one_on_each_rotation(world):
    headers = bearer(world.tokens["authority"])
    first = await world.client.post(_url("odder"), headers=headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["org_id"], body["header"]) == ("odder", "X-DDH-Signature")
    assert len(body["secret"]) >= 32 and body["scheme"].startswith("sha256=")
    again = await world.client.post(_url("odder"), headers=headers)
    assert again.json()["secret"] != body["secret"]


async def test_an_admin_may_rotate_any_organisations_secret(world):
    r = await world.client.post(_url("region-x"), headers=bearer(world.tokens["admin"]))
    assert r.status_code == 200 and r.json()["org_id"] == "region-x"


async def test_another_authoritys_secret_is_forbidden(world):
    r = await world.client.post(_url("region-x"), headers=bearer(world.tokens["authority"]))
    assert r.status_code == 403


async def test_an_unknown_organisation_is_404(world):
    r = await world.client.post(_url("atlantis"), headers=bearer(world.tokens["admin"]))
    assert r.status_code == 404 and "atlantis" in r.json()["detail"]


async def test_no_token_is_401_and_other_roles_403(world):
    assert (await world.client.post(_url("odder"))).status_code == 401
    for role in ("steering", "finance", "leader0"):
        r = await world.client.post(_url("odder"), headers=bearer(world.tokens[role]))
        assert r.status_code == 403, role
