"""Status callbacks to the authority's own system: signed, retried, never blocking."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.factories import bearer
from tests.scenario import open_world

CONTACT = "+4520123456"  # the requesting authority's contact person, told each step


class Receiver:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


async def test_state_changes_are_posted_signed_with_the_authority_secret(db, receiver):
    async with await open_world(db) as world:
        r = await world.client.post(
            "/authorities/odder/callback-secret", headers=bearer(world.tokens["authority"])
        )
        assert r.status_code == 200
        secret = r.json()["secret"]
        act = await world.activate("authority", callback_url=receiver.url)
        await world.drain()
        await world.reply("steer0", f"ok {world.last_code('steer0')}")
        await world.drain()
        await world.reply("log0", "ok")
        await world.drain()
        events = []
        for headers, body in receiver.received:
            expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            assert headers["X-DDH-Signature"] == expected
            events.append(json.loads(body)["event"])
        assert events[:2] == ["requested", "endorsed"] and "role_filled" in events
        board = await world.board(act["id"])
        assert board["callbacks"]["delivered"] == len(receiver.received)
        assert board["callbacks"]["failing"] == 0


async def test_a_dead_endpoint_shows_failing_and_blocks_no_sms(db):
    dead = Receiver(status=500)
    try:
        async with await open_world(db) as world:
            act = await world.activate("steering", callback_url=dead.url)
            sent = await world.drain()
            assert len([m for m in sent if m.to != CONTACT]) == 4  # the pages went out regardless
            board = await world.board(act["id"])
            assert board["callbacks"]["failing"] >= 1
            assert "HTTP 500" in board["callbacks"]["last_error"]
            assert board["callbacks"]["delivered"] == 0
    finally:
        dead.close()
