"""Bounded requests (#13.3): a body over the limit is a 413 before it is parsed, declared or
streamed; a JSON body without credentials is a 401 before it is read."""

from __future__ import annotations

import json

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func
from sqlmodel import select

from api.app import create_app
from beredskab.activations.models import Activation
from tests.conftest import make_settings
from tests.factories import make_token

pytestmark = pytest.mark.db
LIMIT = 4096


@pytest.fixture
def settings(db):
    return make_settings(db, max_request_bytes=LIMIT)


def _activation(title_len: int) -> dict:
    return {"title": "x" * title_len, "contact_name": "Kim", "contact_phone": "+4520123456"}


async def _count(db) -> int:
    async with db.sessionmaker() as s:
        return (await s.exec(select(func.count()).select_from(Activation))).one()


async def test_a_declared_body_over_the_limit_is_413_and_changes_nothing(client, db, session):
    token = await make_token(session, "authority")
    body = json.dumps({**_activation(10), "description": "y" * (LIMIT * 2)})
    r = await client.post(
        "/activations",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    assert str(LIMIT) in r.json()["detail"]
    assert await _count(db) == 0


async def test_a_chunked_body_over_the_limit_is_413(client, db, session):
    token = await make_token(session, "authority")

    async def chunks():
        yield b'{"title": "t", "contact_name": "Kim", "contact_phone": "+4520123456",'
        for _ in range(LIMIT // 512 + 2):
            yield b' "description": "' + b"z" * 500 + b'",'
        yield b'"exercise": true}'

    r = await client.post(
        "/activations",
        content=chunks(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert "content-length" not in r.request.headers  # it really was streamed
    assert r.status_code == 413, r.text
    assert await _count(db) == 0


async def test_a_body_under_the_limit_goes_through(client, session):
    token = await make_token(session, "steering")
    r = await client.post(
        "/activations",
        json={**_activation(20), "authority_id": "nowhere"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "authority_id"


async def test_json_without_credentials_is_401_before_the_body_is_read(settings):
    app = create_app(settings)
    reads = 0

    async def receive():
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b'{"title": "x"}', "more_body": False}

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/activations",
        "raw_path": b"/activations",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"host", b"testserver")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "state": {},
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 401 and reads == 0


async def test_the_limit_is_per_deployment(db):
    app = create_app(make_settings(db, max_request_bytes=LIMIT * 4))
    transport = httpx.ASGITransport(app=app)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as c,
    ):
        r = await c.post(
            "/activations",
            content=b"{" + b" " * (LIMIT * 2) + b"}",
            headers={"Content-Type": "application/json", "Authorization": "Bearer nope"},
        )
    assert r.status_code != 413  # within this deployment's larger limit: judged on its merits
