"""The admin tokens router: a token's plaintext is shown once, the list holds no secrets, a
revoked token stops working; only an admin may call it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from beredskab.auth.lookup import TokenLookup
from beredskab.auth.models import TokenRole
from beredskab.auth.service import create_token
from beredskab.metadata import utcnow
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
    created = (
        await world.client.post(
            URL, json={"role": "finance", "label": "bogholderi"}, headers=world.admin
        )
    ).json()
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
        # a token that acts for a person is bound to them (auth/binding.py)
        ({"role": "crisis_staff", "label": "krisestab"}, "person_id"),
        ({"role": "steering", "label": "styregruppen"}, "person_id"),
        ({"role": "authority", "org_id": "region-x", "person_id": "log0"}, "person_id"),
        # a system token is named by its label in the log
        ({"role": "finance"}, "label"),
        ({"role": "admin", "label": "   "}, "label"),
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


async def test_a_token_with_an_expiry_works_until_then(world):
    expires = utcnow() + timedelta(days=90)
    r = await world.client.post(
        URL,
        json={"role": "finance", "label": "bogholderi", "expires_at": expires.isoformat()},
        headers=world.admin,
    )
    assert r.status_code == 201, r.text
    assert datetime.fromisoformat(r.json()["expires_at"]) == expires
    works = await world.client.get("/tariffs", headers=bearer(r.json()["token"]))
    assert works.status_code == 200
    listed = {t["id"]: t for t in (await world.client.get(URL, headers=world.admin)).json()}
    assert datetime.fromisoformat(listed[r.json()["id"]]["expires_at"]) == expires


async def test_an_expired_token_is_refused_like_a_revoked_one(world):
    now = utcnow()
    async with world.runtime.sessionmaker() as s:
        # made an hour ago to live for 59 minutes: it expired a minute ago
        expired, _ = await create_token(
            s,
            TokenRole.finance,
            label="bogholderi",
            expires_at=now - timedelta(minutes=1),
            now=now - timedelta(hours=1),
        )
    refused = await world.client.get("/tariffs", headers=bearer(expired))
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    # the lookup shared by concurrent requests (the log writer's) refuses it too
    lookup = TokenLookup(world.runtime.read_sessionmaker)
    assert await lookup.authenticate(expired) is None
    assert await lookup.authenticate(world.tokens["admin"]) is not None


@pytest.mark.parametrize(
    "expires_at", ["2020-01-01T00:00:00+00:00", "2027-01-31T12:00:00", "9999-12-31T00:00:00Z"]
)
async def test_an_expiry_in_the_past_naive_or_out_of_range_is_refused(world, expires_at):
    body = {"role": "admin", "expires_at": expires_at}
    r = await world.client.post(URL, json=body, headers=world.admin)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["expires_at"]
