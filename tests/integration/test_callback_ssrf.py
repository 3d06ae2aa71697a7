"""A callback URL cannot make our server probe DDH's own network (#13.4): refused when the
activation is requested, refused again at send time if the name resolves elsewhere by then, and
the authority sees only whether its endpoint answered and with which HTTP status."""

from __future__ import annotations

import dataclasses
import socket

import pytest
from sqlmodel import select

from beredskab.outbox import Channel, OutboxMessage, OutboxStatus
from tests.scenario import open_world

pytestmark = pytest.mark.db


class Dns:
    """A resolver the test can point elsewhere between the request and the send."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return [self.address]


@pytest.fixture
async def world(db):
    async with await open_world(db, {"dev_mode": False}) as w:
        yield w


def _use(world, dns: Dns) -> None:
    runtime = world.runtime
    runtime.activation_config = dataclasses.replace(runtime.activation_config, resolve_host=dns)


async def test_a_name_resolving_to_a_private_address_is_refused_at_request(world):
    dns = Dns("10.20.30.40")
    _use(world, dns)
    r = await world.client.post(
        "/activations",
        json={
            "title": "Vandforsyning",
            "contact_name": "Kim",
            "contact_phone": "20123456",
            "authority_id": "odder",
            "callback_url": "https://intranet.example/hook",
        },
        headers={"Authorization": f"Bearer {world.tokens['steering']}"},
    )
    assert r.status_code == 422
    error = r.json()["errors"][0]
    assert error["field"] == "callback_url" and "private" in error["reason"]
    assert dns.asked == ["intranet.example"]


async def test_a_name_that_moves_to_a_private_address_is_not_posted_to(world, db):
    dns = Dns("93.184.216.34")
    _use(world, dns)
    act = await world.activate("steering", callback_url="https://hooks.example/ddh")
    dns.address = "127.0.0.1"  # DNS rebinding between the request and the send
    await world.drain()
    async with db.sessionmaker() as s:
        rows = (
            await s.exec(select(OutboxMessage).where(OutboxMessage.channel == Channel.callback))
        ).all()
    assert rows and all(r.status == OutboxStatus.failed for r in rows)
    assert all((r.last_error or "").startswith("refused:") for r in rows)
    board = await world.board(act["id"])
    assert board["callbacks"]["last_error"] == "refused: not a public https address"


async def test_the_board_shows_no_connection_details(db):
    # development allows a loopback receiver; a closed port must read like any other silence
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with await open_world(db) as world:
        act = await world.activate("steering", callback_url=f"http://127.0.0.1:{port}/hook")
        await world.drain()
        board = await world.board(act["id"])
    assert board["callbacks"]["failing"] >= 1
    assert board["callbacks"]["last_error"] == "no answer"
