"""The live feed over a real HTTP server: Server-Sent Events, resumable with Last-Event-ID."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
import uvicorn

from api.app import create_app
from tests.conftest import make_settings
from tests.factories import bearer
from tests.scenario import open_world


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _events(client: httpx.AsyncClient, url: str, headers: dict, want: int) -> list[dict]:
    out: list[dict] = []
    async with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event: dict = {}
        async for line in response.aiter_lines():
            if line.startswith("id: "):
                event["id"] = int(line[4:])
            elif line.startswith("data: "):
                event["data"] = json.loads(line[6:])
            elif line == "" and "id" in event:
                out.append(event)
                event = {}
                if len(out) >= want:
                    break
    return out


async def test_live_feed_streams_new_entries_and_resumes_after_last_event_id(db):
    async with await open_world(db) as world:
        act = await world.staffed_activation()
        tokens = world.tokens
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(make_settings(db)), port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.05)
        base = f"http://127.0.0.1:{port}/activations/{act['id']}/log"
        async with httpx.AsyncClient(timeout=10) as client:
            existing = (await client.get(base + "/verify", headers=bearer(tokens["admin"]))).json()
            n = existing["entries"]
            reader = asyncio.create_task(
                _events(client, base + "/stream", bearer(tokens["authority"]), n + 2)
            )
            await asyncio.sleep(0.3)
            for text in ("første live", "anden live"):
                r = await client.post(
                    base, json={"kind": "information", "text": text}, headers=bearer(tokens["log0"])
                )
                assert r.status_code == 201
            events = await asyncio.wait_for(reader, 10)
            assert [e["id"] for e in events] == list(range(1, n + 3))
            assert [e["data"]["text"] for e in events[-2:]] == ["første live", "anden live"]
            resumed = await asyncio.wait_for(
                _events(
                    client,
                    base + "/stream",
                    {**bearer(tokens["authority"]), "Last-Event-ID": str(n + 1)},
                    1,
                ),
                10,
            )
            assert [e["id"] for e in resumed] == [n + 2]
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
